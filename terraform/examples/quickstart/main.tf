# Furrow quick start: the Snowplow quick start's AWS pipeline (collector, enrich, Iglu Server, S3 loaders,
# transformer, Snowflake loader) built from this repository's modules. Every app gets its config from
# `furrow config render --target aws` on the instance; secrets stay in Secrets Manager.

provider "aws" {
  region = var.region

  default_tags {
    tags = merge(var.tags, { furrow_deployment = var.prefix })
  }
}

data "aws_caller_identity" "current" {}

# --- Network: the default VPC unless told otherwise

data "aws_vpc" "default" {
  count = var.vpc_id == "" ? 1 : 0

  default = true
}

data "aws_subnets" "default" {
  count = length(var.subnet_ids) == 0 ? 1 : 0

  filter {
    name   = "vpc-id"
    values = [local.vpc_id]
  }

  filter {
    name   = "default-for-az"
    values = ["true"]
  }
}

locals {
  vpc_id      = var.vpc_id != "" ? var.vpc_id : data.aws_vpc.default[0].id
  subnet_ids  = length(var.subnet_ids) > 0 ? var.subnet_ids : data.aws_subnets.default[0].ids
  bucket_name = var.s3_bucket_name != "" ? var.s3_bucket_name : "${var.prefix}-pipeline-${data.aws_caller_identity.current.account_id}-${var.region}"
  # Enrich resolves schemas through the Iglu Server's load balancer.
  iglu_server_url = "${var.iglu_ssl_certificate_arn != "" ? "https" : "http"}://${module.iglu_lb.dns_name}"
}

# --- Streams, bucket, queue

module "raw_stream" {
  source = "../../modules/kinesis-stream"

  name        = "${var.prefix}-raw-stream"
  shard_count = var.stream_shard_count
}

module "bad_1_stream" {
  source = "../../modules/kinesis-stream"

  name        = "${var.prefix}-bad-1-stream"
  shard_count = var.stream_shard_count
}

module "enriched_stream" {
  source = "../../modules/kinesis-stream"

  name        = "${var.prefix}-enriched-stream"
  shard_count = var.stream_shard_count
}

module "bad_2_stream" {
  source = "../../modules/kinesis-stream"

  name        = "${var.prefix}-bad-2-stream"
  shard_count = var.stream_shard_count
}

module "pipeline_bucket" {
  source = "../../modules/s3-bucket"

  bucket_name   = local.bucket_name
  force_destroy = var.s3_bucket_force_destroy
}

module "loader_queue" {
  source = "../../modules/sqs-queue"

  name = "${var.prefix}-sf-loader.fifo"
}

# --- Secrets: created here, read by the apps at start-up by ARN (never placed in user_data)

resource "random_uuid" "iglu_super_api_key" {}

resource "aws_secretsmanager_secret" "iglu_super_api_key" {
  name_prefix = "${var.prefix}-iglu-super-api-key-"
  description = "Iglu Server super API key of ${var.prefix}"
}

resource "aws_secretsmanager_secret_version" "iglu_super_api_key" {
  secret_id     = aws_secretsmanager_secret.iglu_super_api_key.id
  secret_string = random_uuid.iglu_super_api_key.result
}

resource "aws_secretsmanager_secret" "snowflake_password" {
  name_prefix = "${var.prefix}-snowflake-loader-password-"
  description = "Password of the Snowflake loader user of ${var.prefix}"
}

resource "aws_secretsmanager_secret_version" "snowflake_password" {
  secret_id     = aws_secretsmanager_secret.snowflake_password.id
  secret_string = var.snowflake_loader_password
}

# --- Iglu: load balancer, server, database

module "iglu_lb" {
  source = "../../modules/alb"

  name                = "${var.prefix}-iglu-lb"
  vpc_id              = local.vpc_id
  subnet_ids          = local.subnet_ids
  ip_allowlist        = var.iglu_ip_allowlist
  ssl_certificate_arn = var.iglu_ssl_certificate_arn
  health_check_path   = "/health"
}

module "iglu_db" {
  source = "../../modules/rds-postgres"

  name                       = "${var.prefix}-iglu-db"
  vpc_id                     = local.vpc_id
  subnet_ids                 = local.subnet_ids
  ingress_security_group_ids = [module.iglu_server.security_group_id]
  skip_final_snapshot        = var.iglu_db_skip_final_snapshot
}

