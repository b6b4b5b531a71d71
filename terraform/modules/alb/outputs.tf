output "dns_name" {
  description = "DNS name of the load balancer (point trackers or a CNAME here)"
  value       = aws_lb.this.dns_name
}

output "zone_id" {
  description = "Route 53 zone of the load balancer, for an alias record"
  value       = aws_lb.this.zone_id
}

output "arn" {
  description = "ARN of the load balancer"
  value       = aws_lb.this.arn
}

output "security_group_id" {
  description = "Security group of the load balancer (the app module allows ingress from it)"
  value       = aws_security_group.lb.id
}

output "target_group_arn" {
  description = "Target group the app's auto-scaling group registers into"
  value       = aws_lb_target_group.this.arn
}
