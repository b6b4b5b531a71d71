data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

# --- IAM: the role of the instances and its least-privilege policy

data "aws_iam_policy_document" "assume_role" {
  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "app" {
  name                 = var.name
  description          = "Furrow Iglu Server: reads its own secrets"
  assume_role_policy   = data.aws_iam_policy_document.assume_role.json
  permissions_boundary = var.iam_permissions_boundary != "" ? var.iam_permissions_boundary : null
  tags                 = var.tags
}

resource "aws_iam_role_policy" "app" {
  name   = var.name
  role   = aws_iam_role.app.id
  policy = data.aws_iam_policy_document.app.json
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

# --- Security group: no ingress except what is listed below; egress for AWS APIs and the package registry

resource "aws_security_group" "app" {
  name        = var.name
  description = "Furrow app ${var.name}"
  vpc_id      = var.vpc_id
  tags        = merge(var.tags, { Name = var.name })
}

resource "aws_security_group_rule" "ingress_ssh" {
  count = length(var.ssh_ip_allowlist) > 0 ? 1 : 0

  description       = "SSH from the operators' addresses"
  type              = "ingress"
  from_port         = 22
  to_port           = 22
  protocol          = "tcp"
  cidr_blocks       = var.ssh_ip_allowlist
  security_group_id = aws_security_group.app.id
}

resource "aws_security_group_rule" "egress_https" {
  description       = "HTTPS to AWS APIs, the package registry and Iglu Central"
  type              = "egress"
  from_port         = 443
  to_port           = 443
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = aws_security_group.app.id
}

resource "aws_security_group_rule" "egress_http" {
  description       = "HTTP to the OS package mirrors and Iglu repositories"
  type              = "egress"
  from_port         = 80
  to_port           = 80
  protocol          = "tcp"
  cidr_blocks       = ["0.0.0.0/0"]
  security_group_id = aws_security_group.app.id
}

resource "aws_security_group_rule" "ingress_from_lb" {
  description              = "App port from the load balancer only"
  type                     = "ingress"
  from_port                = var.ingress_port
  to_port                  = var.ingress_port
  protocol                 = "tcp"
  source_security_group_id = var.lb_security_group_id
  security_group_id        = aws_security_group.app.id
}

# The load balancer's security group has no egress of its own: allow it to reach these instances only.
resource "aws_security_group_rule" "lb_egress_to_app" {
  description              = "Load balancer to ${var.name}"
  type                     = "egress"
  from_port                = var.ingress_port
  to_port                  = var.ingress_port
  protocol                 = "tcp"
  source_security_group_id = aws_security_group.app.id
  security_group_id        = var.lb_security_group_id
}

resource "aws_security_group_rule" "egress_postgres" {
  description              = "PostgreSQL to the Iglu database"
  type                     = "egress"
  from_port                = var.db_port
  to_port                  = var.db_port
  protocol                 = "tcp"
  source_security_group_id = var.db_security_group_id
  security_group_id        = aws_security_group.app.id
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
  vpc_security_group_ids      = [aws_security_group.app.id]
  iam_role_name               = aws_iam_role.app.name

  min_size                            = var.min_size
  max_size                            = var.max_size
  enable_auto_scaling                 = var.enable_auto_scaling
  scale_up_cooldown_sec               = var.scale_up_cooldown_sec
  scale_up_cpu_threshold_percentage   = var.scale_up_cpu_threshold_percentage
  scale_up_eval_minutes               = var.scale_up_eval_minutes
  scale_down_cooldown_sec             = var.scale_down_cooldown_sec
  scale_down_cpu_threshold_percentage = var.scale_down_cpu_threshold_percentage
  scale_down_eval_minutes             = var.scale_down_eval_minutes

  furrow_version         = var.furrow_version
  furrow_package         = var.furrow_package
  furrow_artifact_s3_uri = var.furrow_artifact_s3_uri
  furrow_artifact_sha256 = var.furrow_artifact_sha256

  tags = var.tags
}
