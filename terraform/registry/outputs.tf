output "repository_name" {
  description = "Name of the ECR repository."
  value       = module.registry.repository_name
}

output "repository_url" {
  description = "URL images are pushed to."
  value       = module.registry.repository_url
}
