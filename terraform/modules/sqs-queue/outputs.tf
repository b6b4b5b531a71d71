output "name" {
  description = "Name of the queue"
  value       = aws_sqs_queue.this.name
}

output "arn" {
  description = "ARN of the queue"
  value       = aws_sqs_queue.this.arn
}

output "url" {
  description = "URL of the queue"
  value       = aws_sqs_queue.this.url
}

output "dead_letter_queue_name" {
  description = "Name of the dead-letter queue (empty when disabled)"
  value       = var.dead_letter_queue_enabled ? aws_sqs_queue.dead_letter[0].name : ""
}

output "dead_letter_queue_arn" {
  description = "ARN of the dead-letter queue (empty when disabled)"
  value       = var.dead_letter_queue_enabled ? aws_sqs_queue.dead_letter[0].arn : ""
}
