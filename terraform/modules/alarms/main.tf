# CloudWatch alarms of one credex-core environment, all notifying one SNS
# topic: task CPU and memory, fewer running tasks than desired, load balancer
# 5xx responses and unhealthy targets; and per database instance, EC2's
# status checks (a failed system check also recovers the instance onto other
# hardware), disk use of its root and data file systems (CloudWatch agent)
# and, on burstable types, its CPU credits; and a day without a successful
# backup of a database.

# Encrypted with the environment's key, whose policy lets CloudWatch alarms
# publish (the AWS-managed SNS key cannot: its policy cannot grant
# cloudwatch.amazonaws.com).
resource "aws_sns_topic" "this" {
  name              = "${var.name}-alarms"
  kms_master_key_id = var.kms_key_arn

  tags = var.tags
}

resource "aws_sns_topic_subscription" "email" {
  for_each = toset(var.emails)

  topic_arn = aws_sns_topic.this.arn
  protocol  = "email"
  endpoint  = each.value
}

# A paging service's endpoint (PagerDuty, Opsgenie, ...), which confirms the
# subscription itself.
resource "aws_sns_topic_subscription" "https" {
  for_each = toset(var.https_endpoints)

  topic_arn = aws_sns_topic.this.arn
  protocol  = "https"
  endpoint  = each.value
}

locals {
  service_dimensions = { ClusterName = var.cluster_name, ServiceName = var.service_name }
  actions            = [aws_sns_topic.this.arn]
}

