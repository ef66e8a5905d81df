variable "name" {
  type        = string
  description = "Prefix of the resources' names, e.g. credex-staging."
}

variable "vpc_id" {
  type        = string
  description = "VPC the instances run in."
}

variable "subnet_ids" {
  type        = list(string)
  description = "Private subnets; the two databases are spread over them."

  validation {
    condition     = length(var.subnet_ids) > 0
    error_message = "Give at least one private subnet ID."
  }
}

variable "client_security_group_id" {
  type        = string
  description = "Security group of the application tasks: the only source allowed to reach Neo4j."
}

variable "secret_name" {
  type        = string
  description = "Name of the Secrets Manager secret holding the Bolt URLs, users and passwords (neo4j_stage_secrets or neo4j_prod_secrets)."
}

variable "edition" {
  type        = string
  description = "Neo4j edition: community or enterprise (enterprise needs a licence)."
}

variable "neo4j_version" {
  type        = string
  description = "Neo4j package version installed on first boot, e.g. 5.26.0."
}

variable "instance_type" {
  type        = string
  description = "EC2 instance type of each database instance, e.g. t3.medium: a Nitro x86_64 type with EBS storage only (the boot script finds the data volume by its NVMe serial; the recover action refuses instance store)."
}

variable "heap_size" {
  type        = string
  description = "Neo4j JVM heap size, e.g. 2g."
}

variable "volume_size_gb" {
  type        = number
  description = "Size of each database's gp3 data volume, in GiB."
}

variable "kms_key_id" {
  type        = string
  description = "KMS key ARN for the volumes; null uses the account's default EBS key."
  default     = null
}

variable "snapshot_time" {
  type        = string
  description = "UTC time (HH:MM) of the daily snapshot."
  default     = "01:00"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", var.snapshot_time))
    error_message = "snapshot_time must be HH:MM in UTC, e.g. 01:00."
  }
}

variable "snapshot_retention_count" {
  type        = number
  description = "How many daily snapshots of each volume to keep."
}

variable "password_version" {
  type        = number
  description = "Version of the generated passwords: Terraform writes new passwords to the secret each time this changes (rotation; see docs/terraform.md)."
  default     = 1
}

variable "termination_protection" {
  type        = bool
  description = "Set disable_api_termination on the instances, so an API call cannot terminate a database (production)."
  default     = false
}

variable "region" {
  type        = string
  description = "AWS region of the instances (the AWS CLI's, on them)."
}

variable "backup_bucket" {
  type        = string
  description = "Name of the bucket the daily neo4j-admin backups go to (modules/neo4j-backups)."
}

variable "backup_bucket_arn" {
  type        = string
  description = "ARN of the backup bucket: the instances may write and read backups there, never delete them."
}

variable "backup_kms_key_arn" {
  type        = string
  description = "KMS key the backups are encrypted with."
}

variable "backup_time" {
  type        = string
  description = "UTC time (HH:MM) of the daily backup of each database."
  default     = "02:30"
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
