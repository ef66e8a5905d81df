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

variable "tags" {
  type        = map(string)
  description = "Tags added to every resource."
  default     = {}
}
