# The credex-core stack of one environment (staging or production): network,
# Neo4j databases, the ECS service behind its load balancer, and alarms. The
# ECR repository is a separate stack (registry/), applied first, so the image
# can be pushed before this stack needs its digest: see docs/terraform.md.
#
# Names below are the ones credex-core and the pipeline rely on
# (internal/envs): keep them in step.

locals {
  short = { staging = "stage", production = "prod" }[var.environment]

  cluster_name      = "credex-cluster-${var.environment}"
  service_name      = "credex-core-service-${var.environment}"
  task_family       = "credex-core-${var.environment}"
  container_name    = "credex-core"
  log_group_name    = "/ecs/credex-core-${var.environment}"
  log_stream_prefix = "ecs"
  neo4j_secret_name = "neo4j_${local.short}_secrets"
  app_secret_name   = "credex-core-${var.environment}-app"
  repository_name   = "credex-core-${var.environment}"
  kms_key_alias     = "alias/credex-core-${var.environment}"
  prefix            = "credex-${var.environment}"

  create_vpc         = var.vpc_id == null
  vpc_id             = local.create_vpc ? module.network[0].vpc_id : var.vpc_id
  public_subnet_ids  = local.create_vpc ? module.network[0].public_subnet_ids : var.public_subnet_ids
  private_subnet_ids = local.create_vpc ? module.network[0].private_subnet_ids : var.private_subnet_ids
}

module "network" {
  source = "./modules/network"
  count  = local.create_vpc ? 1 : 0

  name                = local.prefix
  cidr                = var.vpc_cidr
  region              = var.aws_region
  nat_gateway_per_az  = var.nat_gateway_per_zone
  interface_endpoints = var.vpc_interface_endpoints
  account_id          = var.aws_account_id
  kms_key_arn         = data.aws_kms_key.environment.arn
}

# Created by the registry stack (terraform/registry).
data "aws_ecr_repository" "app" {
  name = local.repository_name
}

# The environment's KMS key, also created by the registry stack: the alarm
# topic, the log groups and the backups are encrypted with it.
data "aws_kms_key" "environment" {
  key_id = local.kms_key_alias
}

module "neo4j_backups" {
  source = "./modules/neo4j-backups"

  providers = {
    aws         = aws
    aws.replica = aws.backup_replica
  }

  name           = local.prefix
  account_id     = var.aws_account_id
  region         = var.aws_region
  kms_key_arn    = data.aws_kms_key.environment.arn
  retention_days = var.backup_retention_days
  replica_region = var.backup_replica_region
}

module "neo4j" {
  source = "./modules/neo4j"

  name                     = local.prefix
  vpc_id                   = local.vpc_id
  subnet_ids               = local.private_subnet_ids
  client_security_group_id = module.service.tasks_security_group_id
  secret_name              = local.neo4j_secret_name
  edition                  = var.neo4j_edition
  neo4j_version            = var.neo4j_version
  instance_type            = var.neo4j_instance_type
  heap_size                = var.neo4j_heap_size
  volume_size_gb           = var.neo4j_volume_size_gb
  kms_key_id               = var.neo4j_kms_key_id
  snapshot_retention_count = var.neo4j_snapshot_retention_count
  password_version         = var.neo4j_password_version
  termination_protection   = var.environment == "production"
  region                   = var.aws_region
  backup_bucket            = module.neo4j_backups.bucket
  backup_bucket_arn        = module.neo4j_backups.bucket_arn
  backup_kms_key_arn       = data.aws_kms_key.environment.arn
  backup_time              = var.backup_time
}

module "service" {
  source = "./modules/service"

  environment                        = var.environment
  region                             = var.aws_region
  account_id                         = var.aws_account_id
  cluster_name                       = local.cluster_name
  service_name                       = local.service_name
  task_family                        = local.task_family
  container_name                     = local.container_name
  container_port                     = var.container_port
  health_check_path                  = var.health_check_path
  image                              = var.image
  cpu                                = var.task_cpu
  memory                             = var.task_memory
  desired_count                      = var.desired_count
  max_count                          = var.max_count
  cpu_target_percent                 = var.cpu_target_percent
  deployment_minimum_healthy_percent = var.deployment_minimum_healthy_percent
  deployment_maximum_percent         = var.deployment_maximum_percent
  health_check_grace_period_seconds  = var.health_check_grace_period_seconds
  log_group_name                     = local.log_group_name
  log_stream_prefix                  = local.log_stream_prefix
  log_retention_days                 = var.log_retention_days
  kms_key_arn                        = data.aws_kms_key.environment.arn
  log_level                          = var.log_level
  app_secret_name                    = local.app_secret_name
  neo4j_secret_arn                   = module.neo4j.secret_arn
  database_security_group_id         = module.neo4j.security_group_id
  ecr_repository_arn                 = data.aws_ecr_repository.app.arn
  vpc_id                             = local.vpc_id
  public_subnet_ids                  = local.public_subnet_ids
  private_subnet_ids                 = local.private_subnet_ids
  ingress_cidrs                      = var.ingress_cidrs
  certificate_arn                    = var.certificate_arn
  deletion_protection                = var.environment == "production"
}

module "alarms" {
  source = "./modules/alarms"

  name                      = local.task_family
  cluster_name              = module.service.cluster_name
  service_name              = module.service.service_name
  load_balancer_arn_suffix  = module.service.load_balancer_arn_suffix
  target_group_arn_suffix   = module.service.target_group_arn_suffix
  region                    = var.aws_region
  database_instance_ids     = module.neo4j.instance_ids
  database_instance_type    = module.neo4j.instance_type
  database_data_dir         = module.neo4j.data_dir
  database_backup_namespace = module.neo4j.backup_namespace
  emails                    = var.alarm_emails
  https_endpoints           = var.alarm_https_endpoints
  kms_key_arn               = data.aws_kms_key.environment.arn
}
