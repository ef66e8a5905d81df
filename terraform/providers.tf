locals {
  # Tags on every resource, whichever region it is in.
  default_tags = merge(var.tags, {
    Project     = "credex-core"
    Environment = var.environment
    ManagedBy   = "terraform"
  })
}

provider "aws" {
  region = var.aws_region

  # Refuse to touch any account but the environment's own.
  allowed_account_ids = [var.aws_account_id]

  default_tags {
    tags = local.default_tags
  }
}

# The region the Neo4j backups are copied to (production); without one, the
# environment's own region, unused.
provider "aws" {
  alias  = "backup_replica"
  region = coalesce(var.backup_replica_region, var.aws_region)

  allowed_account_ids = [var.aws_account_id]

  default_tags {
    tags = local.default_tags
  }
}
