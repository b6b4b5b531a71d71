variable "in_stream_name" {
  description = "Kinesis stream enrich reads (raw)"
  type        = string
}

variable "enriched_stream_name" {
  description = "Kinesis stream for enriched events"
  type        = string
}

variable "bad_stream_name" {
  description = "Kinesis stream for bad rows (bad-1, shared with the collector)"
  type        = string
}

variable "iglu_server_url" {
  description = "Base URL of your Iglu Server (without /api), resolved first; empty = Furrow core schemas and Iglu Central only"
  type        = string
  default     = ""
}

variable "iglu_api_key_secret_arn" {
  description = "Secrets Manager secret holding the Iglu API key enrich sends (used when iglu_key_enabled)"
  type        = string
  default     = ""
}

# A flag beside the ARN: whether there is a key decides a count, which must be known at plan time, while the ARN
# of a secret created in the same apply is not.
variable "iglu_key_enabled" {
  description = "Send the Iglu API key from iglu_api_key_secret_arn (false = public schemas only)"
  type        = bool
  default     = false
}

variable "name" {
  description = "Name of the app: the auto-scaling group, IAM role, security group and KCL lease table"
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
  default     = "t3a.small"
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

variable "initial_position" {
  description = "Where a brand-new application starts reading its stream: TRIM_HORIZON or LATEST"
  type        = string
  default     = "TRIM_HORIZON"

  validation {
    condition     = contains(["TRIM_HORIZON", "LATEST"], var.initial_position)
    error_message = "initial_position must be TRIM_HORIZON or LATEST."
  }
}

variable "kcl_read_min_capacity" {
  description = "Minimum read capacity of the lease table"
  type        = number
  default     = 1
}

variable "kcl_read_max_capacity" {
  description = "Maximum read capacity of the lease table"
  type        = number
  default     = 10
}

variable "kcl_write_min_capacity" {
  description = "Minimum write capacity of the lease table"
  type        = number
  default     = 1
}

variable "kcl_write_max_capacity" {
  description = "Maximum write capacity of the lease table: lease renewals (~0.3/s per shard) plus checkpoints; raise it for very high volumes"
  type        = number
  default     = 10
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
