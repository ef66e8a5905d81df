# The pipeline passes aws_account_id, aws_region and environment with -var,
# from the same environments/<env>.tfvars the main stack uses.

variable "aws_account_id" {
  type        = string
  description = "The 12-digit AWS account of the environment; the provider refuses any other."

  validation {
    condition     = can(regex("^[0-9]{12}$", var.aws_account_id))
    error_message = "aws_account_id must be the 12-digit AWS account ID of the environment."
  }
}

variable "aws_region" {
  type        = string
  description = "AWS region of the environment."
  default     = "af-south-1"
}

variable "environment" {
  type        = string
  description = "Environment name: staging or production."

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be \"staging\" or \"production\"."
  }
}

variable "keep_images" {
  type        = number
  description = "How many images the repository keeps (older ones expire)."
  default     = 30
}
