# credex-core staging. The pipeline reads aws_account_id and aws_region from
# this file (internal/envs); the provider refuses any other account.
# Replace the example account ID with the staging account's before the first
# run (docs/terraform.md, "Bootstrap an account").
aws_account_id = "111111111111"
aws_region     = "af-south-1"
environment    = "staging"

vpc_cidr = "10.40.0.0/16"

# One NAT gateway and no interface endpoints: cheaper, and a zone's loss is
# tolerable here (production has one per zone, and the endpoints).
nat_gateway_per_zone    = false
vpc_interface_endpoints = false

# The port credex-core listens on (the image's EXPOSE must match: credex-ci
# checks before a deploy) and the path the load balancer's health check asks.
container_port    = 5000
health_check_path = "/health"

task_cpu           = 512
task_memory        = 1024
desired_count      = 1
max_count          = 2
log_level          = "debug"
log_retention_days = 30

deployment_minimum_healthy_percent = 100
deployment_maximum_percent         = 200
health_check_grace_period_seconds  = 60

neo4j_edition                  = "community"
neo4j_instance_type            = "t3.medium"
neo4j_heap_size                = "1g"
neo4j_volume_size_gb           = 50
neo4j_snapshot_retention_count = 7

# Daily neo4j-admin backups kept 14 days, in af-south-1 only.
backup_retention_days = 14
