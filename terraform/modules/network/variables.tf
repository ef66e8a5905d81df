variable "name" {
  type        = string
  description = "Name given to the VPC and its parts, e.g. credex-staging."
}

variable "cidr" {
  type        = string
  description = "CIDR block of the VPC, /16 to /20; every subnet is a /24 carved from it (public from the first, private from the eleventh)."
}

variable "az_count" {
  type        = number
  description = "Number of availability zones to spread subnets over."
  default     = 2

  validation {
    condition     = var.az_count >= 2 && var.az_count <= 3
    error_message = "az_count must be 2 or 3 (an ALB needs at least two zones)."
  }
}

variable "region" {
  type        = string
  description = "AWS region of the VPC (the endpoints' service names)."
}

variable "nat_gateway_per_az" {
  type        = bool
  description = "A NAT gateway and private route table per zone (true: a zone's loss leaves the others their way out) or one for the VPC (false: cheaper)."
  default     = true
}

variable "interface_endpoints" {
  type        = bool
  description = "Interface endpoints for ecr.api, ecr.dkr, logs and secretsmanager in every private subnet (about 7 USD a month each per zone)."
  default     = true
}

variable "account_id" {
  type        = string
  description = "The 12-digit AWS account of the VPC (the flow logs role accepts only this account's flow logs)."
}

variable "kms_key_arn" {
  type        = string
  description = "KMS key the flow logs' log group is encrypted with."
}

variable "flow_log_retention_days" {
  type        = number
  description = "Days CloudWatch keeps the VPC's flow logs."
  default     = 90

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.flow_log_retention_days)
    error_message = "flow_log_retention_days must be a value CloudWatch accepts, e.g. 30, 90 or 365."
  }
}

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
