# Every variable without a default must be set in both
# environments/<env>.tfvars, except image, which the pipeline passes
# (-var=image=...) from the digest it just pushed.

variable "aws_account_id" {
  type        = string
  description = "The 12-digit AWS account this environment runs in; the provider refuses any other."

  validation {
    condition     = can(regex("^[0-9]{12}$", var.aws_account_id))
    error_message = "aws_account_id must be the 12-digit AWS account ID of the environment."
  }
}

variable "aws_region" {
  type        = string
  description = "AWS region of the environment."
  default     = "af-south-1"

  validation {
    condition     = can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.aws_region))
    error_message = "aws_region must be an AWS region name such as af-south-1."
  }
}

variable "environment" {
  type        = string
  description = "Environment name: staging or production. Suffixes every resource name and is the app's NODE_ENV."

  validation {
    condition     = contains(["staging", "production"], var.environment)
    error_message = "environment must be \"staging\" or \"production\"."
  }
}

variable "image" {
  type        = string
  description = "credex-core image pinned by digest (<repository>@sha256:<64 hex digits>); the pipeline passes the digest it pushed."

  validation {
    condition     = can(regex("^[^@\\s]+@sha256:[0-9a-f]{64}$", var.image))
    error_message = "image must be pinned by digest, e.g. 123456789012.dkr.ecr.af-south-1.amazonaws.com/credex-core-staging@sha256:<64 hex digits>; tags are mutable and are refused."
  }
}

# --- Network ---------------------------------------------------------------

variable "vpc_cidr" {
  type        = string
  description = "CIDR block of the VPC created when vpc_id is null: /16 to /20; every subnet is a /24 of it."

  validation {
    condition     = can(cidrnetmask(var.vpc_cidr)) && try(tonumber(split("/", var.vpc_cidr)[1]) >= 16 && tonumber(split("/", var.vpc_cidr)[1]) <= 20, false)
    error_message = "vpc_cidr must be an IPv4 CIDR block from /16 to /20, such as 10.40.0.0/16 (the subnets are /24s)."
  }
}

variable "nat_gateway_per_zone" {
  type        = bool
  description = "A NAT gateway per availability zone, each zone's private subnet routed through its own (required in production: it survives the loss of a zone); false shares one (staging, cheaper). Applies to the VPC this stack creates."
  default     = true

  validation {
    condition     = var.environment != "production" || var.nat_gateway_per_zone
    error_message = "production needs a NAT gateway per zone (nat_gateway_per_zone = true): with one, losing its zone cuts the tasks off ECR, Secrets Manager, CloudWatch and the internet in every zone."
  }
}

variable "vpc_interface_endpoints" {
  type        = bool
  description = "Interface endpoints for ecr.api, ecr.dkr, logs and secretsmanager in the private subnets, so tasks start without the NAT gateways (about 7 USD a month each per zone); the S3 gateway endpoint is always there. Applies to the VPC this stack creates."
  default     = true
}

variable "vpc_id" {
  type        = string
  description = "An existing VPC to use instead of creating one; then give public_subnet_ids and private_subnet_ids too."
  default     = null
}

variable "public_subnet_ids" {
  type        = list(string)
  description = "Public subnets (two zones) of an existing VPC, for the load balancer; used only with vpc_id."
  default     = []

  validation {
    condition     = var.vpc_id == null ? length(var.public_subnet_ids) == 0 : length(var.public_subnet_ids) >= 2
    error_message = "public_subnet_ids goes with vpc_id: with vpc_id set, set public_subnet_ids to that VPC's public subnets in at least two availability zones (the load balancer needs two); without vpc_id, remove public_subnet_ids (the stack creates its own VPC)."
  }
}

variable "private_subnet_ids" {
  type        = list(string)
  description = "Private subnets of an existing VPC, for tasks and databases; used only with vpc_id."
  default     = []

  validation {
    condition     = var.vpc_id == null ? length(var.private_subnet_ids) == 0 : length(var.private_subnet_ids) >= 1
    error_message = "private_subnet_ids goes with vpc_id: with vpc_id set, set private_subnet_ids to at least one private subnet of that VPC (for the tasks and databases); without vpc_id, remove private_subnet_ids (the stack creates its own VPC)."
  }
}

variable "ingress_cidrs" {
  type        = list(string)
  description = "IPv4 CIDR blocks allowed to reach the load balancer."
  default     = ["0.0.0.0/0"]

  validation {
    condition     = alltrue([for c in var.ingress_cidrs : can(cidrnetmask(c))])
    error_message = "Each entry of ingress_cidrs must be an IPv4 CIDR block."
  }
}