module "iglu_server" {
  source = "../../modules/iglu-server-ec2"

  name       = "${var.prefix}-iglu-server"
  vpc_id     = local.vpc_id
  subnet_ids = local.subnet_ids

  lb_security_group_id = module.iglu_lb.security_group_id
  lb_target_group_arn  = module.iglu_lb.target_group_arn

  db_address               = module.iglu_db.address
  db_port                  = module.iglu_db.port
  db_name                  = module.iglu_db.db_name
  db_username              = module.iglu_db.username
  db_password_secret_arn   = module.iglu_db.password_secret_arn
  db_security_group_id     = module.iglu_db.security_group_id
  super_api_key_secret_arn = aws_secretsmanager_secret.iglu_super_api_key.arn

  ssh_key_name           = var.ssh_key_name
  ssh_ip_allowlist       = var.ssh_ip_allowlist
  furrow_version         = var.furrow_version
  furrow_artifact_s3_uri = var.furrow_artifact_s3_uri
  furrow_artifact_sha256 = var.furrow_artifact_sha256

  # The key must have a value before the first instance reads it.
  depends_on = [aws_secretsmanager_secret_version.iglu_super_api_key]
}

# --- Collector: load balancer and server

module "collector_lb" {
  source = "../../modules/alb"

  name                = "${var.prefix}-collector-lb"
  vpc_id              = local.vpc_id
  subnet_ids          = local.subnet_ids
  ip_allowlist        = var.collector_ip_allowlist
  ssl_certificate_arn = var.collector_ssl_certificate_arn
  health_check_path   = "/health"
}

module "collector" {
  source = "../../modules/collector-ec2"

  name       = "${var.prefix}-collector"
  vpc_id     = local.vpc_id
  subnet_ids = local.subnet_ids

  good_stream_name     = module.raw_stream.name
  bad_stream_name      = module.bad_1_stream.name
  lb_security_group_id = module.collector_lb.security_group_id
  lb_target_group_arn  = module.collector_lb.target_group_arn

  ssh_key_name           = var.ssh_key_name
  ssh_ip_allowlist       = var.ssh_ip_allowlist
  furrow_version         = var.furrow_version
  furrow_artifact_s3_uri = var.furrow_artifact_s3_uri
  furrow_artifact_sha256 = var.furrow_artifact_sha256
}

# --- Enrich

module "enrich" {
  source = "../../modules/enrich-ec2"

  name       = "${var.prefix}-enrich"
  vpc_id     = local.vpc_id
  subnet_ids = local.subnet_ids

  in_stream_name       = module.raw_stream.name
  enriched_stream_name = module.enriched_stream.name
  bad_stream_name      = module.bad_1_stream.name
  iglu_server_url      = local.iglu_server_url
  # As in Snowplow's quick start, enrich authenticates to the Iglu Server with the super key (private schemas
  # need a key; a read-only key minted after the first deploy is the tighter choice).
  iglu_key_enabled        = true
  iglu_api_key_secret_arn = aws_secretsmanager_secret.iglu_super_api_key.arn

  kcl_write_max_capacity = var.pipeline_kcl_write_max_capacity

  ssh_key_name           = var.ssh_key_name
  ssh_ip_allowlist       = var.ssh_ip_allowlist
  furrow_version         = var.furrow_version
  furrow_artifact_s3_uri = var.furrow_artifact_s3_uri
  furrow_artifact_sha256 = var.furrow_artifact_sha256

  depends_on = [aws_secretsmanager_secret_version.iglu_super_api_key]
}

# --- S3 loaders: raw/, enriched/ and bad/; whatever a loader cannot write goes to bad-2

module "s3_loader_raw" {
  source = "../../modules/s3-loader-ec2"
  count  = var.s3_loader_raw_enabled ? 1 : 0

  name       = "${var.prefix}-s3-loader-raw"
  vpc_id     = local.vpc_id
  subnet_ids = local.subnet_ids

  purpose         = "raw"
  in_stream_name  = module.raw_stream.name
  bad_stream_name = module.bad_2_stream.name
  bucket_name     = module.pipeline_bucket.bucket_name

  kcl_write_max_capacity = var.pipeline_kcl_write_max_capacity

