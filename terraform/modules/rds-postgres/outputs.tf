output "address" {
  description = "Host name of the database"
  value       = aws_db_instance.this.address
}

output "port" {
  description = "Port of the database"
  value       = aws_db_instance.this.port
}

output "db_name" {
  description = "Name of the database"
  value       = aws_db_instance.this.db_name
}

output "username" {
  description = "Master user name"
  value       = aws_db_instance.this.username
}

output "password_secret_arn" {
  description = "Secrets Manager secret holding the master password (plain string)"
  value       = aws_secretsmanager_secret.master_password.arn
}

output "security_group_id" {
  description = "Security group of the database"
  value       = aws_security_group.db.id
}
