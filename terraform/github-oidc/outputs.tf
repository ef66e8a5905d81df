output "role_arn" {
  description = "The deploy role: set it as AWS_DEPLOY_ROLE_ARN in the GitHub environments listed (Settings > Environments > Variables)."
  value       = aws_iam_role.deploy.arn
}

output "trusted_subjects" {
  description = "The OIDC token subjects the role trusts, one per GitHub environment."
  value       = local.subjects
}

output "oidc_provider_arn" {
  description = "GitHub's OIDC provider in this account."
  value       = local.provider_arn
}
