variable "name" {
  type        = string
  description = "Prefix of the alarm and topic names, e.g. credex-core-staging."
}

variable "cluster_name" {
  type        = string
  description = "ECS cluster of the service."
}

variable "service_name" {
  type        = string
  description = "ECS service watched."
}

variable "load_balancer_arn_suffix" {
  type        = string
  description = "ARN suffix of the service's load balancer."
}

variable "target_group_arn_suffix" {
  type        = string
  description = "ARN suffix of the service's target group."
}

variable "region" {
  type        = string
  description = "AWS region of the instances (EC2's recover action is named per region)."
}

variable "database_instance_ids" {
  type        = map(string)
  description = "EC2 instance of each database, by database name (ledgerspace, searchspace)."
  default     = {}
}

variable "database_instance_type" {
  type        = string
  description = "EC2 instance type of the database instances: burstable types (t3, t3a) also get a CPU credit alarm."
  default     = ""
}

variable "database_data_dir" {
  type        = string
  description = "Mount point of the databases' data volumes, as the CloudWatch agent reports it (path dimension)."
  default     = "/var/lib/neo4j"
}

variable "database_backup_namespace" {
  type        = string
  description = "CloudWatch namespace of the databases' BackupSucceeded metric (modules/neo4j)."
  default     = "Credex/Neo4j"
}

variable "disk_threshold_percent" {
  type        = number
  description = "Disk use, in percent, above which a database's disk alarm fires (root and data file systems)."
  default     = 80

  validation {
    condition     = var.disk_threshold_percent > 0 && var.disk_threshold_percent < 100
    error_message = "disk_threshold_percent must be between 1 and 99."
  }
}

variable "cpu_credit_balance_threshold" {
  type        = number
  description = "CPU credits below which a burstable database instance's credit alarm fires (a t3.medium earns 24 an hour and keeps at most 576)."
  default     = 50
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key the topic is encrypted with (its key policy must let cloudwatch.amazonaws.com use it)."
}

variable "emails" {
  type        = list(string)
  description = "Addresses subscribed to the alarm topic (each must confirm by email)."
  default     = []
}

variable "https_endpoints" {
  type        = list(string)
  description = "HTTPS endpoints subscribed to the alarm topic (each must confirm the subscription)."
  default     = []
}

variable "cpu_threshold_percent" {
  type        = number
  description = "Average CPU, in percent, above which the CPU alarm fires."
  default     = 80

  validation {
    condition     = var.cpu_threshold_percent > 0 && var.cpu_threshold_percent <= 100
    error_message = "cpu_threshold_percent must be between 1 and 100."
  }
}

variable "memory_threshold_percent" {
  type        = number
  description = "Average memory, in percent, above which the memory alarm fires."
  default     = 80

  validation {
    condition     = var.memory_threshold_percent > 0 && var.memory_threshold_percent <= 100
    error_message = "memory_threshold_percent must be between 1 and 100."
  }
}

variable "http_5xx_threshold" {
  type        = number
  description = "5xx responses per minute above which the 5xx alarm fires."
  default     = 5
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
