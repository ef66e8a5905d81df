terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source = "hashicorp/aws"
      # 5.66: rotation_period_in_days.
      version = ">= 5.66"
    }
  }
}
