variable "name" {
  type        = string
  description = "Prefix of the resources' names, e.g. credex-production."
}

variable "account_id" {
  type        = string
  description = "The 12-digit AWS account: the bucket's name ends with it (bucket names are global)."
}

variable "region" {
  type        = string
  description = "AWS region of the environment (the source bucket's)."
}

variable "kms_key_arn" {
  type        = string
  description = "The environment's KMS key, which encrypts the backups."
}

variable "retention_days" {
  type        = number
  description = "Days each backup is kept (in both buckets)."
}

variable "replica_region" {
  type        = string
  description = "Region every backup is copied to (through the aws.replica provider, which must be configured for it); null keeps the backups in one region."
  default     = null
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
