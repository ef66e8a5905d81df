# The role GitHub Actions assumes to deploy credex-core, through GitHub's OIDC
# provider: no stored AWS keys. The trust policy lets only the deploy jobs of
# one repository in, and only in the GitHub environments listed: the job runs
# in `environment: staging|production`, so its token's subject is
# repo:<owner>/<name>:environment:<environment>. A pull request, another
# branch's workflow or another repository cannot assume it. Production's
# required reviewers gate the job before it can ask for a token at all.
# See docs/operations.md.

provider "aws" {
  region              = var.aws_region
  allowed_account_ids = [var.aws_account_id]
}

locals {
  issuer       = "token.actions.githubusercontent.com"
  state_bucket = coalesce(var.state_bucket, "credex-terraform-state-${var.aws_account_id}")
  subjects     = [for e in var.github_environments : "repo:${var.github_repository}:environment:${e}"]
  tags         = { Project = "credex-core", ManagedBy = "terraform-github-oidc" }
}

resource "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 1 : 0

  url            = "https://${local.issuer}"
  client_id_list = ["sts.amazonaws.com"]
  tags           = local.tags
}

data "aws_iam_openid_connect_provider" "github" {
  count = var.create_oidc_provider ? 0 : 1

  url = "https://${local.issuer}"
}

locals {
  provider_arn = var.create_oidc_provider ? aws_iam_openid_connect_provider.github[0].arn : data.aws_iam_openid_connect_provider.github[0].arn
}

data "aws_iam_policy_document" "trust" {
  statement {
    sid     = "GitHubDeployJobs"
    effect  = "Allow"
    actions = ["sts:AssumeRoleWithWebIdentity"]

    principals {
      type        = "Federated"
      identifiers = [local.provider_arn]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:aud"
      values   = ["sts.amazonaws.com"]
    }

    condition {
      test     = "StringEquals"
      variable = "${local.issuer}:sub"
      values   = local.subjects
    }
  }
}

resource "aws_iam_role" "deploy" {
  name                 = var.role_name
  description          = "GitHub Actions deploys credex-core from ${var.github_repository}"
  assume_role_policy   = data.aws_iam_policy_document.trust.json
  max_session_duration = var.max_session_hours * 3600
  tags                 = local.tags
}

# What the pipeline does: Terraform manages the stack (VPC, EC2 for Neo4j,
# ECS, ALB, ECR, Secrets Manager, CloudWatch, SNS, DLM), the image is pushed
# to ECR, and verification reads ECS, ELB and Logs. PowerUserAccess covers
# the services but not IAM; IAM is granted below only for the stack's own
# roles and instance profiles (credex-*).
resource "aws_iam_role_policy_attachment" "services" {
  role       = aws_iam_role.deploy.name
  policy_arn = "arn:aws:iam::aws:policy/PowerUserAccess"
}

data "aws_iam_policy_document" "deploy" {
  statement {
    sid    = "StackRoles"
    effect = "Allow"
    actions = [
      "iam:CreateRole", "iam:DeleteRole", "iam:GetRole", "iam:UpdateRole", "iam:UpdateAssumeRolePolicy",
      "iam:TagRole", "iam:UntagRole", "iam:ListRoleTags", "iam:PassRole",
      "iam:PutRolePolicy", "iam:GetRolePolicy", "iam:DeleteRolePolicy", "iam:ListRolePolicies",
      "iam:AttachRolePolicy", "iam:DetachRolePolicy", "iam:ListAttachedRolePolicies",
      "iam:ListInstanceProfilesForRole",
      "iam:CreateInstanceProfile", "iam:DeleteInstanceProfile", "iam:GetInstanceProfile",
      "iam:AddRoleToInstanceProfile", "iam:RemoveRoleFromInstanceProfile",
      "iam:TagInstanceProfile", "iam:UntagInstanceProfile",
    ]
    resources = [
      "arn:aws:iam::${var.aws_account_id}:role/credex-*",
      "arn:aws:iam::${var.aws_account_id}:instance-profile/credex-*",
    ]
  }

  statement {
    sid       = "ServiceLinkedRoles"
    effect    = "Allow"
    actions   = ["iam:CreateServiceLinkedRole"]
    resources = ["arn:aws:iam::${var.aws_account_id}:role/aws-service-role/*"]
  }

  statement {
    sid       = "TerraformState"
    effect    = "Allow"
    actions   = ["s3:ListBucket"]
    resources = ["arn:aws:s3:::${local.state_bucket}"]
  }

  statement {
    sid       = "TerraformStateObjects"
    effect    = "Allow"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["arn:aws:s3:::${local.state_bucket}/credex-core/*"]
  }
}

resource "aws_iam_role_policy" "deploy" {
  name   = "credex-ci-deploy"
  role   = aws_iam_role.deploy.id
  policy = data.aws_iam_policy_document.deploy.json
}
