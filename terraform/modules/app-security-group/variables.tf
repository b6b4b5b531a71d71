variable "name" {
  description = "Name of the security group (the app's name)"
  type        = string
}

variable "vpc_id" {
  description = "VPC to create the security group in"
  type        = string
}

variable "ssh_ip_allowlist" {
  description = "CIDR blocks allowed to SSH to the instances; empty = no SSH ingress at all"
  type        = list(string)
  default     = []

  validation {
    condition     = !contains(var.ssh_ip_allowlist, "0.0.0.0/0") && !contains(var.ssh_ip_allowlist, "::/0")
    error_message = "SSH must not be open to the whole internet; list your own address, e.g. 203.0.113.7/32."
  }
}

variable "load_balancer" {
  description = "Load balancer in front of the app: its security group (alb module output) and the app port it forwards to; null = none"
  type = object({
    security_group_id = string
    port              = number
  })
  default = null
}

variable "tags" {
  description = "Tags to add to the security group"
  type        = map(string)
  default     = {}
}
