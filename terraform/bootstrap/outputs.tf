output "state_bucket" {
  description = "Name of the state bucket: pass it to the pipeline as --state-bucket if it is not the default."
  value       = module.state.bucket
}

output "state_bucket_arn" {
  description = "ARN of the state bucket."
  value       = module.state.arn
}

output "state_kms_key_arn" {
  description = "KMS key the state is encrypted with (alias/credex-terraform-state)."
  value       = aws_kms_key.state.arn
}
