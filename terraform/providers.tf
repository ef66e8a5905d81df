provider "aws" {
  region = var.aws_region

  # Refuse to touch any account but the environment's own.
  allowed_account_ids = [var.aws_account_id]

  default_tags {
    tags = merge(var.tags, {
      Project     = "credex-core"
      Environment = var.environment
      ManagedBy   = "terraform"
    })
  }
}
