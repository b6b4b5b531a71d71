variable "lb_security_group_id" {
  description = "Security group of the load balancer in front of the app (alb module output)"
  type        = string
}

variable "lb_target_group_arn" {
  description = "Target group the instances register in (alb module output)"
  type        = string
}

variable "ingress_port" {
  description = "Port the app listens on, behind the load balancer"
  type        = number
  default     = 8080
}

variable "db_address" {
  description = "Host of the Iglu Server database (rds-postgres output)"
  type        = string
}

variable "db_port" {
  description = "Port of the database"
  type        = number
  default     = 5432
}

variable "db_name" {
  description = "Name of the database"
  type        = string
}

variable "db_username" {
  description = "Database user"
  type        = string
}

variable "db_password_secret_arn" {
  description = "Secrets Manager secret holding the database password (plain string)"
  type        = string
}

variable "db_security_group_id" {
  description = "Security group of the database; the instances get egress to it on db_port"
  type        = string
}

variable "super_api_key_secret_arn" {
  description = "Secrets Manager secret holding the Iglu super API key (a UUID)"
  type        = string
}

variable "patches_allowed" {
  description = "Allow overwriting a published schema version (handy while a tracking plan settles)"
  type        = bool
  default     = true
}

variable "name" {
  description = "Name of the app: the auto-scaling group, IAM role, security group"
  type        = string
}

variable "vpc_id" {
  description = "VPC to deploy into"
  type        = string
}

variable "subnet_ids" {
  description = "Subnets the instances run in"
  type        = list(string)
}

variable "associate_public_ip_address" {
  description = "Give instances a public IP (needed in public subnets without a NAT gateway)"
  type        = bool
  default     = true
}

variable "instance_type" {
  description = "EC2 instance type"
  type        = string
  default     = "t3a.micro"
}

variable "architecture" {
  description = "CPU architecture of instance_type: x86_64 or arm64"
  type        = string
  default     = "x86_64"
}

variable "ami_id" {
  description = "AMI to run; empty = the latest Amazon Linux 2023"
  type        = string
  default     = ""
}

variable "ssh_key_name" {
  description = "EC2 key pair for SSH; empty = none"
  type        = string
  default     = ""
}

variable "ssh_ip_allowlist" {
  description = "CIDR blocks allowed to SSH to the instances (never the whole internet: app-security-group refuses it); empty = no SSH ingress at all"
  type        = list(string)
  default     = []
}

variable "min_size" {
  description = "Minimum number of instances"
  type        = number
  default     = 1
}

variable "max_size" {
  description = "Maximum number of instances"
  type        = number
  default     = 2
}

variable "enable_auto_scaling" {
  description = "Add CPU-based scale-up/scale-down policies"
  type        = bool
  default     = true
}

variable "autoscaling" {
  description = "CPU scaling policy of the group, passed to service-ec2 (see its autoscaling variable for the fields and defaults), e.g. { scale_up_cpu_threshold_percentage = 70 }"
  type        = map(number)
  default     = {}
}

variable "furrow_version" {
  description = "Exact Furrow release to install, e.g. 0.1.0"
  type        = string
  default     = "0.1.0"
}

variable "furrow_package" {
  description = "npm package of the release when installing from the registry"
  type        = string
  default     = "furrow"
}

variable "furrow_artifact_s3_uri" {
  description = "s3://bucket/key of a release tarball (terraform/scripts/build-release.sh); empty = install from the npm registry"
  type        = string
  default     = ""
}

variable "furrow_artifact_sha256" {
  description = "SHA-256 of the tarball at furrow_artifact_s3_uri"
  type        = string
  default     = ""
}

variable "config_overrides" {
  description = "Fields deep-merged into this app's section of the rendered pipeline config, e.g. { logLevel = \"debug\" }"
  type        = any
  default     = {}
}

variable "iam_permissions_boundary" {
  description = "Permissions boundary ARN for the IAM role; empty = none"
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags to add to every resource"
  type        = map(string)
  default     = {}
}
