terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }

  # Local state on purpose: this stack creates the bucket every other state
  # lives in. Keep terraform.tfstate from here somewhere safe (it holds no
  # secrets), or import the bucket again if it is lost.
}
