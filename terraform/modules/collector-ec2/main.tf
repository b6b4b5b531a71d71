data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

# --- IAM: the role of the instances (EC2 trust) with this app's least-privilege policy

module "iam_role" {
  source = "../app-iam-role"

  name                     = var.name
  description              = "Furrow collector: writes the raw and bad-1 streams"
  policy_json              = data.aws_iam_policy_document.app.json
  iam_permissions_boundary = var.iam_permissions_boundary
  tags                     = var.tags
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
    # One HTTP worker process per vCPU of whatever instance type is chosen.
    workers = "auto"
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
