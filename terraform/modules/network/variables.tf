variable "name" {
  type        = string
  description = "Name given to the VPC and its parts, e.g. credex-staging."
}

variable "cidr" {
  type        = string
  description = "CIDR block of the VPC; subnets are /24s carved from it."

  validation {
    condition     = can(cidrnetmask(var.cidr)) && tonumber(split("/", var.cidr)[1]) <= 20
    error_message = "cidr must be an IPv4 CIDR block of /20 or larger, e.g. 10.40.0.0/16."
  }
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

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
