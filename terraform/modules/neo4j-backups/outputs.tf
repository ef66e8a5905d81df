output "bucket" {
  description = "Name of the backup bucket."
  value       = aws_s3_bucket.this.bucket
}

output "bucket_arn" {
  description = "ARN of the backup bucket."
  value       = aws_s3_bucket.this.arn
}

output "replica_bucket_arn" {
  description = "ARN of the copy in replica_region (null without one)."
  value       = local.replica ? aws_s3_bucket.replica[0].arn : null
}
