variable "table_name" {
  description = "Name of the provisioned-capacity DynamoDB table to auto-scale (a KCL lease table)"
  type        = string
}

variable "read_min_capacity" {
  description = "Minimum read capacity units"
  type        = number
  default     = 1
}

variable "read_max_capacity" {
  description = "Maximum read capacity units"
  type        = number
  default     = 50
}

variable "read_target_value" {
  description = "Target read utilization, percent"
  type        = number
  default     = 85
}

variable "read_scale_in_cooldown" {
  description = "Seconds after a scaling action before read capacity may scale in"
  type        = number
  default     = 300
}

variable "read_scale_out_cooldown" {
  description = "Seconds after a scaling action before read capacity may scale out"
  type        = number
  default     = 30
}

variable "write_min_capacity" {
  description = "Minimum write capacity units"
  type        = number
  default     = 1
}

variable "write_max_capacity" {
  description = "Maximum write capacity units: the ceiling for lease renewals plus checkpoints (the apps' kcl_write_max_capacity)"
  type        = number
  default     = 50
}

variable "write_target_value" {
  description = "Target write utilization, percent"
  type        = number
  default     = 85
}

variable "write_scale_in_cooldown" {
  description = "Seconds after a scaling action before write capacity may scale in"
  type        = number
  default     = 300
}

variable "write_scale_out_cooldown" {
  description = "Seconds after a scaling action before write capacity may scale out"
  type        = number
  default     = 30
}
