variable "aws_account_id" {
  type        = string
  description = "The 12-digit AWS account the deploy role is created in."

  validation {
    condition     = can(regex("^[0-9]{12}$", var.aws_account_id))
    error_message = "aws_account_id must be a 12-digit AWS account ID."
  }
}

variable "aws_region" {
  type        = string
  description = "Region of the provider (IAM is global)."
  default     = "af-south-1"
}

variable "github_repository" {
  type        = string
  description = "The repository whose workflows deploy, owner/name (e.g. Credex/credex-core)."

  validation {
    condition     = can(regex("^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$", var.github_repository))
    error_message = "github_repository must be owner/name."
  }
}

variable "github_environments" {
  type        = list(string)
  description = "GitHub environments whose jobs may assume the role (the deploy job runs in staging or production). One account per environment: list only that one."
  default     = ["staging", "production"]

  validation {
    condition     = length(var.github_environments) > 0 && alltrue([for e in var.github_environments : contains(["staging", "production"], e)])
    error_message = "github_environments lists staging and/or production, the environments deploy-environment.yml runs in."
  }
}

variable "create_oidc_provider" {
  type        = bool
  description = "Create GitHub's OIDC provider in this account; false when the account already has one (an account holds one per URL)."
  default     = true
}

variable "role_name" {
  type        = string
  description = "Name of the deploy role; its ARN is the environments' AWS_DEPLOY_ROLE_ARN variable in GitHub."
  default     = "credex-ci-deploy"
}

variable "state_bucket" {
  type        = string
  description = "The Terraform state bucket (terraform/bootstrap); null means credex-terraform-state-<account id>."
  default     = null
}

variable "max_session_hours" {
  type        = number
  description = "Longest session the role grants, in hours: a deploy with its verification must fit."
  default     = 2

  validation {
    condition     = var.max_session_hours >= 1 && var.max_session_hours <= 12
    error_message = "max_session_hours is between 1 and 12."
  }
}
