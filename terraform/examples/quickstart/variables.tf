variable "prefix" {
  description = "Prefix of every resource name (streams are <prefix>-raw-stream etc.); lowercase letters, digits and dashes"
  type        = string
  default     = "furrow"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{1,15}$", var.prefix))
    error_message = "prefix must be 2-16 lowercase letters, digits or dashes, starting with a letter."
  }
}

variable "region" {
  description = "AWS region to deploy into"
  type        = string
  default     = "us-east-1"
}

variable "vpc_id" {
  description = "VPC to deploy into; empty = the region's default VPC"
  type        = string
  default     = ""
}

variable "subnet_ids" {
  description = "Public subnets (two or more availability zones) for load balancers, instances and the database subnet group; empty = the default VPC's default subnets"
  type        = list(string)
  default     = []
}

variable "ssh_key_name" {
  description = "EC2 key pair for SSH to the instances; empty = none"
  type        = string
  default     = ""
}

variable "ssh_ip_allowlist" {
  description = "CIDR blocks allowed to SSH to the instances (e.g. your own /32); empty = no SSH ingress"
  type        = list(string)
  default     = []
}

variable "collector_ip_allowlist" {
  description = "CIDR blocks allowed to reach the collector load balancer (trackers on the internet need 0.0.0.0/0)"
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "collector_ssl_certificate_arn" {
  description = "ACM certificate for HTTPS on the collector load balancer; empty = HTTP only"
  type        = string
  default     = ""
}

variable "iglu_ip_allowlist" {
  description = "CIDR blocks allowed to reach the Iglu Server load balancer (enrich reaches it from the instances' public IPs)"
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "iglu_ssl_certificate_arn" {
  description = "ACM certificate for HTTPS on the Iglu load balancer; enrich then uses https://; empty = HTTP only"
  type        = string
  default     = ""
}

variable "furrow_version" {
  description = "Exact Furrow release every instance installs"
  type        = string
  default     = "0.1.0"
}

variable "furrow_artifact_s3_uri" {
  description = "s3://bucket/key of a release tarball from terraform/scripts/build-release.sh; empty = install furrow@furrow_version from the npm registry"
  type        = string
  default     = ""
}

variable "furrow_artifact_sha256" {
  description = "SHA-256 of the release tarball (printed by build-release.sh)"
  type        = string
  default     = ""
}

variable "stream_shard_count" {
  description = "Shards per Kinesis stream (one shard: 1 MB/s or 1,000 records/s in)"
  type        = number
  default     = 1
}

variable "pipeline_kcl_write_max_capacity" {
  description = "Upper bound of the auto-scaled write capacity of each KCL lease table (enrich, S3 loaders, transformer); raise it for very high volumes"
  type        = number
  default     = 50
}

variable "s3_bucket_name" {
  description = "Name of the pipeline bucket; empty = <prefix>-pipeline-<account id>-<region>"
  type        = string
  default     = ""
}

variable "s3_bucket_force_destroy" {
  description = "Let terraform destroy delete the bucket with its archived events"
  type        = bool
  default     = false
}

variable "s3_loader_raw_enabled" {
  description = "Archive the raw stream (Thrift collector payloads) under raw/"
  type        = bool
  default     = true
}

variable "transformer_window_period_min" {
  description = "Transformer window length in minutes: how often a batch is loaded into Snowflake"
  type        = number
  default     = 5
}

variable "iglu_db_skip_final_snapshot" {
  description = "Destroy the Iglu database without a final snapshot"
  type        = bool
  default     = true
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

variable "snowflake_loader_password" {
  description = "Password of the loader user; stored in Secrets Manager (pass it as TF_VAR_snowflake_loader_password rather than in a file)"
  type        = string
  sensitive   = true
}

variable "snowflake_warehouse" {
  description = "Snowflake warehouse the loader uses"
  type        = string
}

variable "snowflake_database" {
  description = "Snowflake database holding the events schema"
  type        = string
}

variable "snowflake_schema" {
  description = "Snowflake schema for the events table"
  type        = string
  default     = "atomic"
}

variable "snowflake_role" {
  description = "Snowflake role of the loader; empty = the user's default role"
  type        = string
  default     = ""
}

variable "snowflake_storage_integration" {
  description = "Snowflake storage integration for the transformed/ stage (second apply, see README); empty = none yet"
  type        = string
  default     = ""
}

variable "snowflake_storage_aws_iam_user_arn" {
  description = "STORAGE_AWS_IAM_USER_ARN of that integration (DESC INTEGRATION)"
  type        = string
  default     = ""
}

variable "snowflake_storage_aws_external_id" {
  description = "STORAGE_AWS_EXTERNAL_ID of that integration (DESC INTEGRATION)"
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags added to every resource"
  type        = map(string)
  default     = {}
}
