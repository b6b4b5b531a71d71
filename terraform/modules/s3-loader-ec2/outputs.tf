output "asg_name" {
  description = "Name of the auto-scaling group"
  value       = module.service.asg_name
}

output "iam_role_name" {
  description = "Name of the app's IAM role"
  value       = aws_iam_role.app.name
}

output "security_group_id" {
  description = "Security group of the instances"
  value       = aws_security_group.app.id
}

output "lease_table_name" {
  description = "DynamoDB lease table of this loader"
  value       = aws_dynamodb_table.lease.name
}
