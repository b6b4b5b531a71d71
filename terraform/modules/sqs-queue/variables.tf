variable "name" {
  description = "Queue name; a FIFO queue's name ends in .fifo (the quick start uses \"<prefix>-sf-loader.fifo\")"
  type        = string
}

variable "fifo_queue" {
  description = "FIFO queue: the transformer sends shredding_complete messages with a MessageGroupId, and the loader loads windows in order"
  type        = bool
  default     = true
}

variable "content_based_deduplication" {
  description = "Deduplicate FIFO messages by a hash of their body"
  type        = bool
  default     = true
}

variable "visibility_timeout_seconds" {
  description = "Seconds a received message stays hidden (the loader extends it while loading)"
  type        = number
  default     = 300
}

variable "message_retention_seconds" {
  description = "Seconds an unconsumed message is kept (60 to 1,209,600)"
  type        = number
  default     = 345600
}

variable "dead_letter_queue_enabled" {
  description = "Create a dead-letter queue; the loader moves messages it cannot load there, and SQS moves any message received max_receive_count times"
  type        = bool
  default     = true
}

variable "max_receive_count" {
  description = "Receives after which SQS itself moves a message to the dead-letter queue (above the loader's own maxDeliveries of 5, so the loader records why first)"
  type        = number
  default     = 10
}

variable "tags" {
  description = "Tags to add to the queues"
  type        = map(string)
  default     = {}
}
