# The contract the pipeline reads with `terraform output -json`
# (internal/tfoutputs; documented in docs/terraform.md). ARNs and names only:
# no secret value is ever an output.

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
  value       = module.service.cluster_name
}

output "service_name" {
  description = "ECS service."
  value       = module.service.service_name
}

output "task_family" {
  description = "Task definition family."
  value       = module.service.task_family
}

output "task_definition_arn" {
  description = "Task definition revision registered by the last apply."
  value       = module.service.task_definition_arn
}

output "container_name" {
  description = "Application container in the task definition."
  value       = module.service.container_name
}

output "image" {
  description = "Image (by digest) of the task definition; the pipeline's drift check re-plans with it."
  value       = var.image
}

output "api_url" {
  description = "Base URL of the API (no trailing slash): https://<domain_name> whenever a certificate is set (variables.tf requires domain_name then), so the name is one the certificate covers."
  value       = "${module.service.https ? "https" : "http"}://${var.domain_name != null ? var.domain_name : module.service.load_balancer_dns_name}"
}

output "load_balancer_dns_name" {
  description = "DNS name of the load balancer (point domain_name's record here)."
  value       = module.service.load_balancer_dns_name
}

output "target_group_arn" {
  description = "Target group the tasks register in."
  value       = module.service.target_group_arn
}

output "ecr_repository_url" {
  description = "ECR repository the image is pushed to."
  value       = data.aws_ecr_repository.app.repository_url
}

output "log_group_name" {
  description = "CloudWatch log group of the application."
  value       = module.service.log_group_name
}

output "log_stream_prefix" {
  description = "awslogs stream prefix of the application container."
  value       = local.log_stream_prefix
}

output "secret_arns" {
  description = "ARNs of the Secrets Manager secrets the application reads: neo4j and app (ARNs only)."
  value = {
    neo4j = module.neo4j.secret_arn
    app   = module.service.app_secret_arn
  }
}

output "secret_names" {
  description = "Names of the Secrets Manager secrets: neo4j (neo4j_stage_secrets / neo4j_prod_secrets) and app."
  value = {
    neo4j = module.neo4j.secret_name
    app   = local.app_secret_name
  }
}

output "alarm_topic_arn" {
  description = "SNS topic the CloudWatch alarms notify."
  value       = module.alarms.topic_arn
}

output "neo4j_instance_ids" {
  description = "EC2 instance of each database (ledgerspace, searchspace)."
  value       = module.neo4j.instance_ids
}
