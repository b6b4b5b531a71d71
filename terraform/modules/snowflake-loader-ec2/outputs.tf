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

output "snowflake_stage_role_arn" {
  description = "Role to name in the Snowflake storage integration (STORAGE_AWS_ROLE_ARN); it exists once snowflake_storage_aws_iam_user_arn is set"
  value       = "arn:${data.aws_partition.current.partition}:iam::${data.aws_caller_identity.current.account_id}:role/${local.stage_role_name}"
}
