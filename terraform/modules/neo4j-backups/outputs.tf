output "bucket" {
  description = "Name of the backup bucket."
  value       = module.bucket.bucket
}

output "bucket_arn" {
  description = "ARN of the backup bucket."
  value       = module.bucket.arn
}

output "replica_bucket_arn" {
  description = "ARN of the copy in replica_region (null without one)."
  value       = local.replica ? module.replica[0].arn : null
}
