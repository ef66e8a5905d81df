# The test bed's registry stack: the environment's ECR repository, IMMUTABLE
# as terraform/modules/registry makes it, so `registry --env` and a deploy's
# registry stage run against the test bed as against AWS. The pipeline passes
# aws_account_id, aws_region and environment with -var.

provider "aws" {
  region              = var.aws_region
  allowed_account_ids = [var.aws_account_id]
}

variable "aws_account_id" {
  type        = string
  description = "The test bed's account (000000000000)."
}

variable "aws_region" {
  type        = string
  description = "AWS region."
  default     = "af-south-1"
}

variable "environment" {
  type        = string
  description = "Environment name: staging or production."
}

resource "aws_ecr_repository" "this" {
  name                 = "credex-core-${var.environment}"
  image_tag_mutability = "IMMUTABLE"
  force_delete         = true
}

output "repository_name" {
  description = "Name of the ECR repository."
  value       = aws_ecr_repository.this.name
}

output "repository_url" {
  description = "URL images are pushed to."
  value       = aws_ecr_repository.this.repository_url
}
