variable "alias" {
  type        = string
  description = "Alias the main stack finds the key by, e.g. alias/credex-core-staging."

  validation {
    condition     = can(regex("^alias/[a-zA-Z0-9/_-]+$", var.alias)) && !startswith(var.alias, "alias/aws/")
    error_message = "alias must look like alias/credex-core-staging (alias/aws/ is AWS's own)."
  }
}

variable "account_id" {
  type        = string
  description = "The 12-digit AWS account of the environment."
}

variable "region" {
  type        = string
  description = "AWS region of the environment (CloudWatch Logs' service principal is per region)."
}

variable "environment" {
  type        = string
  description = "Environment name (staging or production): the log groups allowed to use the key have it in their names."
}

variable "tags" {
  type        = map(string)
  description = "Tags added to the key."
  default     = {}
}
