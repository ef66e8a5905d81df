# credex-core production. The pipeline reads aws_account_id and aws_region
# from this file (internal/envs); the provider refuses any other account.
# Replace the example account ID with the production account's before the
# first run (docs/terraform.md, "Bootstrap an account").
aws_account_id = "222222222222"
aws_region     = "af-south-1"
environment    = "production"

vpc_cidr = "10.50.0.0/16"

# A NAT gateway per zone (required) and interface endpoints for ECR, Logs
# and Secrets Manager: tasks start in the zones that remain.
nat_gateway_per_zone    = true
vpc_interface_endpoints = true

# HTTPS, required in production (port 80 only redirects to 443). Both are
# PLACEHOLDERS, like the account ID above: replace them before the first
# apply with the API's DNS name and the ACM certificate covering it, issued in
# aws_region in this account (the plan refuses a certificate of any other
# account or region). Point the name's DNS record at the load_balancer_dns_name
# output after the first apply. docs/terraform.md, "Before the first
# production apply".
certificate_arn = "arn:aws:acm:af-south-1:222222222222:certificate/00000000-0000-0000-0000-000000000000"
domain_name     = "api.credex.example"

# The port credex-core listens on (the image's EXPOSE must match: credex-ci
# checks before a deploy) and the path the load balancer's health check asks.
container_port    = 5000
health_check_path = "/health"

task_cpu           = 1024
task_memory        = 2048
desired_count      = 2
max_count          = 6
log_level          = "info"
log_retention_days = 365

deployment_minimum_healthy_percent = 100
deployment_maximum_percent         = 200
health_check_grace_period_seconds  = 90

neo4j_edition                  = "enterprise"
neo4j_instance_type            = "m5.large"
neo4j_heap_size                = "3g"
neo4j_volume_size_gb           = 200
neo4j_snapshot_retention_count = 30

# Who hears the alarms (required in production: at least one address or
# endpoint). A PLACEHOLDER: replace it with the on-call address, or set
# alarm_https_endpoints to a paging service's HTTPS endpoint. Each address
# confirms its subscription from the e-mail SNS sends.
alarm_emails = ["oncall@credex.example"]

# Daily online backups kept 35 days, each copied to another region (required
# in production; choose one your data may live in).
backup_retention_days = 35
backup_replica_region = "eu-west-1"
