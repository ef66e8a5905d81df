variable "environment" {
  type        = string
  description = "Environment name, also the application's NODE_ENV: staging or production."
}

variable "region" {
  type        = string
  description = "AWS region, for the awslogs driver and the roles' trust conditions."
}

variable "account_id" {
  type        = string
  description = "The 12-digit AWS account: the roles trust only its tasks, and the access-log bucket is named after it."
}

variable "access_log_days" {
  type        = number
  description = "Days the load balancer's access logs are kept."
  default     = 90

  validation {
    condition     = var.access_log_days >= 1
    error_message = "access_log_days must be at least 1."
  }
}

variable "cluster_name" {
  type        = string
  description = "Name of the ECS cluster, e.g. credex-cluster-staging."
}

variable "service_name" {
  type        = string
  description = "Name of the ECS service, e.g. credex-core-service-staging."
}

variable "task_family" {
  type        = string
  description = "Family of the task definition, e.g. credex-core-staging."
}

variable "container_name" {
  type        = string
  description = "Name of the application container in the task definition."
}

variable "container_port" {
  type        = number
  description = "Port the application listens on (its PORT)."
  default     = 5000
}

variable "health_check_path" {
  type        = string
  description = "Path the target group's health check requests."
  default     = "/health"
}

variable "image" {
  type        = string
  description = "Container image, pinned by digest: <repository>@sha256:<64 hex digits>."

  validation {
    condition     = can(regex("^[^@\\s]+@sha256:[0-9a-f]{64}$", var.image))
    error_message = "image must be pinned by digest, e.g. 123456789012.dkr.ecr.af-south-1.amazonaws.com/credex-core-staging@sha256:<64 hex digits>."
  }
}

variable "cpu" {
  type        = number
  description = "Fargate task CPU units (256, 512, 1024, 2048, 4096)."
}

variable "memory" {
  type        = number
  description = "Fargate task memory in MiB (must suit cpu, see the Fargate task size table)."
}

variable "desired_count" {
  type        = number
  description = "Number of tasks the service starts with and never goes below (autoscaling's minimum)."
}

variable "max_count" {
  type        = number
  description = "Most tasks autoscaling may run (at least desired_count, the least)."
}

variable "cpu_target_percent" {
  type        = number
  description = "Average CPU of the tasks, in percent, that autoscaling holds the service near."
  default     = 60
}

variable "deployment_minimum_healthy_percent" {
  type        = number
  description = "Lower limit of running tasks during a deployment, in percent of desired_count."
}

variable "deployment_maximum_percent" {
  type        = number
  description = "Upper limit of running tasks during a deployment, in percent of desired_count."
}

variable "health_check_grace_period_seconds" {
  type        = number
  description = "Seconds the service ignores failing load balancer health checks of a new task."
}

variable "log_group_name" {
  type        = string
  description = "CloudWatch log group of the application, e.g. /ecs/credex-core-staging."
}

variable "log_stream_prefix" {
  type        = string
  description = "awslogs stream prefix of the application container."
  default     = "ecs"
}

variable "log_retention_days" {
  type        = number
  description = "Days CloudWatch keeps the application's logs."
}

variable "log_level" {
  type        = string
  description = "The application's LOG_LEVEL."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key the log group is encrypted with (its key policy must let CloudWatch Logs use it for this group)."
}

variable "app_secret_name" {
  type        = string
  description = "Name of the Secrets Manager secret holding JWT_SECRET, WHATSAPP_BOT_API_KEY and OPEN_EXCHANGE_RATES_API."
}

variable "neo4j_secret_arn" {
  type        = string
  description = "ARN of the Secrets Manager secret with the Neo4j connection details."
}

variable "database_security_group_id" {
  type        = string
  description = "Security group of the Neo4j instances (the tasks may open Bolt connections to it)."
}

variable "ecr_repository_arn" {
  type        = string
  description = "ARN of the ECR repository the image is pulled from."
}

variable "vpc_id" {
  type        = string
  description = "VPC of the service."
}

variable "public_subnet_ids" {
  type        = list(string)
  description = "Subnets of the load balancer (at least two zones)."

  validation {
    condition     = length(var.public_subnet_ids) >= 2
    error_message = "An Application Load Balancer needs subnets in at least two availability zones."
  }
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Subnets of the tasks."

  validation {
    condition     = length(var.private_subnet_ids) >= 1
    error_message = "Give at least one private subnet ID."
  }
}

variable "ingress_cidrs" {
  type        = list(string)
  description = "IPv4 CIDR blocks allowed to reach the load balancer."
}

variable "certificate_arn" {
  type        = string
  description = "ACM certificate ARN for an HTTPS listener; null serves HTTP only."
  default     = null
}

variable "deletion_protection" {
  type        = bool
  description = "Protect the load balancer from deletion."
  default     = false
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
