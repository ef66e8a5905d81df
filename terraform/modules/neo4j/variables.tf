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

  validation {
    condition     = contains(["community", "enterprise"], var.edition)
    error_message = "edition must be \"community\" or \"enterprise\"."
  }
}

variable "neo4j_version" {
  type        = string
  description = "Neo4j package version installed on first boot, e.g. 5.26.0."

  validation {
    condition     = can(regex("^5\\.[0-9]+\\.[0-9]+$", var.neo4j_version))
    error_message = "neo4j_version must be a Neo4j 5 version such as 5.26.0."
  }
}

variable "instance_type" {
  type        = string
  description = "EC2 instance type of each database instance, e.g. t3.medium: a Nitro x86_64 type with EBS storage only (see the validation)."

  # Nitro: the boot script finds the data volume by its NVMe serial (the
  # volume ID), which Xen types (t2, m4, ...) do not give. x86_64: the AMI
  # is Amazon Linux 2023 for x86_64. EBS only: CloudWatch's recover action
  # refuses instances with instance store (the "d" types), and the volume's
  # data must never live on a disk that a stop wipes.
  validation {
    condition     = can(regex("^(t3|t3a|m5|m5a|m5n|m6i|m6a|m7i|m7a|r5|r5a|r5n|r6i|r6a|r7i|r7a|c5|c5a|c6i|c6a|c7i|c7a)\\.(medium|large|[0-9]*xlarge)$", var.instance_type))
    error_message = "instance_type must be a Nitro x86_64 type with EBS storage only, medium or larger: t3, t3a, m5, m5a, m5n, m6i, m6a, m7i, m7a, r5, r5a, r5n, r6i, r6a, r7i, r7a, c5, c5a, c6i, c6a, c7i or c7a (e.g. t3.medium, m5.large, r6i.xlarge). Xen types (t2, m4) have no NVMe volume serial for the boot script to find the data volume by; Graviton types need an arm64 AMI; types with instance store (m5d, ...) cannot use CloudWatch's recover action."
  }
}

variable "heap_size" {
  type        = string
  description = "Neo4j JVM heap size, e.g. 2g."

  validation {
    condition     = can(regex("^[0-9]+[mg]$", var.heap_size))
    error_message = "heap_size must look like 512m or 2g."
  }
}

variable "volume_size_gb" {
  type        = number
  description = "Size of each database's gp3 data volume, in GiB."

  validation {
    condition     = var.volume_size_gb >= 10
    error_message = "volume_size_gb must be at least 10."
  }
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

  validation {
    condition     = var.snapshot_retention_count >= 1 && var.snapshot_retention_count <= 1000
    error_message = "snapshot_retention_count must be between 1 and 1000."
  }
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

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", var.backup_time))
    error_message = "backup_time must be HH:MM in UTC, e.g. 02:30."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
