variable "aws_account_id" {
  type        = string
  description = "The test bed's account (000000000000); the provider refuses any other."

  validation {
    condition     = can(regex("^[0-9]{12}$", var.aws_account_id))
    error_message = "aws_account_id must be a 12-digit AWS account ID."
  }
}

variable "aws_region" {
  type        = string
  description = "AWS region."
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

variable "image" {
  type        = string
  description = "credex-core image pinned by digest (<repository>@sha256:<64 hex digits>)."

  validation {
    condition     = can(regex("^[^@\\s]+@sha256:[0-9a-f]{64}$", var.image))
    error_message = "image must be pinned by digest: <repository>@sha256:<64 hex digits>."
  }
}

variable "api_url" {
  type        = string
  description = "Base URL of the API the checks call: on the test bed, a stand-in app or the image run as a Dagger service."
  default     = "http://127.0.0.1:5055"
}

variable "desired_count" {
  type        = number
  description = "Number of tasks."
  default     = 2
}

variable "task_cpu" {
  type        = number
  description = "Task CPU units."
  default     = 512
}

variable "task_memory" {
  type        = number
  description = "Task memory (MiB)."
  default     = 1024
}

variable "container_port" {
  type        = number
  description = "Port the application listens on."
  default     = 5000
}

variable "subnet_ids" {
  type        = list(string)
  description = "Subnets of the tasks (the test bed checks none)."
  default     = ["subnet-0a1b2c3d4e5f60001", "subnet-0a1b2c3d4e5f60002"]
}

variable "security_group_ids" {
  type        = list(string)
  description = "Security groups of the tasks (the test bed checks none)."
  default     = ["sg-0a1b2c3d4e5f60001"]
}

variable "vpc_id" {
  type        = string
  description = "VPC of the target group (the test bed checks none)."
  default     = "vpc-0a1b2c3d4e5f60001"
}
