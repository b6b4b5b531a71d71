variable "queue_name" {
  description = "SQS FIFO queue of shredding_complete messages"
  type        = string
}

variable "dead_letter_queue_name" {
  description = "Dead-letter queue the loader moves unloadable messages to (sqs-queue output); empty = none"
  type        = string
  default     = ""
}

variable "bucket_name" {
  description = "S3 bucket holding transformed/"
  type        = string
}

variable "snowflake_account" {
  description = "Snowflake account identifier, e.g. myorg-myaccount"
  type        = string
}

variable "snowflake_region" {
  description = "Snowflake region, when the account identifier needs one; empty = none"
  type        = string
  default     = ""
}

variable "snowflake_loader_user" {
  description = "Snowflake user the loader connects as"
  type        = string
}

variable "snowflake_password_secret_arn" {
  description = "Secrets Manager secret holding that user's password (plain string)"
  type        = string
}

variable "snowflake_warehouse" {
  description = "Snowflake warehouse the loader uses"
  type        = string
}

variable "snowflake_database" {
  description = "Snowflake database"
  type        = string
}

variable "snowflake_schema" {
  description = "Snowflake schema for atomic.events"
  type        = string
  default     = "atomic"
}

variable "snowflake_role" {
  description = "Snowflake role of the loader; empty = the user's default role"
  type        = string
  default     = ""
}

variable "snowflake_storage_integration" {
  description = "Snowflake storage integration the loader creates its stage with (see README); empty = the stage must already exist"
  type        = string
  default     = ""
}

variable "snowflake_storage_aws_iam_user_arn" {
  description = "STORAGE_AWS_IAM_USER_ARN from DESC INTEGRATION; with it, this module creates the role Snowflake assumes to read transformed/"
  type        = string
  default     = ""
}

variable "snowflake_storage_aws_external_id" {
  description = "STORAGE_AWS_EXTERNAL_ID from DESC INTEGRATION"
  type        = string
  default     = ""
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

variable "health_port" {
  description = "Loopback port of the app's /health and /metrics (polled by the instance's watchdog, never exposed)"
  type        = number
  default     = 8000
}

variable "health_watchdog_enabled" {
  description = "Replace the instance after 3 failed /health checks in a row"
  type        = bool
  default     = true
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
