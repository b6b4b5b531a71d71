resource "aws_appautoscaling_target" "read" {
  service_namespace  = "dynamodb"
  resource_id        = "table/${var.table_name}"
  scalable_dimension = "dynamodb:table:ReadCapacityUnits"
  min_capacity       = var.read_min_capacity
  max_capacity       = var.read_max_capacity
}

resource "aws_appautoscaling_target" "write" {
  service_namespace  = "dynamodb"
  resource_id        = "table/${var.table_name}"
  scalable_dimension = "dynamodb:table:WriteCapacityUnits"
  min_capacity       = var.write_min_capacity
  max_capacity       = var.write_max_capacity
}

resource "aws_appautoscaling_policy" "read" {
  name               = "DynamoDBReadCapacityUtilization:${aws_appautoscaling_target.read.resource_id}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.read.service_namespace
  resource_id        = aws_appautoscaling_target.read.resource_id
  scalable_dimension = aws_appautoscaling_target.read.scalable_dimension

  target_tracking_scaling_policy_configuration {
    predefined_metric_specification {
      predefined_metric_type = "DynamoDBReadCapacityUtilization"
    }

    target_value       = var.read_target_value
    scale_in_cooldown  = var.read_scale_in_cooldown
    scale_out_cooldown = var.read_scale_out_cooldown
  }
}

resource "aws_appautoscaling_policy" "write" {
  name               = "DynamoDBWriteCapacityUtilization:${aws_appautoscaling_target.write.resource_id}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.write.service_namespace
  resource_id        = aws_appautoscaling_target.write.resource_id
  scalable_dimension = aws_appautoscaling_target.write.scalable_dimension

  target_tracking_scaling_policy_configuration {
    predefined_metric_specification {
      predefined_metric_type = "DynamoDBWriteCapacityUtilization"
    }

    target_value       = var.write_target_value
    scale_in_cooldown  = var.write_scale_in_cooldown
    scale_out_cooldown = var.write_scale_out_cooldown
  }
}
