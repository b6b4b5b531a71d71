data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

# --- IAM: the role of the instances (EC2 trust) with this app's least-privilege policy

module "iam_role" {
  source = "../app-iam-role"

  name                     = var.name
  description              = "Furrow Iglu Server: reads its own secrets"
  policy_json              = data.aws_iam_policy_document.app.json
  iam_permissions_boundary = var.iam_permissions_boundary
  tags                     = var.tags
}

data "aws_iam_policy_document" "app" {
  # The Iglu Server touches no AWS data: it only needs its database password and super API key at start-up.
  statement {
    sid     = "ReadOwnSecrets"
    actions = ["secretsmanager:GetSecretValue"]
    resources = [
      var.db_password_secret_arn,
      var.super_api_key_secret_arn,
    ]
  }
}

# --- Security group: SSH from listed addresses only, the app port from the load balancer only; web egress

module "security_group" {
  source = "../app-security-group"

  name             = var.name
  vpc_id           = var.vpc_id
  ssh_ip_allowlist = var.ssh_ip_allowlist

  load_balancer = {
    security_group_id = var.lb_security_group_id
    port              = var.ingress_port
  }

  tags = var.tags
}

resource "aws_security_group_rule" "egress_postgres" {
  description              = "PostgreSQL to the Iglu database"
  type                     = "egress"
  from_port                = var.db_port
  to_port                  = var.db_port
  protocol                 = "tcp"
  source_security_group_id = var.db_security_group_id
  security_group_id        = module.security_group.id
}

locals {
  deployment = {
    aws_region       = data.aws_region.current.name
    iglu_server_port = var.ingress_port
    iglu_db_address  = var.db_address
    iglu_db_port     = var.db_port
    iglu_db_name     = var.db_name
    iglu_db_username = var.db_username
    config_overrides = {
      "iglu-server" = [local.app_settings, var.config_overrides]
    }
  }
  # This module's own settings for the igluServer section (the user's config_overrides win).
  app_settings = {
    patchesAllowed = var.patches_allowed
  }
  secret_env = {
    IGLU_DB_PASSWORD   = var.db_password_secret_arn
    IGLU_SUPER_API_KEY = var.super_api_key_secret_arn
  }
}

# --- EC2: the app in an auto-scaling group (launch template, user_data, scaling policies)

module "service" {
  source = "../service-ec2"

  name           = var.name
  app_command    = "iglu-server"
  app_args       = ["--auto-setup"]
  render_app     = "iglu-server"
  config_section = "igluServer"
  deployment     = local.deployment
  secret_env     = local.secret_env

  target_group_arns       = [var.lb_target_group_arn]
  health_check_type       = "ELB"
  health_watchdog_enabled = false

  instance_type               = var.instance_type
  architecture                = var.architecture
  ami_id                      = var.ami_id
  ssh_key_name                = var.ssh_key_name
  subnet_ids                  = var.subnet_ids
  associate_public_ip_address = var.associate_public_ip_address
  vpc_security_group_ids      = [module.security_group.id]
  iam_role_name               = module.iam_role.name

  min_size            = var.min_size
  max_size            = var.max_size
  enable_auto_scaling = var.enable_auto_scaling
  autoscaling         = var.autoscaling

  furrow_version         = var.furrow_version
  furrow_package         = var.furrow_package
  furrow_artifact_s3_uri = var.furrow_artifact_s3_uri
  furrow_artifact_sha256 = var.furrow_artifact_sha256

  tags = var.tags
}
