# The credex-core stack cut down to what the credex-ci test bed (kumo plus
# its ECS simulator) can apply: the ECS cluster, task definition and
# service, the target group the tasks register in, the log group, and the
# ECR repository looked up as the real stack does. It honours the outputs
# contract (internal/tfoutputs), so `deploy --env=stage --terraform=<this
# directory>` plans, applies and verifies against the test bed. Names are
# internal/envs', as in the real stack. NOT for AWS: there is no network,
# load balancer, IAM, database or alarm here.

locals {
  short             = { staging = "stage", production = "prod" }[var.environment]
  cluster_name      = "credex-cluster-${var.environment}"
  service_name      = "credex-core-service-${var.environment}"
  task_family       = "credex-core-${var.environment}"
  container_name    = "credex-core"
  log_group_name    = "/ecs/credex-core-${var.environment}"
  log_stream_prefix = "ecs"
  neo4j_secret_name = "neo4j_${local.short}_secrets"
  # Secrets reach the container by ARN only (the task definition's
  # `secrets`); the test bed runs no container, so nothing reads them.
  neo4j_secret_arn = "arn:aws:secretsmanager:${var.aws_region}:${var.aws_account_id}:secret:${local.neo4j_secret_name}-TestBd"
}

# Created by the registry stack (registry/), as in the real stack.
data "aws_ecr_repository" "app" {
  name = "credex-core-${var.environment}"
}

resource "aws_cloudwatch_log_group" "this" {
  name              = local.log_group_name
  retention_in_days = 7
}

resource "aws_lb_target_group" "this" {
  name                 = "credex-${local.short}-tg"
  port                 = var.container_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  health_check {
    path                = "/health"
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }
}

resource "aws_ecs_cluster" "this" {
  name = local.cluster_name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }
}

resource "aws_ecs_task_definition" "this" {
  family                   = local.task_family
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.task_cpu
  memory                   = var.task_memory

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode([
    {
      name      = local.container_name
      image     = var.image
      essential = true
      portMappings = [
        { containerPort = var.container_port, protocol = "tcp" },
      ]
      environment = [
        { name = "NODE_ENV", value = var.environment },
        { name = "PORT", value = tostring(var.container_port) },
      ]
      secrets = [
        { name = "NEO4J_SECRETS", valueFrom = local.neo4j_secret_arn },
      ]
      healthCheck = {
        command     = ["CMD-SHELL", "node -e \"fetch('http://localhost:${var.container_port}/health').then(r=>process.exit(r.ok?0:1),()=>process.exit(1))\""]
        interval    = 30
        timeout     = 5
        retries     = 3
        startPeriod = 60
      }
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.this.name
          awslogs-region        = var.aws_region
          awslogs-stream-prefix = local.log_stream_prefix
        }
      }
    },
  ])
}

resource "aws_ecs_service" "this" {
  name            = local.service_name
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.this.arn
  desired_count   = var.desired_count
  launch_type     = "FARGATE"
  propagate_tags  = "SERVICE"

  deployment_minimum_healthy_percent = 100
  deployment_maximum_percent         = 200
  health_check_grace_period_seconds  = 60

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.subnet_ids
    security_groups  = var.security_group_ids
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this.arn
    container_name   = local.container_name
    container_port   = var.container_port
  }

  # The pipeline's verify watches the rollout.
  wait_for_steady_state = false
}
