# Every output here is an input of `furrow config render` (see pipeline/config/render.ts, OUTPUT_KEYS) or is
# listed there as informational. Nothing sensitive: secrets are referred to by ARN only.

output "aws_region" {
  description = "AWS region of the deployment"
  value       = var.region
}

output "collector_dns_name" {
  description = "Where trackers send events: http(s)://<this>/"
  value       = module.collector_lb.dns_name
}

output "collector_port" {
  description = "Port the collector instances listen on behind the load balancer"
  value       = module.collector.ingress_port
}

output "raw_stream_name" {
  description = "Kinesis stream: collector to enrich"
  value       = module.raw_stream.name
}

output "enriched_stream_name" {
  description = "Kinesis stream: enriched events"
  value       = module.enriched_stream.name
}

output "bad_1_stream_name" {
  description = "Kinesis stream: bad rows of the collector and enrich"
  value       = module.bad_1_stream.name
}

output "bad_2_stream_name" {
  description = "Kinesis stream: failures of the S3 loaders"
  value       = module.bad_2_stream.name
}

output "bucket_name" {
  description = "Pipeline bucket (raw/, enriched/, bad/, transformed/)"
  value       = module.pipeline_bucket.bucket_name
}

output "queue_name" {
  description = "SQS FIFO queue from the transformer to the loader"
  value       = module.loader_queue.name
}

output "iglu_server_dns_name" {
  description = "Iglu Server load balancer"
  value       = module.iglu_lb.dns_name
}

output "iglu_server_url" {
  description = "Base URL of the Iglu Server (its API is at <this>/api)"
  value       = local.iglu_server_url
}

output "iglu_server_port" {
  description = "Port the Iglu Server instances listen on behind the load balancer"
  value       = module.iglu_server.ingress_port
}

output "iglu_db_address" {
  description = "Host of the Iglu database"
  value       = module.iglu_db.address
}

output "iglu_db_port" {
  description = "Port of the Iglu database"
  value       = module.iglu_db.port
}

output "iglu_db_name" {
  description = "Name of the Iglu database"
  value       = module.iglu_db.db_name
}

output "iglu_db_username" {
  description = "User of the Iglu database"
  value       = module.iglu_db.username
}

output "iglu_db_password_secret_arn" {
  description = "Secrets Manager secret with the Iglu database password"
  value       = module.iglu_db.password_secret_arn
}

output "iglu_super_api_key_secret_arn" {
  description = "Secrets Manager secret with the Iglu super API key (read it to publish schemas)"
  value       = aws_secretsmanager_secret.iglu_super_api_key.arn
}

output "enrich_lease_table" {
  description = "DynamoDB lease table of enrich"
  value       = module.enrich.lease_table_name
}

output "s3_loader_raw_lease_table" {
  description = "DynamoDB lease table of the raw S3 loader (empty when it is not deployed)"
  value       = var.s3_loader_raw_enabled ? module.s3_loader_raw[0].lease_table_name : ""
}

output "s3_loader_enriched_lease_table" {
  description = "DynamoDB lease table of the enriched S3 loader"
  value       = module.s3_loader_enriched.lease_table_name
}

output "s3_loader_bad_lease_table" {
  description = "DynamoDB lease table of the bad S3 loader"
  value       = module.s3_loader_bad.lease_table_name
}

output "transformer_lease_table" {
  description = "DynamoDB lease table of the transformer"
  value       = module.transformer.lease_table_name
}

output "transformer_window_period_min" {
  description = "Transformer window length in minutes"
  value       = var.transformer_window_period_min
}

output "snowflake_account" {
  description = "Snowflake account the loader loads into"
  value       = var.snowflake_account
}

output "snowflake_region" {
  description = "Snowflake region (empty when the account identifier needs none)"
  value       = var.snowflake_region
}

output "snowflake_loader_user" {
  description = "Snowflake user of the loader"
  value       = var.snowflake_loader_user
}

output "snowflake_warehouse" {
  description = "Snowflake warehouse of the loader"
  value       = var.snowflake_warehouse
}

output "snowflake_database" {
  description = "Snowflake database"
  value       = var.snowflake_database
}

output "snowflake_schema" {
  description = "Snowflake schema of the events table"
  value       = var.snowflake_schema
}

output "snowflake_role" {
  description = "Snowflake role of the loader (empty = the user's default)"
  value       = var.snowflake_role
}

output "snowflake_storage_integration" {
  description = "Snowflake storage integration for the transformed/ stage (empty until configured)"
  value       = var.snowflake_storage_integration
}

output "snowflake_stage_role_arn" {
  description = "IAM role to name as STORAGE_AWS_ROLE_ARN in the Snowflake storage integration"
  value       = module.snowflake_loader.snowflake_stage_role_arn
}

output "snowflake_password_secret_arn" {
  description = "Secrets Manager secret with the Snowflake loader password"
  value       = aws_secretsmanager_secret.snowflake_password.arn
}
