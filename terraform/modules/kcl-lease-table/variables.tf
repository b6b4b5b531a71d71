variable "name" {
  description = "Name of the table: the consumer's application name"
  type        = string
}

variable "read_min_capacity" {
  description = "Minimum read capacity of the table"
  type        = number
}

variable "read_max_capacity" {
  description = "Maximum read capacity of the table"
  type        = number
}

variable "write_min_capacity" {
  description = "Minimum write capacity of the table"
  type        = number
}

variable "write_max_capacity" {
  description = "Maximum write capacity of the table"
  type        = number
}

variable "tags" {
  description = "Tags to add to the table"
  type        = map(string)
  default     = {}
}
