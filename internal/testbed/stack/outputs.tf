# The outputs contract (internal/tfoutputs, docs/terraform.md), as the real
# stack's outputs.tf.

output "aws_account_id" {
  description = "AWS account of the environment."
  value       = var.aws_account_id
}

output "aws_region" {
  description = "AWS region of the environment."
  value       = var.aws_region
}

output "environment" {
  description = "Environment name (staging or production)."
  value       = var.environment
}

output "cluster_name" {
  description = "ECS cluster."
  value       = aws_ecs_cluster.this.name
}

output "service_name" {
  description = "ECS service."
  value       = aws_ecs_service.this.name
}

output "task_family" {
  description = "Task definition family."
  value       = aws_ecs_task_definition.this.family
}

output "task_definition_arn" {
  description = "Task definition revision registered by the last apply."
  value       = aws_ecs_task_definition.this.arn
}

output "container_name" {
  description = "Application container in the task definition."
  value       = local.container_name
}

output "image" {
  description = "Image (by digest) of the task definition."
  value       = var.image
}

output "api_url" {
  description = "Base URL of the API (no trailing slash)."
  value       = trimsuffix(var.api_url, "/")
}

output "target_group_arn" {
  description = "Target group the tasks register in."
  value       = aws_lb_target_group.this.arn
}

output "ecr_repository_url" {
  description = "ECR repository the image is pushed to."
  value       = data.aws_ecr_repository.app.repository_url
}

output "log_group_name" {
  description = "CloudWatch log group of the application."
  value       = aws_cloudwatch_log_group.this.name
}

output "log_stream_prefix" {
  description = "awslogs stream prefix of the application container."
  value       = local.log_stream_prefix
}

output "secret_arns" {
  description = "ARNs of the Secrets Manager secrets the application reads (ARNs only)."
  value       = { neo4j = local.neo4j_secret_arn }
}

output "secret_names" {
  description = "Names of the Secrets Manager secrets."
  value       = { neo4j = local.neo4j_secret_name }
}
