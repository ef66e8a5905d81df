# Where the Neo4j instances' daily backups go (modules/neo4j's neo4j-backup):
# a versioned bucket encrypted with the environment's key, which the
# instances may write to and read from but never delete from, and, when
# replica_region is set (production), a copy of every backup in a bucket of
# another region under a key of that region, so a region's loss loses no
# backup. See docs/terraform.md, "Backups and restores".

locals {
  bucket  = "${var.name}-neo4j-backups-${var.account_id}"
  replica = var.replica_region != null
}

# Backups are kept retention_days; an overwritten or deleted one 7 days more
# (versioning); an upload cut half-way is cleaned up after a day.
module "bucket" {
  source = "../private-bucket"

  name            = local.bucket
  kms_key_arn     = var.kms_key_arn
  expiration_days = var.retention_days
  tags            = var.tags
}

# --- Copy in another region ------------------------------------------------------

resource "aws_kms_key" "replica" {
  count    = local.replica ? 1 : 0
  provider = aws.replica

  description             = "${var.name} Neo4j backups, copy in ${coalesce(var.replica_region, "-")}"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30

  tags = var.tags

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "replica" {
  count    = local.replica ? 1 : 0
  provider = aws.replica

  name          = "alias/${var.name}-neo4j-backups-replica"
  target_key_id = aws_kms_key.replica[0].key_id
}

module "replica" {
  source = "../private-bucket"
  count  = local.replica ? 1 : 0

  providers = {
    aws = aws.replica
  }

  name            = "${local.bucket}-${coalesce(var.replica_region, "-")}"
  kms_key_arn     = aws_kms_key.replica[0].arn
  expiration_days = var.retention_days
  tags            = var.tags
}

# S3 copies each new backup with the role below; deletions are not copied
# (delete markers stay here), so the copy outlives a mistake in the source.
data "aws_iam_policy_document" "replication_assume" {
  count = local.replica ? 1 : 0

  statement {
    actions = ["sts:AssumeRole"]

    principals {
      type        = "Service"
      identifiers = ["s3.amazonaws.com"]
    }

    # Only replication of this account's backup bucket (confused deputy).
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = [module.bucket.arn]
    }
  }
}

resource "aws_iam_role" "replication" {
  count = local.replica ? 1 : 0

  name               = "${var.name}-neo4j-backups-replication"
  description        = "S3 copies the ${var.name} Neo4j backups to ${coalesce(var.replica_region, "-")}"
  assume_role_policy = data.aws_iam_policy_document.replication_assume[0].json

  tags = var.tags
}

data "aws_iam_policy_document" "replication" {
  count = local.replica ? 1 : 0

  statement {
    sid       = "ReadTheSource"
    actions   = ["s3:GetReplicationConfiguration", "s3:ListBucket"]
    resources = [module.bucket.arn]
  }

  statement {
    sid       = "ReadTheSourceObjects"
    actions   = ["s3:GetObjectVersionForReplication", "s3:GetObjectVersionAcl", "s3:GetObjectVersionTagging"]
    resources = ["${module.bucket.arn}/*"]
  }

  statement {
    sid       = "WriteTheCopies"
    actions   = ["s3:ReplicateObject", "s3:ReplicateTags"]
    resources = ["${module.replica[0].arn}/*"]
  }

  statement {
    sid       = "DecryptTheSource"
    actions   = ["kms:Decrypt"]
    resources = [var.kms_key_arn]

    condition {
      test     = "StringLike"
      variable = "kms:ViaService"
      values   = ["s3.${var.region}.amazonaws.com"]
    }
  }

  statement {
    sid       = "EncryptTheCopies"
    actions   = ["kms:Encrypt", "kms:GenerateDataKey"]
    resources = [aws_kms_key.replica[0].arn]

    condition {
      test     = "StringLike"
      variable = "kms:ViaService"
      values   = ["s3.${coalesce(var.replica_region, "-")}.amazonaws.com"]
    }
  }
}

resource "aws_iam_role_policy" "replication" {
  count = local.replica ? 1 : 0

  name   = "replicate-backups"
  role   = aws_iam_role.replication[0].id
  policy = data.aws_iam_policy_document.replication[0].json
}

resource "aws_s3_bucket_replication_configuration" "this" {
  count = local.replica ? 1 : 0

  bucket = module.bucket.bucket
  role   = aws_iam_role.replication[0].arn

  rule {
    id     = "copy-every-backup"
    status = "Enabled"

    filter {}

    delete_marker_replication {
      status = "Disabled"
    }

    source_selection_criteria {
      sse_kms_encrypted_objects {
        status = "Enabled"
      }
    }

    destination {
      bucket        = module.replica[0].arn
      storage_class = "STANDARD_IA"

      encryption_configuration {
        replica_kms_key_id = aws_kms_key.replica[0].arn
      }
    }
  }

  depends_on = [module.bucket, module.replica]
}
