variable "name" {
  description = "Identifier of the database instance, its subnet group, security group and password secret"
  type        = string
}

variable "vpc_id" {
  description = "VPC to deploy into"
  type        = string
}

variable "subnet_ids" {
  description = "Subnets of the DB subnet group, in at least two availability zones"
  type        = list(string)
}

variable "ingress_security_group_ids" {
  description = "Security groups allowed to connect on the database port (the Iglu Server instances); nothing else can"
  type        = list(string)
  default     = []
}

variable "engine_version" {
  description = "PostgreSQL major version"
  type        = string
  default     = "16"
}

variable "instance_class" {
  description = "DB instance class"
  type        = string
  default     = "db.t3.micro"
}

variable "allocated_storage" {
  description = "Storage in GB"
  type        = number
  default     = 10
}

variable "storage_type" {
  description = "Storage type (gp2, gp3, io1)"
  type        = string
  default     = "gp2"
}

variable "port" {
  description = "Database port"
  type        = number
  default     = 5432
}

variable "db_name" {
  description = "Database created at launch"
  type        = string
  default     = "iglu"
}

variable "username" {
  description = "Master user name"
  type        = string
  default     = "iglu"
}

variable "multi_az" {
  description = "Run a standby in another availability zone"
  type        = bool
  default     = false
}

variable "backup_retention_period" {
  description = "Days of automated backups"
  type        = number
  default     = 7
}

variable "deletion_protection" {
  description = "Refuse to delete the instance"
  type        = bool
  default     = false
}

variable "skip_final_snapshot" {
  description = "Delete without a final snapshot (set true for a throw-away quick start)"
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags to add to every resource"
  type        = map(string)
  default     = {}
}
