# The master password is generated here and kept in Secrets Manager; apps read it at start-up by ARN.
# Alphanumeric only, so it can sit in a postgres:// URL without escaping. (It is also in the Terraform state:
# keep the state in an encrypted, access-controlled backend.)
resource "random_password" "master" {
  length  = 32
  special = false
}

resource "aws_secretsmanager_secret" "master_password" {
  name_prefix = "${var.name}-db-password-"
  description = "Master password of the ${var.name} PostgreSQL database"
  tags        = var.tags
}

resource "aws_secretsmanager_secret_version" "master_password" {
  secret_id     = aws_secretsmanager_secret.master_password.id
  secret_string = random_password.master.result
}

resource "aws_security_group" "db" {
  name        = var.name
  description = "PostgreSQL ${var.name}: only from the allowed security groups"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = var.name })
}

resource "aws_security_group_rule" "ingress_postgres" {
  count = length(var.ingress_security_group_ids)

  description              = "PostgreSQL from an allowed app"
  type                     = "ingress"
  from_port                = var.port
  to_port                  = var.port
  protocol                 = "tcp"
  source_security_group_id = var.ingress_security_group_ids[count.index]
  security_group_id        = aws_security_group.db.id
}

resource "aws_db_subnet_group" "this" {
  name       = var.name
  subnet_ids = var.subnet_ids
  tags       = var.tags
}

resource "aws_db_instance" "this" {
  identifier        = var.name
  engine            = "postgres"
  engine_version    = var.engine_version
  instance_class    = var.instance_class
  allocated_storage = var.allocated_storage
  storage_type      = var.storage_type
  storage_encrypted = true

  db_name  = var.db_name
  username = var.username
  password = random_password.master.result
  port     = var.port

  db_subnet_group_name   = aws_db_subnet_group.this.name
  vpc_security_group_ids = [aws_security_group.db.id]
  publicly_accessible    = false
  multi_az               = var.multi_az

  backup_retention_period   = var.backup_retention_period
  deletion_protection       = var.deletion_protection
  skip_final_snapshot       = var.skip_final_snapshot
  final_snapshot_identifier = var.skip_final_snapshot ? null : "${var.name}-final"
  copy_tags_to_snapshot     = true

  tags = var.tags
}
