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
  description          = "Furrow collector: writes the raw and bad-1 streams"
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
  statement {
    sid     = "WriteRawAndBad1"
    actions = ["kinesis:PutRecord", "kinesis:PutRecords"]
    resources = [
      "arn:${data.aws_partition.current.partition}:kinesis:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:stream/${var.good_stream_name}",
      "arn:${data.aws_partition.current.partition}:kinesis:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:stream/${var.bad_stream_name}",
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

locals {
  deployment = {
    aws_region        = data.aws_region.current.name
    raw_stream_name   = var.good_stream_name
    bad_1_stream_name = var.bad_stream_name
    collector_port    = var.ingress_port
    config_overrides = {
      collector = [local.app_settings, var.config_overrides]
    }
  }
  # This module's own settings for the collector section (the user's config_overrides win).
  app_settings = {
    paths  = var.custom_paths
    cookie = { domains = var.cookie_domains }
  }
  secret_env = {}
}

# --- EC2: the app in an auto-scaling group (launch template, user_data, scaling policies)

module "service" {
  source = "../service-ec2"

  name           = var.name
  app_command    = "collector"
  app_args       = []
  render_app     = "collector"
  config_section = "collector"
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
