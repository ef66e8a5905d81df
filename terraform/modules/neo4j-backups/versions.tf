terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = ">= 5.66"
      # The replica's region; the caller passes the same provider when there
      # is no replica.
      configuration_aliases = [aws.replica]
    }
  }
}
