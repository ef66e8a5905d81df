output "repository_name" {
  description = "Name of the ECR repository."
  value       = module.registry.repository_name
}

output "repository_url" {
  description = "URL images are pushed to."
  value       = module.registry.repository_url
}

output "kms_key_arn" {
  description = "The environment's KMS key (ECR, the alarm topic, log groups, backups)."
  value       = module.key.arn
}

output "kms_key_alias" {
  description = "Alias the main stack finds the key by."
  value       = module.key.alias
}
