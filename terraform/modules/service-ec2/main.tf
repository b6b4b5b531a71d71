data "aws_partition" "current" {}
data "aws_region" "current" {}

data "aws_ssm_parameter" "al2023_ami" {
  count = var.ami_id == "" ? 1 : 0

  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-${var.architecture}"
}

locals {
  artifact_from_s3 = var.furrow_artifact_s3_uri != ""
  # s3://bucket/key -> arn:aws:s3:::bucket/key (the single object the instances may read)
  artifact_object_arn = "arn:${data.aws_partition.current.partition}:s3:::${trimprefix(var.furrow_artifact_s3_uri, "s3://")}"

  user_data = templatefile("${path.module}/templates/user-data.sh.tftpl", {
    name            = var.name
    region          = data.aws_region.current.name
    app_command     = var.app_command
    app_args        = join(" ", var.app_args)
    render_app      = var.render_app
    config_section  = var.config_section
    deployment_b64  = base64encode(jsonencode(var.deployment))
    secrets_b64     = base64encode(join("", [for k in sort(keys(var.secret_env)) : "${k}=${var.secret_env[k]}\n"]))
    artifact_s3_uri = var.furrow_artifact_s3_uri
    artifact_sha256 = var.furrow_artifact_sha256
    furrow_package  = var.furrow_package
    furrow_version  = var.furrow_version
    health_watchdog = var.health_watchdog_enabled ? "true" : "false"
  })

  instance_tags = merge(var.tags, { Name = var.name })

  # Snowplow's service-ec2 thresholds, overridden field by field.
  autoscaling = merge({
    scale_up_cooldown_sec               = 180
    scale_up_cpu_threshold_percentage   = 60
    scale_up_eval_minutes               = 5
    scale_down_cooldown_sec             = 600
    scale_down_cpu_threshold_percentage = 20
    scale_down_eval_minutes             = 60
  }, var.autoscaling)
}

# --- IAM: the instance profile of the app role, plus what every instance needs for itself

resource "aws_iam_instance_profile" "this" {
  name = var.name
  role = var.iam_role_name
}

data "aws_iam_policy_document" "artifact" {
  count = local.artifact_from_s3 ? 1 : 0

  statement {
    sid       = "ReadFurrowRelease"
    actions   = ["s3:GetObject"]
    resources = [local.artifact_object_arn]
  }
}

resource "aws_iam_role_policy" "artifact" {
  count = local.artifact_from_s3 ? 1 : 0

  name   = "${var.name}-release-artifact"
  role   = var.iam_role_name
  policy = data.aws_iam_policy_document.artifact[0].json
}

data "aws_iam_policy_document" "watchdog" {
  count = var.health_watchdog_enabled ? 1 : 0

  statement {
    sid       = "MarkOwnInstanceUnhealthy"
    actions   = ["autoscaling:SetInstanceHealth"]
    resources = [aws_autoscaling_group.this.arn]
  }
}

resource "aws_iam_role_policy" "watchdog" {
  count = var.health_watchdog_enabled ? 1 : 0

  name   = "${var.name}-health-watchdog"
  role   = var.iam_role_name
  policy = data.aws_iam_policy_document.watchdog[0].json
}

# --- EC2: launch template and auto-scaling group

resource "aws_launch_template" "this" {
  name_prefix   = "${var.name}-"
  image_id      = var.ami_id != "" ? var.ami_id : data.aws_ssm_parameter.al2023_ami[0].insecure_value
  instance_type = var.instance_type
  key_name      = var.ssh_key_name != "" ? var.ssh_key_name : null
  user_data     = base64encode(local.user_data)

  iam_instance_profile {
    arn = aws_iam_instance_profile.this.arn
  }

  network_interfaces {
    associate_public_ip_address = var.associate_public_ip_address
    security_groups             = var.vpc_security_group_ids
    delete_on_termination       = true
  }

  block_device_mappings {
    device_name = "/dev/xvda"

    ebs {
      volume_type           = "gp3"
      volume_size           = var.root_volume_size_gb
      encrypted             = true
      delete_on_termination = true
    }
  }

  # IMDSv2 only, one hop: a process in a container on the instance cannot borrow the role.
  metadata_options {
    http_endpoint               = "enabled"
    http_tokens                 = "required"
    http_put_response_hop_limit = 1
  }

  tag_specifications {
    resource_type = "instance"
    tags          = local.instance_tags
  }

  tag_specifications {
    resource_type = "volume"
    tags          = local.instance_tags
  }

  tags = var.tags

  lifecycle {
    create_before_destroy = true
  }
}

