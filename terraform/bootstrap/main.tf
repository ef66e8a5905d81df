# The S3 bucket holding the Terraform state of every credex-core stack in this
# account: a private bucket as the stack makes them (modules/private-bucket:
# versioned, private, TLS only, never destroyed) encrypted with its own KMS
# key, keeping state files until they are replaced and old versions
# noncurrent_version_days. Applied once per account, by hand, before the
# pipeline's first run (docs/terraform.md).

provider "aws" {
  region              = var.aws_region
  allowed_account_ids = [var.aws_account_id]
}

locals {
  bucket = coalesce(var.bucket_name, "credex-terraform-state-${var.aws_account_id}")
  tags   = { Project = "credex-core", ManagedBy = "terraform-bootstrap" }
}

# The state's own key (the account's IAM policies decide who uses it, as
# with AWS's default key policy; the pipeline's role reads and writes state
# through it). Rotated yearly; never destroyed with the stack.
resource "aws_kms_key" "state" {
  description             = "credex-core Terraform state (S3 bucket ${local.bucket})"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30

  tags = local.tags

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "state" {
  name          = "alias/credex-terraform-state"
  target_key_id = aws_kms_key.state.key_id
}

module "state" {
  source = "../modules/private-bucket"

  name            = local.bucket
  kms_key_arn     = aws_kms_key.state.arn
  noncurrent_days = var.noncurrent_version_days
  tags            = local.tags
}

# The bucket's resources were this stack's own before it used the module: an
# account bootstrapped then keeps its bucket (terraform apply moves them).
moved {
  from = aws_s3_bucket.state
  to   = module.state.aws_s3_bucket.this
}

moved {
  from = aws_s3_bucket_versioning.state
  to   = module.state.aws_s3_bucket_versioning.this
}

moved {
  from = aws_s3_bucket_server_side_encryption_configuration.state
  to   = module.state.aws_s3_bucket_server_side_encryption_configuration.this
}

moved {
  from = aws_s3_bucket_public_access_block.state
  to   = module.state.aws_s3_bucket_public_access_block.this
}

moved {
  from = aws_s3_bucket_ownership_controls.state
  to   = module.state.aws_s3_bucket_ownership_controls.this
}

moved {
  from = aws_s3_bucket_lifecycle_configuration.state
  to   = module.state.aws_s3_bucket_lifecycle_configuration.this
}

moved {
  from = aws_s3_bucket_policy.state
  to   = module.state.aws_s3_bucket_policy.this
}
