output "topic_arn" {
  description = "ARN of the SNS topic the alarms notify."
  value       = aws_sns_topic.this.arn
}

output "alarm_names" {
  description = "Names of the alarms."
  value = concat(
    [
      aws_cloudwatch_metric_alarm.cpu.alarm_name,
      aws_cloudwatch_metric_alarm.memory.alarm_name,
      aws_cloudwatch_metric_alarm.running_below_desired.alarm_name,
      aws_cloudwatch_metric_alarm.alb_5xx.alarm_name,
      aws_cloudwatch_metric_alarm.unhealthy_targets.alarm_name,
    ],
    [for a in aws_cloudwatch_metric_alarm.database_system_check : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.database_instance_check : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.database_disk : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.database_cpu_credits : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.database_backup : a.alarm_name],
  )
}
