resource "aws_kinesis_stream" "this" {
  name = var.name
  # On-demand streams size themselves; a shard count is only meaningful when provisioned.
  shard_count               = var.stream_mode == "ON_DEMAND" ? null : var.shard_count
  retention_period          = var.retention_period
  shard_level_metrics       = var.shard_level_metrics
  encryption_type           = var.encryption_type
  kms_key_id                = var.encryption_type == "KMS" ? var.kms_key_id : null
  enforce_consumer_deletion = var.enforce_consumer_deletion

  stream_mode_details {
    stream_mode = var.stream_mode
  }

  tags = var.tags
}
