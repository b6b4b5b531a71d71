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

output "ingress_port" {
  description = "Port the app listens on behind the load balancer"
  value       = var.ingress_port
}
