terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }

  # Local state, like terraform/bootstrap: an administrator applies this once
  # per account, by hand, before the first deploy from GitHub Actions. It
  # holds no secrets (an OIDC provider and a role).
}
