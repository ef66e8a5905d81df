variable "name" {
  type        = string
  description = "Name of the ECR repository, e.g. credex-core-staging."

  validation {
    condition     = can(regex("^[a-z0-9][a-z0-9._/-]{1,255}$", var.name))
    error_message = "The repository name must be lower case letters, digits, '.', '_', '-' or '/'."
  }
}

variable "keep_images" {
  type        = number
  description = "How many images the lifecycle policy keeps; older ones expire."
  default     = 30

  validation {
    condition     = var.keep_images >= 5 && var.keep_images <= 1000
    error_message = "keep_images must be between 5 and 1000 (rollbacks need a few previous images)."
  }
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key the images are encrypted with; null uses ECR's AES256."
  default     = null
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
