variable "aws_account_id" {
  type        = string
  description = "The 12-digit AWS account the state bucket is created in."

  validation {
    condition     = can(regex("^[0-9]{12}$", var.aws_account_id))
    error_message = "aws_account_id must be a 12-digit AWS account ID."
  }
}

variable "aws_region" {
  type        = string
  description = "Region of the state bucket."
  default     = "af-south-1"
}

variable "bucket_name" {
  type        = string
  description = "Name of the state bucket; null means credex-terraform-state-<account id>, the pipeline's default --state-bucket."
  default     = null
}

variable "noncurrent_version_days" {
  type        = number
  description = "Days old versions of state files are kept (they let you roll a state back)."
  default     = 365

  validation {
    condition     = var.noncurrent_version_days >= 30
    error_message = "Keep old state versions at least 30 days."
  }
}
