output "name" {
  description = "Name of the role"
  value       = aws_iam_role.this.name
}

output "id" {
  description = "ID of the role (its name), for attaching further inline policies"
  value       = aws_iam_role.this.id
}

output "arn" {
  description = "ARN of the role"
  value       = aws_iam_role.this.arn
}
