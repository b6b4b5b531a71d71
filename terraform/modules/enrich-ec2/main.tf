data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

# --- IAM: the role of the instances (EC2 trust) with this app's least-privilege policy

module "iam_role" {
  source = "../app-iam-role"

  name                     = var.name
  description              = "Furrow enrich: reads raw, writes enriched and bad-1"
  policy_json              = data.aws_iam_policy_document.app.json
  iam_permissions_boundary = var.iam_permissions_boundary
  tags                     = var.tags
}

data "aws_iam_policy_document" "app" {
  statement {
    sid = "ReadRaw"
    actions = [
      "kinesis:ListShards",
      "kinesis:GetShardIterator",
      "kinesis:GetRecords",
    ]
    resources = ["arn:${data.aws_partition.current.partition}:kinesis:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:stream/${var.in_stream_name}"]
  }

  statement {
    sid     = "WriteEnrichedAndBad1"
    actions = ["kinesis:PutRecord", "kinesis:PutRecords"]
    resources = [
      "arn:${data.aws_partition.current.partition}:kinesis:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:stream/${var.enriched_stream_name}",
      "arn:${data.aws_partition.current.partition}:kinesis:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:stream/${var.bad_stream_name}",
    ]
  }

  # Own lease table only. CreateTable too: the consumer calls it at start-up and treats "already exists" as
  # success, so without it the app could not start; on an existing table AWS answers ResourceInUseException.
  statement {
    sid = "OwnLeaseTable"
    actions = [
      "dynamodb:CreateTable",
      "dynamodb:DescribeTable",
      "dynamodb:Scan",
      "dynamodb:GetItem",
      "dynamodb:PutItem",
      "dynamodb:UpdateItem",
      "dynamodb:DeleteItem",
    ]
    resources = [module.lease_table.arn]
  }
}

data "aws_iam_policy_document" "iglu_api_key" {
  count = var.iglu_key_enabled ? 1 : 0

  statement {
    sid       = "ReadIgluApiKey"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.iglu_api_key_secret_arn]
  }
}

resource "aws_iam_role_policy" "iglu_api_key" {
  count = var.iglu_key_enabled ? 1 : 0

  name   = "${var.name}-iglu-api-key"
  role   = module.iam_role.id
  policy = data.aws_iam_policy_document.iglu_api_key[0].json
}

# --- Security group: no ingress but SSH from listed addresses; egress for AWS APIs and the package registry

module "security_group" {
  source = "../app-security-group"

  name             = var.name
  vpc_id           = var.vpc_id
  ssh_ip_allowlist = var.ssh_ip_allowlist
  tags             = var.tags
}

# --- DynamoDB: the KCL-compatible lease table of this app (leases and checkpoints), auto-scaled

module "lease_table" {
  source = "../kcl-lease-table"

  name               = var.name
  read_min_capacity  = var.kcl_read_min_capacity
  read_max_capacity  = var.kcl_read_max_capacity
  write_min_capacity = var.kcl_write_min_capacity
  write_max_capacity = var.kcl_write_max_capacity
  tags               = var.tags
}

locals {
  deployment = {
    aws_region           = data.aws_region.current.name
    raw_stream_name      = var.in_stream_name
    enriched_stream_name = var.enriched_stream_name
    bad_1_stream_name    = var.bad_stream_name
    enrich_lease_table   = module.lease_table.name
    iglu_server_url      = var.iglu_server_url
    health_port          = var.health_port
    config_overrides = {
      enrich = [local.app_settings, var.config_overrides]
    }
  }
  # This module's own settings for the enrich section (the user's config_overrides win).
  app_settings = {
    initialPosition = var.initial_position
  }
  secret_env = var.iglu_key_enabled ? { IGLU_API_KEY = var.iglu_api_key_secret_arn } : {}
}

# --- EC2: the app in an auto-scaling group (launch template, user_data, scaling policies)

module "service" {
  source = "../service-ec2"

  name           = var.name
  app_command    = "enrich"
  app_args       = []
  render_app     = "enrich"
  config_section = "enrich"
  deployment     = local.deployment
  secret_env     = local.secret_env

  health_check_type       = "EC2"
  health_watchdog_enabled = var.health_watchdog_enabled

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
