output "secret_arn" {
  description = "ARN of the Secrets Manager secret with the Neo4j connection details (the ARN only, never the values)."
  value       = aws_secretsmanager_secret.this.arn
}

output "secret_name" {
  description = "Name of the Secrets Manager secret with the Neo4j connection details."
  value       = aws_secretsmanager_secret.this.name
}

output "security_group_id" {
  description = "Security group of the database instances."
  value       = aws_security_group.this.id
}

output "instance_ids" {
  description = "EC2 instance ID of each database (ledgerspace, searchspace)."
  value       = { for db, i in aws_instance.this : db => i.id }
}

output "private_ips" {
  description = "Private IP address of each database."
  value       = { for db, i in aws_instance.this : db => i.private_ip }
}

output "volume_ids" {
  description = "Data volume ID of each database."
  value       = { for db, v in aws_ebs_volume.data : db => v.id }
}

output "instance_type" {
  description = "EC2 instance type of the database instances (for the alarms: CPU credits on burstable types)."
  value       = var.instance_type
}

output "data_dir" {
  description = "Mount point of each database's data volume, as the CloudWatch agent reports it (the path dimension of disk_used_percent)."
  value       = local.data_dir
}

output "backup_namespace" {
  description = "CloudWatch namespace of the backups' BackupSucceeded metric (dimension Database)."
  value       = local.backup_namespace
}