variable "certificate_arn" {
  type        = string
  description = "ACM certificate of domain_name, issued in aws_region in aws_account_id, for the HTTPS listener (TLS 1.3 policy; port 80 then redirects to 443). Required in production; null serves plain HTTP on port 80 (staging only)."
  default     = null

  validation {
    condition     = var.certificate_arn == null ? true : can(regex("^arn:aws[a-z-]*:acm:[a-z0-9-]+:[0-9]{12}:certificate/[0-9a-f-]+$", var.certificate_arn))
    error_message = "certificate_arn must be an ACM certificate ARN (arn:aws:acm:<region>:<account id>:certificate/<id>) or null."
  }

  validation {
    condition     = var.environment != "production" || var.certificate_arn != null
    error_message = "production serves the API over HTTPS only: set certificate_arn (the ACM certificate of domain_name, issued in aws_region) and domain_name in environments/production.tfvars (docs/terraform.md, \"Before the first production apply\")."
  }

  # The load balancer takes a certificate of its own account and region
  # only; checked here so a placeholder left in the tfvars fails the plan,
  # not the apply.
  validation {
    condition     = var.certificate_arn == null ? true : try(split(":", var.certificate_arn)[3] == var.aws_region && split(":", var.certificate_arn)[4] == var.aws_account_id, false)
    error_message = "certificate_arn must be a certificate of this environment's account (aws_account_id) in its region (aws_region): the load balancer cannot use one from elsewhere. Replace the placeholder with the ARN `aws acm list-certificates --region <aws_region>` shows."
  }
}

variable "domain_name" {
  type        = string
  description = "The API's DNS name, covered by certificate_arn; its record (managed outside this stack) points at load_balancer_dns_name, and api_url uses it. Required whenever certificate_arn is set; null (staging without a certificate) uses the load balancer's own name."
  default     = null

  validation {
    condition     = var.domain_name == null ? true : can(regex("^([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\\.)+[a-z][a-z0-9-]{0,61}[a-z0-9]$", var.domain_name))
    error_message = "domain_name must be a lower-case DNS name such as api.credex.example (no scheme, port or path)."
  }

  # The load balancer's own *.elb.amazonaws.com name is on no certificate:
  # an https:// api_url with it fails every client's hostname check.
  validation {
    condition     = var.certificate_arn == null || var.domain_name != null
    error_message = "certificate_arn is set, so set domain_name too: the name the certificate covers, which api_url uses (the load balancer's own name is on no certificate, so verification would fail on the hostname)."
  }
}

# --- Service ---------------------------------------------------------------

variable "container_port" {
  type        = number
  description = "Port the application listens on: its PORT, the target group's port and the image's EXPOSE (credex-ci checks that they agree before a deploy)."
  default     = 5000

  validation {
    condition     = var.container_port >= 1 && var.container_port <= 65535 && floor(var.container_port) == var.container_port
    error_message = "container_port must be a TCP port number, 1-65535."
  }
}

variable "health_check_path" {
  type        = string
  description = "Path the load balancer's health check requests, e.g. /health."
  default     = "/health"

  validation {
    condition     = startswith(var.health_check_path, "/")
    error_message = "health_check_path must start with /, e.g. /health."
  }
}

variable "task_cpu" {
  type        = number
  description = "Fargate task CPU units (256, 512, 1024, 2048, 4096)."

  validation {
    condition     = contains([256, 512, 1024, 2048, 4096], var.task_cpu)
    error_message = "task_cpu must be a Fargate task size in CPU units: 256, 512, 1024, 2048 or 4096."
  }
}

variable "task_memory" {
  type        = number
  description = "Fargate task memory in MiB, one Fargate offers with task_cpu."

  # ECS refuses any other pair only when the apply registers the task
  # definition, with the rest of the stack already changed.
  validation {
    condition = !contains([256, 512, 1024, 2048, 4096], var.task_cpu) || contains(lookup({
      256  = [512, 1024, 2048],
      512  = range(1024, 4097, 1024),
      1024 = range(2048, 8193, 1024),
      2048 = range(4096, 16385, 1024),
      4096 = range(8192, 30721, 1024),
    }, var.task_cpu, []), var.task_memory)
    error_message = "task_memory must be a size Fargate offers with task_cpu: with 256 CPU units 512, 1024 or 2048 MiB; with 512, 1024 to 4096; with 1024, 2048 to 8192; with 2048, 4096 to 16384; with 4096, 8192 to 30720 (above 512 MiB, in steps of 1024)."
  }
}

