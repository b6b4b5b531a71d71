# Shared by the *-ec2 app modules: one Furrow app in an auto-scaling group. Not meant to be used directly.

variable "name" {
  description = "Name of the auto-scaling group, launch template and instance profile"
  type        = string
}

variable "app_command" {
  description = "The furrow subcommand to run: collector, enrich, iglu-server, s3-loader, transformer or loader"
  type        = string

  validation {
    condition     = contains(["collector", "enrich", "iglu-server", "s3-loader", "transformer", "loader"], var.app_command)
    error_message = "app_command must be one of collector, enrich, iglu-server, s3-loader, transformer, loader."
  }
}

variable "app_args" {
  description = "Extra arguments after --config, e.g. [\"--purpose\", \"raw\"]"
  type        = list(string)
  default     = []

  validation {
    # They are written into a systemd unit unquoted.
    condition     = alltrue([for a in var.app_args : can(regex("^[A-Za-z0-9._=-]+$", a))])
    error_message = "app_args may hold only letters, digits and . _ = -."
  }
}

variable "render_app" {
  description = "The app name `furrow config render --app` takes (e.g. s3-loader-raw); also the rendered file's name"
  type        = string
}

variable "config_section" {
  description = "Dotted path of the app's section in the rendered config (e.g. s3Loader.raw), where the health watchdog finds the port"
  type        = string
}

variable "deployment" {
  description = "Non-secret deployment values (the `furrow config render` output keys) written to /etc/furrow/deployment.json"
  type        = any
}

variable "secret_env" {
  description = "Environment variable name => Secrets Manager secret ARN; the launcher exports each secret when the app starts"
  type        = map(string)
  default     = {}

  validation {
    condition     = alltrue([for k, v in var.secret_env : can(regex("^[A-Z][A-Z0-9_]*$", k)) && can(regex("^arn:[a-z-]+:secretsmanager:", v))])
    error_message = "secret_env maps UPPER_CASE names to Secrets Manager ARNs."
  }
}

variable "iam_role_name" {
  description = "IAM role of the app (created by the app module with its least-privilege policy)"
  type        = string
}

variable "vpc_security_group_ids" {
  description = "Security groups of the instances"
  type        = list(string)
}

variable "subnet_ids" {
  description = "Subnets the instances run in"
  type        = list(string)
}

variable "associate_public_ip_address" {
  description = "Give instances a public IP (needed in public subnets without a NAT gateway, to reach AWS APIs and the package registry)"
  type        = bool
  default     = true
}

variable "instance_type" {
  description = "EC2 instance type"
  type        = string
}

variable "architecture" {
  description = "CPU architecture of instance_type, for the Amazon Linux 2023 AMI: x86_64 or arm64"
  type        = string
  default     = "x86_64"

  validation {
    condition     = contains(["x86_64", "arm64"], var.architecture)
    error_message = "architecture must be x86_64 or arm64."
  }
}

variable "ami_id" {
  description = "AMI to run; empty = the latest Amazon Linux 2023 (pin it to avoid instance refreshes when Amazon publishes a new one)"
  type        = string
  default     = ""
}

variable "ssh_key_name" {
  description = "EC2 key pair for SSH; empty = none"
  type        = string
  default     = ""
}

variable "root_volume_size_gb" {
  description = "Size of the encrypted root volume"
  type        = number
  default     = 10
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

variable "target_group_arns" {
  description = "Load balancer target groups to register instances in"
  type        = list(string)
  default     = []
}

variable "health_check_type" {
  description = "EC2 (instance status + this module's /health watchdog) or ELB (the target group's /health check)"
  type        = string
  default     = "EC2"

  validation {
    condition     = contains(["EC2", "ELB"], var.health_check_type)
    error_message = "health_check_type must be EC2 or ELB."
  }
}

variable "health_check_grace_period_sec" {
  description = "Seconds after launch before health checks count (installing Node and Furrow takes a few minutes)"
  type        = number
  default     = 600
}

variable "health_watchdog_enabled" {
  description = "Poll the app's /health every 30 s and mark the instance Unhealthy in its group after 3 failures (for apps without a load balancer)"
  type        = bool
  default     = true
}

variable "enable_auto_scaling" {
  description = "Add CPU-based scale-up/scale-down policies"
  type        = bool
  default     = true
}

variable "autoscaling" {
  description = "CPU scaling policy (with enable_auto_scaling), any of: scale_up_cooldown_sec (180), scale_up_cpu_threshold_percentage (60), scale_up_eval_minutes (5), scale_down_cooldown_sec (600), scale_down_cpu_threshold_percentage (20), scale_down_eval_minutes (60); one instance is added when the average CPU stays above the up threshold for the up minutes, removed below the down one"
  type        = map(number)
  default     = {}
  nullable    = false

  validation {
    condition     = alltrue([for k in keys(var.autoscaling) : contains(["scale_up_cooldown_sec", "scale_up_cpu_threshold_percentage", "scale_up_eval_minutes", "scale_down_cooldown_sec", "scale_down_cpu_threshold_percentage", "scale_down_eval_minutes"], k)])
    error_message = "autoscaling takes scale_up_cooldown_sec, scale_up_cpu_threshold_percentage, scale_up_eval_minutes, scale_down_cooldown_sec, scale_down_cpu_threshold_percentage and scale_down_eval_minutes only."
  }
}

variable "furrow_version" {
  description = "Exact Furrow release to install (no ranges: every instance of a group runs the same build)"
  type        = string

  validation {
    condition     = can(regex("^[0-9]+\\.[0-9]+\\.[0-9]+(-[0-9A-Za-z.-]+)?$", var.furrow_version))
    error_message = "furrow_version must be an exact version such as 0.1.0."
  }
}

variable "furrow_package" {
  description = "npm package name of the release, when installing from the package registry"
  type        = string
  default     = "furrow"

  validation {
    condition     = can(regex("^(@[a-z0-9._-]+/)?[a-z0-9._-]+$", var.furrow_package))
    error_message = "furrow_package must be an npm package name."
  }
}

variable "furrow_artifact_s3_uri" {
  description = "s3://bucket/key of a release tarball built by terraform/scripts/build-release.sh; empty = install furrow_package@furrow_version from the npm registry"
  type        = string
  default     = ""

  validation {
    condition     = var.furrow_artifact_s3_uri == "" || can(regex("^s3://[a-z0-9][a-z0-9.-]+[a-z0-9]/[A-Za-z0-9!_.*()/-]+$", var.furrow_artifact_s3_uri))
    error_message = "furrow_artifact_s3_uri must look like s3://bucket/path/furrow-0.1.0.tgz."
  }
}

variable "furrow_artifact_sha256" {
  description = "SHA-256 of the tarball at furrow_artifact_s3_uri; the boot script refuses any other file"
  type        = string
  default     = ""

  validation {
    condition     = var.furrow_artifact_sha256 == "" || can(regex("^[0-9a-f]{64}$", var.furrow_artifact_sha256))
    error_message = "furrow_artifact_sha256 must be 64 lowercase hex digits."
  }
}

variable "tags" {
  description = "Tags to add to every resource (propagated to instances)"
  type        = map(string)
  default     = {}
}
