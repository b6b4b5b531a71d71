locals {
  dead_letter_queue_name = var.fifo_queue ? "${trimsuffix(var.name, ".fifo")}-dlq.fifo" : "${var.name}-dlq"
}

resource "aws_sqs_queue" "dead_letter" {
  count = var.dead_letter_queue_enabled ? 1 : 0

  name                        = local.dead_letter_queue_name
  fifo_queue                  = var.fifo_queue
  content_based_deduplication = var.fifo_queue ? var.content_based_deduplication : null
  message_retention_seconds   = 1209600
  sqs_managed_sse_enabled     = true
  tags                        = var.tags
}

resource "aws_sqs_queue" "this" {
  name                        = var.name
  fifo_queue                  = var.fifo_queue
  content_based_deduplication = var.fifo_queue ? var.content_based_deduplication : null
  visibility_timeout_seconds  = var.visibility_timeout_seconds
  message_retention_seconds   = var.message_retention_seconds
  # SSE-SQS: encrypted at rest with no KMS permission needed by the transformer or the loader.
  sqs_managed_sse_enabled = true

  redrive_policy = var.dead_letter_queue_enabled ? jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dead_letter[0].arn
    maxReceiveCount     = var.max_receive_count
  }) : null

  tags = var.tags

  lifecycle {
    precondition {
      condition     = !var.fifo_queue || endswith(var.name, ".fifo")
      error_message = "A FIFO queue's name must end in .fifo."
    }
  }
}
