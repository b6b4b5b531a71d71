output "name" {
  description = "Name of the lease table"
  value       = aws_dynamodb_table.this.name
}

output "arn" {
  description = "ARN of the lease table (for the consumer's own grant)"
  value       = aws_dynamodb_table.this.arn
}
