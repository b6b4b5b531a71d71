variable "name" {
  description = "Name of the role and of its inline policy (the app's name)"
  type        = string
}

variable "description" {
  description = "What the app does with its grants, shown on the role"
  type        = string
}

variable "policy_json" {
  description = "The app's least-privilege permission policy: the json of an aws_iam_policy_document in the app module"
  type        = string
}

variable "iam_permissions_boundary" {
  description = "Permissions boundary ARN for the role; empty = none"
  type        = string
  default     = ""
}

variable "tags" {
  description = "Tags to add to the role"
  type        = map(string)
  default     = {}
}
