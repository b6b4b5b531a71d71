# The KCL-compatible lease table of one stream consumer (leases and checkpoints), with auto-scaled capacity.

resource "aws_dynamodb_table" "this" {
  name           = var.name
  hash_key       = "leaseKey"
  billing_mode   = "PROVISIONED"
  read_capacity  = 1
  write_capacity = 1

  attribute {
    name = "leaseKey"
    type = "S"
  }

  point_in_time_recovery {
    enabled = false
  }

  tags = var.tags

  # Capacity belongs to the auto-scaler from here on.
  lifecycle {
    ignore_changes = [read_capacity, write_capacity]
  }
}

module "autoscaling" {
  source = "../dynamodb-autoscaling"

  table_name         = aws_dynamodb_table.this.name
  read_min_capacity  = var.read_min_capacity
  read_max_capacity  = var.read_max_capacity
  write_min_capacity = var.write_min_capacity
  write_max_capacity = var.write_max_capacity
}