resource "aws_cloudwatch_metric_alarm" "cpu" {
  alarm_name          = "${var.name}-cpu-high"
  alarm_description   = "${var.service_name}: average CPU above ${var.cpu_threshold_percent}%"
  namespace           = "AWS/ECS"
  metric_name         = "CPUUtilization"
  dimensions          = local.service_dimensions
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.cpu_threshold_percent
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "memory" {
  alarm_name          = "${var.name}-memory-high"
  alarm_description   = "${var.service_name}: average memory above ${var.memory_threshold_percent}%"
  namespace           = "AWS/ECS"
  metric_name         = "MemoryUtilization"
  dimensions          = local.service_dimensions
  statistic           = "Average"
  period              = 60
  evaluation_periods  = 5
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.memory_threshold_percent
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = var.tags
}

# Container Insights (enabled on the cluster) publishes running and desired
# task counts; the alarm fires when fewer run than desired for 5 minutes.
resource "aws_cloudwatch_metric_alarm" "running_below_desired" {
  alarm_name          = "${var.name}-running-below-desired"
  alarm_description   = "${var.service_name}: fewer tasks running than desired"
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  evaluation_periods  = 5
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  metric_query {
    id          = "missing"
    expression  = "desired - running"
    label       = "Tasks missing"
    return_data = true
  }

  metric_query {
    id = "desired"
    metric {
      namespace   = "ECS/ContainerInsights"
      metric_name = "DesiredTaskCount"
      dimensions  = local.service_dimensions
      period      = 60
      stat        = "Average"
    }
  }

  metric_query {
    id = "running"
    metric {
      namespace   = "ECS/ContainerInsights"
      metric_name = "RunningTaskCount"
      dimensions  = local.service_dimensions
      period      = 60
      stat        = "Average"
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "alb_5xx" {
  alarm_name          = "${var.name}-5xx"
  alarm_description   = "${var.service_name}: more than ${var.http_5xx_threshold} 5xx responses a minute (load balancer and targets)"
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.http_5xx_threshold
  evaluation_periods  = 3
  treat_missing_data  = "notBreaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  metric_query {
    id          = "errors"
    expression  = "FILL(elb, 0) + FILL(target, 0)"
    label       = "5xx responses"
    return_data = true
  }

  metric_query {
    id = "elb"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_ELB_5XX_Count"
      dimensions  = { LoadBalancer = var.load_balancer_arn_suffix }
      period      = 60
      stat        = "Sum"
    }
  }

  metric_query {
    id = "target"
    metric {
      namespace   = "AWS/ApplicationELB"
      metric_name = "HTTPCode_Target_5XX_Count"
      dimensions  = { LoadBalancer = var.load_balancer_arn_suffix, TargetGroup = var.target_group_arn_suffix }
      period      = 60
      stat        = "Sum"
    }
  }

  tags = var.tags
}

resource "aws_cloudwatch_metric_alarm" "unhealthy_targets" {
  alarm_name          = "${var.name}-unhealthy-targets"
  alarm_description   = "${var.service_name}: load balancer targets failing the health check"
  namespace           = "AWS/ApplicationELB"
  metric_name         = "UnHealthyHostCount"
  dimensions          = { LoadBalancer = var.load_balancer_arn_suffix, TargetGroup = var.target_group_arn_suffix }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = 0
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = var.tags
}

# --- Database instances ------------------------------------------------------

locals {
  # The CloudWatch agent's file systems (modules/neo4j's boot script): one
  # disk alarm per database and file system.
  database_disks = merge([
    for db in keys(var.database_instance_ids) : {
      "${db}-root" = { db = db, path = "/" }
      "${db}-data" = { db = db, path = var.database_data_dir }
    }
  ]...)
  burstable = can(regex("^t[0-9]", var.database_instance_type))
}

# The host under the instance failed (power, network, hardware): EC2 moves the
# instance to healthy hardware, keeping its ID, IP and EBS volumes.
resource "aws_cloudwatch_metric_alarm" "database_system_check" {
  for_each = var.database_instance_ids

  alarm_name          = "${var.name}-neo4j-${each.key}-system-check"
  alarm_description   = "Neo4j ${each.key}: EC2 system status check failed; recovering the instance onto other hardware"
  namespace           = "AWS/EC2"
  metric_name         = "StatusCheckFailed_System"
  dimensions          = { InstanceId = each.value }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 2
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  alarm_actions       = concat(["arn:aws:automate:${var.region}:ec2:recover"], local.actions)
  ok_actions          = local.actions

  tags = var.tags
}

# The instance's own OS is unreachable (kernel, memory, file system): a
# person looks; the data volume is safe.
resource "aws_cloudwatch_metric_alarm" "database_instance_check" {
  for_each = var.database_instance_ids

  alarm_name          = "${var.name}-neo4j-${each.key}-instance-check"
  alarm_description   = "Neo4j ${each.key}: EC2 instance status check failed"
  namespace           = "AWS/EC2"
  metric_name         = "StatusCheckFailed_Instance"
  dimensions          = { InstanceId = each.value }
  statistic           = "Maximum"
  period              = 60
  evaluation_periods  = 3
  comparison_operator = "GreaterThanOrEqualToThreshold"
  threshold           = 1
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = var.tags
}

# Missing data breaches: an agent that never started (a failed first boot)
# or stopped reporting is as much a failure as a full disk.
resource "aws_cloudwatch_metric_alarm" "database_disk" {
  for_each = local.database_disks

  alarm_name          = "${var.name}-neo4j-${each.key}-disk"
  alarm_description   = "Neo4j ${each.value.db}: ${each.value.path} more than ${var.disk_threshold_percent}% full, or no disk metrics from the CloudWatch agent"
  namespace           = "CWAgent"
  metric_name         = "disk_used_percent"
  dimensions          = { InstanceId = var.database_instance_ids[each.value.db], path = each.value.path, fstype = "xfs" }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "GreaterThanThreshold"
  threshold           = var.disk_threshold_percent
  treat_missing_data  = "breaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = var.tags
}

# A burstable instance out of credits is throttled to its baseline (standard
# mode) or billed for surplus credits (unlimited, the t3 default).
resource "aws_cloudwatch_metric_alarm" "database_cpu_credits" {
  for_each = local.burstable ? var.database_instance_ids : {}

  alarm_name          = "${var.name}-neo4j-${each.key}-cpu-credits"
  alarm_description   = "Neo4j ${each.key}: fewer than ${var.cpu_credit_balance_threshold} CPU credits left"
  namespace           = "AWS/EC2"
  metric_name         = "CPUCreditBalance"
  dimensions          = { InstanceId = each.value }
  statistic           = "Minimum"
  period              = 300
  evaluation_periods  = 3
  comparison_operator = "LessThanThreshold"
  threshold           = var.cpu_credit_balance_threshold
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = var.tags
}

# neo4j-backup reports BackupSucceeded once everything is uploaded; a day of
# hours without it (a failed dump or upload, a stopped timer, a dead
# instance) alarms.
resource "aws_cloudwatch_metric_alarm" "database_backup" {
  for_each = var.database_instance_ids

  alarm_name          = "${var.name}-neo4j-${each.key}-backup"
  alarm_description   = "Neo4j ${each.key}: no successful backup to S3 in 24 hours (neo4j-backup on the instance: journalctl -u neo4j-backup)"
  namespace           = var.database_backup_namespace
  metric_name         = "BackupSucceeded"
  dimensions          = { Database = each.key }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 24
  datapoints_to_alarm = 24
  comparison_operator = "LessThanThreshold"
  threshold           = 1
  treat_missing_data  = "breaching"
  alarm_actions       = local.actions
  ok_actions          = local.actions

  tags = var.tags
}
