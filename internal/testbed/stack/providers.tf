# The endpoint is the test bed's, from AWS_ENDPOINT_URL (the pipeline sets it
# in its Terraform containers); the account is the test bed's, and the
# provider refuses any other.
provider "aws" {
  region              = var.aws_region
  allowed_account_ids = [var.aws_account_id]

  default_tags {
    tags = {
      Project     = "credex-core"
      Environment = var.environment
      ManagedBy   = "terraform"
      TestBed     = "true"
    }
  }
}
