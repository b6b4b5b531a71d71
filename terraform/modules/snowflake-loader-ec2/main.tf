data "aws_partition" "current" {}
data "aws_region" "current" {}
data "aws_caller_identity" "current" {}

# --- IAM: the role of the instances (EC2 trust) with this app's least-privilege policy

module "iam_role" {
  source = "../app-iam-role"

  name                     = var.name
  description              = "Furrow Snowflake loader: loads windows announced on its queue"
  policy_json              = data.aws_iam_policy_document.app.json
  iam_permissions_boundary = var.iam_permissions_boundary
  tags                     = var.tags
}

locals {
  bucket_arn      = "arn:${data.aws_partition.current.partition}:s3:::${var.bucket_name}"
  queue_arn       = "arn:${data.aws_partition.current.partition}:sqs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:${var.queue_name}"
  stage_role_name = "${var.name}-snowflake-stage"
}

data "aws_iam_policy_document" "app" {
  statement {
    sid = "ConsumeQueue"
    actions = [
      "sqs:GetQueueUrl",
      "sqs:GetQueueAttributes",
      "sqs:ReceiveMessage",
      "sqs:ChangeMessageVisibility",
      "sqs:DeleteMessage",
    ]
    resources = [local.queue_arn]
  }

  statement {
    sid       = "ReadTransformed"
    actions   = ["s3:GetObject"]
    resources = ["${local.bucket_arn}/transformed/*"]
  }

  # Listing is a bucket-level action: restrict it to keys under transformed/.
  statement {
    sid       = "ListTransformed"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["transformed/*"]
    }
  }

  statement {
    sid       = "ReadSnowflakePassword"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.snowflake_password_secret_arn]
  }
}

data "aws_iam_policy_document" "dead_letter" {
  count = var.dead_letter_queue_name != "" ? 1 : 0

  statement {
    sid       = "MoveToDeadLetterQueue"
    actions   = ["sqs:GetQueueUrl", "sqs:SendMessage"]
    resources = ["arn:${data.aws_partition.current.partition}:sqs:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:${var.dead_letter_queue_name}"]
  }
}

resource "aws_iam_role_policy" "dead_letter" {
  count = var.dead_letter_queue_name != "" ? 1 : 0

  name   = "${var.name}-dead-letter"
  role   = module.iam_role.id
  policy = data.aws_iam_policy_document.dead_letter[0].json
}

# --- IAM: the role Snowflake assumes (through a storage integration) to read transformed/ for COPY INTO

data "aws_iam_policy_document" "stage_trust" {
  count = var.snowflake_storage_aws_iam_user_arn != "" ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "AWS"
      identifiers = [var.snowflake_storage_aws_iam_user_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "sts:ExternalId"
      values   = [var.snowflake_storage_aws_external_id]
    }
  }
}

data "aws_iam_policy_document" "stage" {
  statement {
    sid       = "ReadTransformed"
    actions   = ["s3:GetObject", "s3:GetObjectVersion"]
    resources = ["${local.bucket_arn}/transformed/*"]
  }

  statement {
    sid       = "ListTransformed"
    actions   = ["s3:ListBucket"]
    resources = [local.bucket_arn]

    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["transformed/*"]
    }
  }

  # Snowflake asks where the bucket is before reading it; this action exists only at bucket level.
  statement {
    sid       = "LocateBucket"
    actions   = ["s3:GetBucketLocation"]
    resources = [local.bucket_arn]
  }
}

resource "aws_iam_role" "stage" {
  count = var.snowflake_storage_aws_iam_user_arn != "" ? 1 : 0

  name                 = local.stage_role_name
  description          = "Snowflake reads ${var.bucket_name}/transformed/ through this role (storage integration)"
  assume_role_policy   = data.aws_iam_policy_document.stage_trust[0].json
  permissions_boundary = var.iam_permissions_boundary != "" ? var.iam_permissions_boundary : null
  tags                 = var.tags
}

resource "aws_iam_role_policy" "stage" {
  count = var.snowflake_storage_aws_iam_user_arn != "" ? 1 : 0

  name   = local.stage_role_name
  role   = aws_iam_role.stage[0].id
  policy = data.aws_iam_policy_document.stage.json
}

# --- Security group: no ingress but SSH from listed addresses; egress for AWS APIs and the package registry

module "security_group" {
  source = "../app-security-group"

  name             = var.name
  vpc_id           = var.vpc_id
  ssh_ip_allowlist = var.ssh_ip_allowlist
  tags             = var.tags
}

locals {
  deployment = {
    aws_region                    = data.aws_region.current.name
    bucket_name                   = var.bucket_name
    queue_name                    = var.queue_name
    snowflake_account             = var.snowflake_account
    snowflake_region              = var.snowflake_region
    snowflake_loader_user         = var.snowflake_loader_user
    snowflake_warehouse           = var.snowflake_warehouse
    snowflake_database            = var.snowflake_database
    snowflake_schema              = var.snowflake_schema
    snowflake_role                = var.snowflake_role
    snowflake_storage_integration = var.snowflake_storage_integration
    health_port                   = var.health_port
    config_overrides = {
      loader = [local.app_settings, var.config_overrides]
    }
  }
  # Everything the loader needs comes from the keys above; nothing extra for its section.
  app_settings = {}
  secret_env = {
    SNOWFLAKE_PASSWORD = var.snowflake_password_secret_arn
  }
}

# --- EC2: the app in an auto-scaling group (launch template, user_data, scaling policies)

module "service" {
  source = "../service-ec2"

  name           = var.name
  app_command    = "loader"
  app_args       = []
  render_app     = "loader"
  config_section = "loader"
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

  # One loader per queue: a FIFO queue is consumed in order, and loads of one window must not overlap.
  min_size            = 1
  max_size            = 1
  enable_auto_scaling = false

  furrow_version         = var.furrow_version
  furrow_package         = var.furrow_package
  furrow_artifact_s3_uri = var.furrow_artifact_s3_uri
  furrow_artifact_sha256 = var.furrow_artifact_sha256

  tags = var.tags
}
