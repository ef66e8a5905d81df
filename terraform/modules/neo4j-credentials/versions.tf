terraform {
  # 1.11: write-only arguments (secret_string_wo) keep the passwords out of
  # the plan and the state.
  required_version = ">= 1.11"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.88: the ephemeral aws_secretsmanager_random_password and
      # aws_secretsmanager_secret_version's secret_string_wo.
      version = ">= 5.88"
    }
  }
}
