variable "name" {
  type        = string
  description = "Name of the bucket (global: end it with the account ID)."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$", var.name))
    error_message = "name must be 3 to 63 lower-case letters, digits, dots and hyphens."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key the objects are encrypted with; null means SSE-S3, only for what AWS delivers with nothing else (an ALB's access logs)."
  default     = null
}

variable "expiration_days" {
  type        = number
  description = "Days an object is kept; null keeps it until it is deleted or overwritten (the state bucket)."
  default     = null

  validation {
    condition     = var.expiration_days == null ? true : var.expiration_days >= 1
    error_message = "expiration_days must be at least 1, or null to keep objects."
  }
}

variable "noncurrent_days" {
  type        = number
  description = "Days an overwritten or deleted object's old version is kept."
  default     = 7

  validation {
    condition     = var.noncurrent_days >= 1
    error_message = "noncurrent_days must be at least 1."
  }
}

variable "policy_json" {
  type        = string
  description = "More bucket policy statements (a policy document), e.g. who may write; the bucket always refuses plain HTTP."
  default     = null
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
