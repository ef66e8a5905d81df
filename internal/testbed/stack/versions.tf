terraform {
  required_version = ">= 1.10"

  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "5.100.0"
    }
  }

  # As the credex-core stack: bucket, key and region are given at init; the
  # pipeline adds use_path_style=true when an endpoint is set.
  backend "s3" {
    encrypt      = true
    use_lockfile = true
  }
}
