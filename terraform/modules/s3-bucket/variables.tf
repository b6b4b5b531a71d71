variable "bucket_name" {
  description = "Globally unique bucket name; the pipeline writes under raw/, enriched/, bad/ and transformed/"
  type        = string
}

variable "force_destroy" {
  description = "Allow terraform destroy to delete a bucket that still holds objects (loses the archived events)"
  type        = bool
  default     = false
}

variable "versioning_enabled" {
  description = "Keep previous versions of overwritten or deleted objects"
  type        = bool
  default     = false
}

variable "tags" {
  description = "Tags to add to the bucket"
  type        = map(string)
  default     = {}
}