  ssh_key_name           = var.ssh_key_name
  ssh_ip_allowlist       = var.ssh_ip_allowlist
  furrow_version         = var.furrow_version
  furrow_artifact_s3_uri = var.furrow_artifact_s3_uri
  furrow_artifact_sha256 = var.furrow_artifact_sha256
}

module "s3_loader_enriched" {
  source = "../../modules/s3-loader-ec2"

  name       = "${var.prefix}-s3-loader-enriched"
  vpc_id     = local.vpc_id
  subnet_ids = local.subnet_ids

  purpose         = "enriched"
  in_stream_name  = module.enriched_stream.name
  bad_stream_name = module.bad_2_stream.name
  bucket_name     = module.pipeline_bucket.bucket_name

  kcl_write_max_capacity = var.pipeline_kcl_write_max_capacity

  ssh_key_name           = var.ssh_key_name
  ssh_ip_allowlist       = var.ssh_ip_allowlist
  furrow_version         = var.furrow_version
  furrow_artifact_s3_uri = var.furrow_artifact_s3_uri
  furrow_artifact_sha256 = var.furrow_artifact_sha256
}

module "s3_loader_bad" {
  source = "../../modules/s3-loader-ec2"

  name       = "${var.prefix}-s3-loader-bad"
  vpc_id     = local.vpc_id
  subnet_ids = local.subnet_ids

  purpose         = "bad"
  in_stream_name  = module.bad_1_stream.name
  bad_stream_name = module.bad_2_stream.name
  bucket_name     = module.pipeline_bucket.bucket_name

  kcl_write_max_capacity = var.pipeline_kcl_write_max_capacity

  ssh_key_name           = var.ssh_key_name
  ssh_ip_allowlist       = var.ssh_ip_allowlist
  furrow_version         = var.furrow_version
  furrow_artifact_s3_uri = var.furrow_artifact_s3_uri
  furrow_artifact_sha256 = var.furrow_artifact_sha256
}

# --- Transformer and Snowflake loader

module "transformer" {
  source = "../../modules/transformer-ec2"

  name       = "${var.prefix}-transformer"
  vpc_id     = local.vpc_id
  subnet_ids = local.subnet_ids

  in_stream_name    = module.enriched_stream.name
  bucket_name       = module.pipeline_bucket.bucket_name
  queue_name        = module.loader_queue.name
  window_period_min = var.transformer_window_period_min

  kcl_write_max_capacity = var.pipeline_kcl_write_max_capacity

  ssh_key_name           = var.ssh_key_name
  ssh_ip_allowlist       = var.ssh_ip_allowlist
  furrow_version         = var.furrow_version
  furrow_artifact_s3_uri = var.furrow_artifact_s3_uri
  furrow_artifact_sha256 = var.furrow_artifact_sha256
}

module "snowflake_loader" {
  source = "../../modules/snowflake-loader-ec2"

  name       = "${var.prefix}-snowflake-loader"
  vpc_id     = local.vpc_id
  subnet_ids = local.subnet_ids

  queue_name             = module.loader_queue.name
  dead_letter_queue_name = module.loader_queue.dead_letter_queue_name
  bucket_name            = module.pipeline_bucket.bucket_name

  snowflake_account                  = var.snowflake_account
  snowflake_region                   = var.snowflake_region
  snowflake_loader_user              = var.snowflake_loader_user
  snowflake_password_secret_arn      = aws_secretsmanager_secret.snowflake_password.arn
  snowflake_warehouse                = var.snowflake_warehouse
  snowflake_database                 = var.snowflake_database
  snowflake_schema                   = var.snowflake_schema
  snowflake_role                     = var.snowflake_role
  snowflake_storage_integration      = var.snowflake_storage_integration
  snowflake_storage_aws_iam_user_arn = var.snowflake_storage_aws_iam_user_arn
  snowflake_storage_aws_external_id  = var.snowflake_storage_aws_external_id

  ssh_key_name           = var.ssh_key_name
  ssh_ip_allowlist       = var.ssh_ip_allowlist
  furrow_version         = var.furrow_version
  furrow_artifact_s3_uri = var.furrow_artifact_s3_uri
  furrow_artifact_sha256 = var.furrow_artifact_sha256

  depends_on = [aws_secretsmanager_secret_version.snowflake_password]
}
