# The KMS key of one credex-core environment: it encrypts the ECR repository,
# the alarm topic, the log groups and the database backups. It lives in the
# registry stack (terraform/registry), which is applied before the main
# stack, because the repository needs it before the first image is pushed;
# the main stack finds it by its alias.
#
# The account's IAM policies decide who uses it (the key policy delegates to
# the account, as AWS's default key policy does), plus the two services that
# act without an IAM principal of ours: CloudWatch Logs, for this
# environment's log groups only, and CloudWatch alarms, publishing to the
# encrypted topic.

data "aws_partition" "current" {}

locals {
  account = "arn:${data.aws_partition.current.partition}:iam::${var.account_id}:root"
  # The environment's log groups (/ecs/credex-core-<env>,
  # /aws/vpc/credex-<env>-flow-logs, ...): names with "credex" and the
  # environment in them.
  log_groups = "arn:${data.aws_partition.current.partition}:logs:${var.region}:${var.account_id}:log-group:*credex*-${var.environment}*"
}

data "aws_iam_policy_document" "key" {
  statement {
    sid       = "TheAccountAdministersAndUsesTheKeyThroughIAM"
    actions   = ["kms:*"]
    resources = ["*"]

    principals {
      type        = "AWS"
      identifiers = [local.account]
    }
  }

  statement {
    sid       = "CloudWatchLogsOfThisEnvironment"
    actions   = ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["logs.${var.region}.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "kms:EncryptionContext:aws:logs:arn"
      values   = [local.log_groups]
    }
  }

  statement {
    sid       = "CloudWatchAlarmsPublishToTheEncryptedTopic"
    actions   = ["kms:Decrypt", "kms:GenerateDataKey*"]
    resources = ["*"]

    principals {
      type        = "Service"
      identifiers = ["cloudwatch.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_kms_key" "this" {
  description             = "credex-core ${var.environment}: ECR, the alarm topic, log groups and database backups"
  enable_key_rotation     = true
  rotation_period_in_days = 365
  deletion_window_in_days = 30
  policy                  = data.aws_iam_policy_document.key.json

  tags = var.tags

  # Everything it encrypted is lost with it.
  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_kms_alias" "this" {
  name          = var.alias
  target_key_id = aws_kms_key.this.key_id
}