resource "aws_autoscaling_group" "this" {
  name                      = var.name
  min_size                  = var.min_size
  max_size                  = var.max_size
  vpc_zone_identifier       = var.subnet_ids
  target_group_arns         = var.target_group_arns
  health_check_type         = var.health_check_type
  health_check_grace_period = var.health_check_grace_period_sec
  metrics_granularity       = "1Minute"
  enabled_metrics           = ["GroupInServiceInstances", "GroupDesiredCapacity"]

  launch_template {
    id      = aws_launch_template.this.id
    version = aws_launch_template.this.latest_version
  }

  # A new launch template version (new release, new config) rolls through the group.
  instance_refresh {
    strategy = "Rolling"

    preferences {
      min_healthy_percentage = 50
    }
  }

  dynamic "tag" {
    for_each = local.instance_tags

    content {
      key                 = tag.key
      value               = tag.value
      propagate_at_launch = false
    }
  }
}

# --- CloudWatch: CPU-based scaling (Snowplow's service-ec2 thresholds)

resource "aws_autoscaling_policy" "scale_up" {
  count = var.enable_auto_scaling ? 1 : 0

  name                   = "${var.name}-scale-up"
  autoscaling_group_name = aws_autoscaling_group.this.name
  adjustment_type        = "ChangeInCapacity"
  scaling_adjustment     = 1
  cooldown               = local.autoscaling.scale_up_cooldown_sec
}

resource "aws_autoscaling_policy" "scale_down" {
  count = var.enable_auto_scaling ? 1 : 0

  name                   = "${var.name}-scale-down"
  autoscaling_group_name = aws_autoscaling_group.this.name
  adjustment_type        = "ChangeInCapacity"
  scaling_adjustment     = -1
  cooldown               = local.autoscaling.scale_down_cooldown_sec
}

resource "aws_cloudwatch_metric_alarm" "cpu_high" {
  count = var.enable_auto_scaling ? 1 : 0

  alarm_name          = "${var.name}-cpu-high"
  alarm_description   = "Average CPU above ${local.autoscaling.scale_up_cpu_threshold_percentage}% for ${local.autoscaling.scale_up_eval_minutes} minutes: add an instance"
  namespace           = "AWS/EC2"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = local.autoscaling.scale_up_eval_minutes
  threshold           = local.autoscaling.scale_up_cpu_threshold_percentage
  comparison_operator = "GreaterThanThreshold"
  alarm_actions       = [aws_autoscaling_policy.scale_up[0].arn]

  dimensions = {
    AutoScalingGroupName = aws_autoscaling_group.this.name
  }
}

resource "aws_cloudwatch_metric_alarm" "cpu_low" {
  count = var.enable_auto_scaling ? 1 : 0

  alarm_name          = "${var.name}-cpu-low"
  alarm_description   = "Average CPU below ${local.autoscaling.scale_down_cpu_threshold_percentage}% for ${local.autoscaling.scale_down_eval_minutes} minutes: remove an instance"
  namespace           = "AWS/EC2"
  metric_name         = "CPUUtilization"
  statistic           = "Average"
  period              = 60
  evaluation_periods  = local.autoscaling.scale_down_eval_minutes
  threshold           = local.autoscaling.scale_down_cpu_threshold_percentage
  comparison_operator = "LessThanThreshold"
  alarm_actions       = [aws_autoscaling_policy.scale_down[0].arn]

  dimensions = {
    AutoScalingGroupName = aws_autoscaling_group.this.name
  }
}
