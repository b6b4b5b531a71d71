variable "name" {
  description = "Name of the load balancer and its security group (32 characters at most)"
  type        = string

  validation {
    condition     = length(var.name) <= 32
    error_message = "An ALB name has at most 32 characters."
  }
}

variable "vpc_id" {
  description = "VPC to deploy into"
  type        = string
}

variable "subnet_ids" {
  description = "Public subnets, in at least two availability zones"
  type        = list(string)
}

variable "ip_allowlist" {
  description = "CIDR blocks allowed to reach the load balancer on 80/443 (trackers on the internet need 0.0.0.0/0)"
  type        = list(string)
  default     = ["0.0.0.0/0"]
}

variable "http_enabled" {
  description = "Listen for plain HTTP on port 80"
  type        = bool
  default     = true
}

variable "ssl_certificate_arn" {
  description = "ACM certificate for an HTTPS listener on 443; empty = no HTTPS listener"
  type        = string
  default     = ""
}

variable "ssl_policy" {
  description = "TLS policy of the HTTPS listener"
  type        = string
  default     = "ELBSecurityPolicy-TLS13-1-2-2021-06"
}

variable "target_port" {
  description = "Port the app instances listen on (the target group's port)"
  type        = number
  default     = 8080
}

variable "health_check_path" {
  description = "Path the target group polls; 200 means the instance can take traffic"
  type        = string
  default     = "/health"
}

variable "health_check_matcher" {
  description = "HTTP codes that count as healthy"
  type        = string
  default     = "200"
}

variable "deregistration_delay" {
  description = "Seconds a deregistering target keeps its in-flight requests (the collector's preTerminationPeriod covers this)"
  type        = number
  default     = 30
}

variable "idle_timeout" {
  description = "Seconds an idle connection is kept (below the collector's 610 s keep-alive, as Snowplow recommends)"
  type        = number
  default     = 60
}

variable "internal" {
  description = "Internal load balancer (private IPs only)"
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags to add to every resource"
  type        = map(string)
  default     = {}
}
