variable "name" {
  description = "The name of the stream (the quick start uses \"<prefix>-raw-stream\", \"-enriched-stream\", \"-bad-1-stream\", \"-bad-2-stream\")"
  type        = string
}

variable "shard_count" {
  description = "Number of shards (PROVISIONED mode only); one shard takes 1 MB/s or 1,000 records/s in and 2 MB/s out"
  type        = number
  default     = 1
}

variable "stream_mode" {
  description = "Capacity mode: PROVISIONED (billed per shard) or ON_DEMAND (higher base cost, no shard management)"
  type        = string
  default     = "PROVISIONED"

  validation {
    condition     = contains(["PROVISIONED", "ON_DEMAND"], var.stream_mode)
    error_message = "stream_mode must be PROVISIONED or ON_DEMAND."
  }
}

variable "retention_period" {
  description = "Hours a record stays readable (24 to 8760); consumers that fall further behind lose data"
  type        = number
  default     = 24
}

variable "shard_level_metrics" {
  description = "Shard-level CloudWatch metrics to enable, e.g. [\"IncomingBytes\", \"IteratorAgeMilliseconds\"]"
  type        = list(string)
  default     = []
}

variable "encryption_type" {
  description = "Encryption at rest: KMS or NONE"
  type        = string
  default     = "KMS"
}

variable "kms_key_id" {
  description = "KMS key for encryption at rest; the AWS managed key needs no extra IAM permission for producers and consumers"
  type        = string
  default     = "alias/aws/kinesis"
}

variable "enforce_consumer_deletion" {
  description = "Deregister enhanced fan-out consumers on destroy so the stream can be deleted"
  type        = bool
  default     = true
}

variable "tags" {
  description = "Tags to add to the stream"
  type        = map(string)
  default     = {}
}