variable "desired_count" {
  type        = number
  description = "Number of tasks the service starts with and autoscaling never goes below. Raising it raises the floor (and the running count); the service's own desired count is autoscaling's after the first apply."

  validation {
    condition     = var.desired_count >= 1 && floor(var.desired_count) == var.desired_count
    error_message = "desired_count must be a whole number of tasks, at least 1."
  }
}

variable "max_count" {
  type        = number
  description = "Most tasks autoscaling may run on CPU load; at least desired_count (equal turns scaling off), at most 100."

  validation {
    condition     = var.max_count >= var.desired_count && var.max_count <= 100
    error_message = "max_count must be at least desired_count (autoscaling's minimum) and at most 100."
  }
}

variable "cpu_target_percent" {
  type        = number
  description = "Average CPU of the tasks, in percent, autoscaling holds the service near."
  default     = 60

  validation {
    condition     = var.cpu_target_percent >= 20 && var.cpu_target_percent <= 90
    error_message = "cpu_target_percent must be between 20 and 90."
  }
}

variable "deployment_minimum_healthy_percent" {
  type        = number
  description = "Lower limit of running tasks during a deployment, in percent of desired_count."
  default     = 100

  validation {
    condition     = var.deployment_minimum_healthy_percent >= 0 && var.deployment_minimum_healthy_percent <= 100
    error_message = "deployment_minimum_healthy_percent must be between 0 and 100."
  }
}

variable "deployment_maximum_percent" {
  type        = number
  description = "Upper limit of running tasks during a deployment, in percent of desired_count."
  default     = 200

  validation {
    condition     = var.deployment_maximum_percent >= 100 && var.deployment_maximum_percent <= 400
    error_message = "deployment_maximum_percent must be between 100 and 400."
  }
}

variable "health_check_grace_period_seconds" {
  type        = number
  description = "Seconds the service ignores failing load balancer health checks of a new task."
  default     = 60

  validation {
    condition     = var.health_check_grace_period_seconds >= 0 && var.health_check_grace_period_seconds <= 2147483647
    error_message = "health_check_grace_period_seconds must not be negative."
  }
}

variable "log_level" {
  type        = string
  description = "The application's LOG_LEVEL: debug on staging, info on production."

  validation {
    condition     = contains(["error", "warn", "info", "debug"], var.log_level)
    error_message = "log_level must be one of error, warn, info, debug."
  }
}

variable "log_retention_days" {
  type        = number
  description = "Days CloudWatch keeps the application's logs."

  validation {
    condition     = contains([1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653], var.log_retention_days)
    error_message = "log_retention_days must be a value CloudWatch accepts, e.g. 14, 30, 90 or 365."
  }
}

# --- Databases -------------------------------------------------------------

variable "neo4j_edition" {
  type        = string
  description = "Neo4j edition of both databases: community or enterprise."

  validation {
    condition     = contains(["community", "enterprise"], var.neo4j_edition)
    error_message = "neo4j_edition must be \"community\" or \"enterprise\" (enterprise needs a Neo4j licence)."
  }
}

variable "neo4j_version" {
  type        = string
  description = "Neo4j 5 version installed on the database instances' first boot."
  default     = "5.26.0"

  validation {
    condition     = can(regex("^5\\.[0-9]+\\.[0-9]+$", var.neo4j_version))
    error_message = "neo4j_version must be a Neo4j 5 version such as 5.26.0."
  }
}

variable "neo4j_instance_type" {
  type        = string
  description = "EC2 instance type of each Neo4j instance (staging t3.medium, production m5.large): a Nitro x86_64 type with EBS storage only, medium or larger (see the validation)."

  # Nitro: the boot script finds the data volume by its NVMe serial (the
  # volume ID), which Xen types (t2, m4, ...) do not give. x86_64: the AMI
  # is Amazon Linux 2023 for x86_64. EBS only: CloudWatch's recover action
  # refuses instances with instance store (the "d" types), and the volume's
  # data must never live on a disk that a stop wipes.
  validation {
    condition     = can(regex("^(t3|t3a|m5|m5a|m5n|m6i|m6a|m7i|m7a|r5|r5a|r5n|r6i|r6a|r7i|r7a|c5|c5a|c6i|c6a|c7i|c7a)\\.(medium|large|[0-9]*xlarge)$", var.neo4j_instance_type))
    error_message = "neo4j_instance_type must be a Nitro x86_64 type with EBS storage only, medium or larger: t3, t3a, m5, m5a, m5n, m6i, m6a, m7i, m7a, r5, r5a, r5n, r6i, r6a, r7i, r7a, c5, c5a, c6i, c6a, c7i or c7a (e.g. t3.medium, m5.large, r6i.xlarge). Xen types (t2, m4) have no NVMe volume serial for the boot script to find the data volume by; Graviton types need an arm64 AMI; types with instance store (m5d, ...) cannot use CloudWatch's recover action."
  }
}

