output "read_scaling_policy_arn" {
  description = "ARN of the read-capacity target-tracking policy"
  value       = aws_appautoscaling_policy.read.arn
}

output "write_scaling_policy_arn" {
  description = "ARN of the write-capacity target-tracking policy"
  value       = aws_appautoscaling_policy.write.arn
}
