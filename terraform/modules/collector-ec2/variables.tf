variable "good_stream_name" {
  description = "Kinesis stream for good records (the raw stream)"
  type        = string
}

variable "bad_stream_name" {
  description = "Kinesis stream for size_violation bad rows (bad-1)"
  type        = string
}

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

variable "cookie_domains" {
  description = "Domains the network-user-id cookie is set on; empty = the request host"
  type        = list(string)
  default     = []
}

variable "custom_paths" {
  description = "Custom two-segment paths mapped to Snowplow paths, e.g. { \"/com.acme/track\" = \"/com.snowplowanalytics.snowplow/tp2\" }"
  type        = map(string)
  default     = {}
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
