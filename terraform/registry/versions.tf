terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }

  # bucket, key (credex-core/<env>/registry.tfstate) and region are given at init.
  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }
}
