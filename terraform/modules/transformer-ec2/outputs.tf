output "asg_name" {
  description = "Name of the auto-scaling group"
  value       = module.service.asg_name
}

output "iam_role_name" {
  description = "Name of the app's IAM role"
  value       = module.iam_role.name
}

output "security_group_id" {
  description = "Security group of the instances"
  value       = module.security_group.id
}

output "lease_table_name" {
  description = "DynamoDB lease table of the transformer"
  value       = module.lease_table.name
}