variable "neo4j_heap_size" {
  type        = string
  description = "Neo4j JVM heap size, e.g. 1g on t3.medium, 3g on m5.large."

  validation {
    condition     = can(regex("^[0-9]+[mg]$", var.neo4j_heap_size))
    error_message = "neo4j_heap_size must be a JVM heap size such as 512m or 2g."
  }
}

variable "neo4j_volume_size_gb" {
  type        = number
  description = "Size of each database's encrypted gp3 data volume, in GiB."

  validation {
    condition     = var.neo4j_volume_size_gb >= 10
    error_message = "neo4j_volume_size_gb must be at least 10 (GiB)."
  }
}

variable "neo4j_kms_key_id" {
  type        = string
  description = "KMS key ARN for the database volumes; null uses the account's default EBS key."
  default     = null
}

variable "neo4j_snapshot_retention_count" {
  type        = number
  description = "How many daily snapshots of each database volume DLM keeps."

  validation {
    condition     = var.neo4j_snapshot_retention_count >= 1 && var.neo4j_snapshot_retention_count <= 1000
    error_message = "neo4j_snapshot_retention_count must be between 1 and 1000."
  }
}

variable "neo4j_password_version" {
  type        = number
  description = "Version of the Neo4j passwords Terraform generated: increase it by one to write new ones to the secret (rotation, see docs/terraform.md)."
  default     = 1

  validation {
    condition     = var.neo4j_password_version >= 1 && floor(var.neo4j_password_version) == var.neo4j_password_version
    error_message = "neo4j_password_version must be a whole number from 1; increase it by one to rotate the passwords."
  }
}

variable "backup_time" {
  type        = string
  description = "UTC time (HH:MM) of the daily neo4j-admin backup of each database (Community stops for it: a few minutes' outage of that database)."
  default     = "02:30"

  validation {
    condition     = can(regex("^([01][0-9]|2[0-3]):[0-5][0-9]$", var.backup_time))
    error_message = "backup_time must be HH:MM in UTC, e.g. 02:30."
  }
}

variable "backup_retention_days" {
  type        = number
  description = "Days each database backup is kept in S3 (and in its copy)."
  default     = 14

  validation {
    condition     = var.backup_retention_days >= 7 && var.backup_retention_days <= 3650
    error_message = "backup_retention_days must be between 7 and 3650."
  }
}

variable "backup_replica_region" {
  type        = string
  description = "Region every database backup is copied to (required in production, another region than aws_region); null keeps the backups in aws_region only."
  default     = null

  validation {
    condition     = var.backup_replica_region == null ? var.environment != "production" : can(regex("^[a-z]{2}(-gov)?-[a-z]+-[0-9]$", var.backup_replica_region)) && var.backup_replica_region != var.aws_region
    error_message = "production copies its database backups to another region: set backup_replica_region (e.g. eu-west-1), a region name other than aws_region."
  }
}

# --- Alarms and tags -------------------------------------------------------

variable "alarm_emails" {
  type        = list(string)
  description = "Addresses subscribed to the alarm topic (each confirms by e-mail). Production needs at least one subscriber: an address here or an endpoint in alarm_https_endpoints."
  default     = []

  validation {
    condition     = alltrue([for e in var.alarm_emails : can(regex("^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$", e))])
    error_message = "Each entry of alarm_emails must be an e-mail address."
  }

  # An alarm nobody receives is no alarm.
  validation {
    condition     = var.environment != "production" || length(var.alarm_emails) + length(var.alarm_https_endpoints) > 0
    error_message = "production must notify someone of its alarms: set alarm_emails (an on-call address or list) or alarm_https_endpoints (a paging service's HTTPS endpoint) in environments/production.tfvars."
  }
}

variable "alarm_https_endpoints" {
  type        = list(string)
  description = "HTTPS endpoints subscribed to the alarm topic, e.g. a paging service's CloudWatch integration URL; each must confirm the subscription (SNS posts a SubscriptionConfirmation)."
  default     = []

  validation {
    condition     = alltrue([for u in var.alarm_https_endpoints : can(regex("^https://[^\\s/]+", u))])
    error_message = "Each entry of alarm_https_endpoints must be an https:// URL (SNS sends alarms in clear to http:// ones)."
  }
}

variable "tags" {
  type        = map(string)
  description = "Extra tags added to every resource."
  default     = {}
}
