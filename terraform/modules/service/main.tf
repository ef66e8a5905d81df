# credex-core on ECS Fargate behind an Application Load Balancer.
#
# Secrets reach the container only through the task definition's `secrets`
# (valueFrom Secrets Manager, resolved by ECS at start-up); the plain
# `environment` holds NODE_ENV, PORT and LOG_LEVEL and nothing else.

locals {
  https             = var.certificate_arn != null
  access_log_bucket = "${var.service_name}-alb-logs-${var.account_id}"

  # Environment variable => "<secret ARN>:<JSON key>::" (latest version).
  app_secret_keys = ["JWT_SECRET", "WHATSAPP_BOT_API_KEY", "OPEN_EXCHANGE_RATES_API"]
  neo4j_secret_keys = {
    NEO_4J_LEDGER_SPACE_BOLT_URL = "ledgerspacebolturl"
    NEO_4J_LEDGER_SPACE_USER     = "ledgerspaceuser"
    NEO_4J_LEDGER_SPACE_PASS     = "ledgerspacepass"
    NEO_4J_SEARCH_SPACE_BOLT_URL = "searchspacebolturl"
    NEO_4J_SEARCH_SPACE_USER     = "searchspaceuser"
    NEO_4J_SEARCH_SPACE_PASS     = "searchspacepass"
  }
  container_secrets = concat(
    [for k in local.app_secret_keys : { name = k, valueFrom = "${aws_secretsmanager_secret.app.arn}:${k}::" }],
    [for env, key in local.neo4j_secret_keys : { name = env, valueFrom = "${var.neo4j_secret_arn}:${key}::" }],
  )
}

# --- Logs and application secret --------------------------------------------

resource "aws_cloudwatch_log_group" "this" {
  name              = var.log_group_name
  retention_in_days = var.log_retention_days
  kms_key_id        = var.kms_key_arn

  tags = var.tags
}

# Values are set outside Terraform (aws secretsmanager put-secret-value, see
# docs/terraform.md) so they never enter the configuration or its state.
resource "aws_secretsmanager_secret" "app" {
  name                    = var.app_secret_name
  description             = "credex-core ${var.environment}: ${join(", ", local.app_secret_keys)} (JSON keys)"
  recovery_window_in_days = 30

  tags = var.tags

  # Its values exist nowhere else.
  lifecycle {
    prevent_destroy = true
  }
}

# --- IAM -------------------------------------------------------------------

# The execution role: ECS pulls the image, writes the logs and reads the
# secrets with it. No confused-deputy condition here: AWS documents
# aws:SourceAccount / aws:SourceArn for the task role only, and a condition
# ECS does not meet when it starts a task would stop every task from
# starting (docs/terraform.md, item 11).
data "aws_iam_policy_document" "assume_execution" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }
  }
}

# The task role, the application's identity: ECS assumes it for this
# account's tasks only (confused deputy: another account's task naming this
# role gets nothing), as the ECS developer guide recommends.
data "aws_iam_policy_document" "assume_task" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ecs-tasks.amazonaws.com"]
    }

    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values   = ["arn:aws:ecs:${var.region}:${var.account_id}:*"]
    }

    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [var.account_id]
    }
  }
}

resource "aws_iam_role" "execution" {
  name               = "${var.task_family}-execution"
  description        = "ECS pulls the image, writes logs and reads the secrets of ${var.task_family}"
  assume_role_policy = data.aws_iam_policy_document.assume_execution.json

  tags = var.tags
}

data "aws_iam_policy_document" "execution" {
  statement {
    sid       = "EcrAuth"
    actions   = ["ecr:GetAuthorizationToken"]
    resources = ["*"]
  }
  statement {
    sid       = "EcrPull"
    actions   = ["ecr:BatchCheckLayerAvailability", "ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    resources = [var.ecr_repository_arn]
  }
  statement {
    sid       = "Logs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${aws_cloudwatch_log_group.this.arn}:*"]
  }
  statement {
    sid       = "Secrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.app.arn, var.neo4j_secret_arn]
  }
}

resource "aws_iam_role_policy" "execution" {
  name   = "pull-log-secrets"
  role   = aws_iam_role.execution.id
  policy = data.aws_iam_policy_document.execution.json
}

# The application's own identity. credex-core reads the Neo4j secret at run
# time, so the task role may read that secret and nothing else.
resource "aws_iam_role" "task" {
  name               = "${var.task_family}-task"
  description        = "Identity of the ${var.task_family} application"
  assume_role_policy = data.aws_iam_policy_document.assume_task.json

  tags = var.tags
}

data "aws_iam_policy_document" "task" {
  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.neo4j_secret_arn]
  }
}

resource "aws_iam_role_policy" "task" {
  name   = "read-neo4j-secret"
  role   = aws_iam_role.task.id
  policy = data.aws_iam_policy_document.task.json
}

# --- Security groups -------------------------------------------------------

resource "aws_security_group" "alb" {
  name        = "${var.service_name}-alb"
  description = "Load balancer of ${var.service_name}"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.service_name}-alb" })
}

resource "aws_vpc_security_group_ingress_rule" "alb" {
  for_each = { for pair in setproduct(local.https ? [80, 443] : [80], var.ingress_cidrs) : "${pair[0]}-${pair[1]}" => pair }

  security_group_id = aws_security_group.alb.id
  description       = "Clients on port ${each.value[0]}"
  cidr_ipv4         = each.value[1]
  ip_protocol       = "tcp"
  from_port         = each.value[0]
  to_port           = each.value[0]
}

resource "aws_vpc_security_group_egress_rule" "alb_to_tasks" {
  security_group_id            = aws_security_group.alb.id
  description                  = "To the application tasks"
  referenced_security_group_id = aws_security_group.tasks.id
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
}

resource "aws_security_group" "tasks" {
  name        = "${var.service_name}-tasks"
  description = "Tasks of ${var.service_name}: reachable from the load balancer only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.service_name}-tasks" })
}

resource "aws_vpc_security_group_ingress_rule" "tasks_from_alb" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "From the load balancer"
  referenced_security_group_id = aws_security_group.alb.id
  ip_protocol                  = "tcp"
  from_port                    = var.container_port
  to_port                      = var.container_port
}

resource "aws_vpc_security_group_egress_rule" "tasks_https" {
  security_group_id = aws_security_group.tasks.id
  description       = "HTTPS: ECR, Secrets Manager, CloudWatch Logs and the external APIs of the app"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

resource "aws_vpc_security_group_egress_rule" "tasks_to_neo4j" {
  security_group_id            = aws_security_group.tasks.id
  description                  = "Neo4j Bolt"
  referenced_security_group_id = var.database_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = 7687
  to_port                      = 7687
}

# --- Load balancer ---------------------------------------------------------

resource "aws_lb" "this" {
  name                       = substr(var.service_name, 0, 32)
  load_balancer_type         = "application"
  security_groups            = [aws_security_group.alb.id]
  subnets                    = var.public_subnet_ids
  drop_invalid_header_fields = true
  enable_deletion_protection = var.deletion_protection

  access_logs {
    bucket  = module.access_logs.bucket
    prefix  = "alb"
    enabled = true
  }

  tags = var.tags

  # The load balancer checks it may write to the bucket when it is created.
  depends_on = [module.access_logs]
}

resource "aws_lb_target_group" "this" {
  name                 = substr("${var.task_family}-tg", 0, 32)
  port                 = var.container_port
  protocol             = "HTTP"
  target_type          = "ip"
  vpc_id               = var.vpc_id
  deregistration_delay = 30

  health_check {
    path                = var.health_check_path
    matcher             = "200"
    interval            = 15
    timeout             = 5
    healthy_threshold   = 2
    unhealthy_threshold = 3
  }

  tags = var.tags
}

resource "aws_lb_listener" "https" {
  count = local.https ? 1 : 0

  load_balancer_arn = aws_lb.this.arn
  port              = 443
  protocol          = "HTTPS"
  ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"
  certificate_arn   = var.certificate_arn

  default_action {
    type             = "forward"
    target_group_arn = aws_lb_target_group.this.arn
  }
}

# Without a certificate the API is served over HTTP; with one, HTTP redirects.
resource "aws_lb_listener" "http" {
  load_balancer_arn = aws_lb.this.arn
  port              = 80
  protocol          = "HTTP"

  default_action {
    type             = local.https ? "redirect" : "forward"
    target_group_arn = local.https ? null : aws_lb_target_group.this.arn

    dynamic "redirect" {
      for_each = local.https ? [1] : []
      content {
        port        = "443"
        protocol    = "HTTPS"
        status_code = "HTTP_301"
      }
    }
  }
}

# --- Access logs ---------------------------------------------------------------

# Every request the load balancer served, kept access_log_days. Encrypted
# with S3's own key (SSE-S3): the only encryption ELB's log delivery takes.
module "access_logs" {
  source = "../private-bucket"

  name            = local.access_log_bucket
  expiration_days = var.access_log_days
  policy_json     = data.aws_iam_policy_document.access_logs.json
  tags            = var.tags
}

# The region's ELB account writes the logs (af-south-1 and the other regions
# older than August 2022 deliver from an account of ELB's, not a service
# principal); nothing else writes.
data "aws_elb_service_account" "this" {}

data "aws_iam_policy_document" "access_logs" {
  statement {
    sid       = "LoadBalancerWritesItsLogs"
    actions   = ["s3:PutObject"]
    resources = ["arn:aws:s3:::${local.access_log_bucket}/alb/AWSLogs/${var.account_id}/*"]

    principals {
      type        = "AWS"
      identifiers = [data.aws_elb_service_account.this.arn]
    }
  }
}

# --- ECS -------------------------------------------------------------------

resource "aws_ecs_cluster" "this" {
  name = var.cluster_name

  setting {
    name  = "containerInsights"
    value = "enabled"
  }

  tags = var.tags
}

resource "aws_ecs_task_definition" "this" {
  family                   = var.task_family
  requires_compatibilities = ["FARGATE"]
  network_mode             = "awsvpc"
  cpu                      = var.cpu
  memory                   = var.memory
  execution_role_arn       = aws_iam_role.execution.arn
  task_role_arn            = aws_iam_role.task.arn

  runtime_platform {
    operating_system_family = "LINUX"
    cpu_architecture        = "X86_64"
  }

  container_definitions = jsonencode([
    {
      name      = var.container_name
      image     = var.image
      essential = true
      portMappings = [
        { containerPort = var.container_port, protocol = "tcp" },
      ]
      environment = [
        { name = "NODE_ENV", value = var.environment },
        { name = "PORT", value = tostring(var.container_port) },
        { name = "LOG_LEVEL", value = var.log_level },
      ]
      secrets = local.container_secrets
      logConfiguration = {
        logDriver = "awslogs"
        options = {
          awslogs-group         = aws_cloudwatch_log_group.this.name
          awslogs-region        = var.region
          awslogs-stream-prefix = var.log_stream_prefix
        }
      }
    },
  ])

  tags = var.tags
}

resource "aws_ecs_service" "this" {
  name            = var.service_name
  cluster         = aws_ecs_cluster.this.id
  task_definition = aws_ecs_task_definition.this.arn
  desired_count   = var.desired_count
  launch_type     = "FARGATE"
  propagate_tags  = "SERVICE"

  deployment_minimum_healthy_percent = var.deployment_minimum_healthy_percent
  deployment_maximum_percent         = var.deployment_maximum_percent
  health_check_grace_period_seconds  = var.health_check_grace_period_seconds

  deployment_circuit_breaker {
    enable   = true
    rollback = true
  }

  network_configuration {
    subnets          = var.private_subnet_ids
    security_groups  = [aws_security_group.tasks.id]
    assign_public_ip = false
  }

  load_balancer {
    target_group_arn = aws_lb_target_group.this.arn
    container_name   = var.container_name
    container_port   = var.container_port
  }

  # The pipeline's verify step watches the rollout (and the circuit breaker
  # rolls a failed one back), so apply does not block on steady state.
  wait_for_steady_state = false

  depends_on = [aws_lb_listener.http, aws_lb_listener.https, aws_iam_role_policy.execution]

  tags = var.tags

  # Application Auto Scaling owns the task count once the service exists
  # (between min_count and max_count, below); an apply must not reset it.
  lifecycle {
    ignore_changes = [desired_count]
  }
}

# --- Autoscaling -------------------------------------------------------------

# Never fewer tasks than desired_count (raising it in the tfvars raises the
# floor, and the running count with it), never more than max_count.
resource "aws_appautoscaling_target" "this" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.this.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.desired_count
  max_capacity       = var.max_count

  tags = var.tags
}

# Average CPU of the service's tasks held near cpu_target_percent: out fast,
# in slowly.
resource "aws_appautoscaling_policy" "cpu" {
  name               = "${var.service_name}-cpu"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.this.service_namespace
  resource_id        = aws_appautoscaling_target.this.resource_id
  scalable_dimension = aws_appautoscaling_target.this.scalable_dimension

  target_tracking_scaling_policy_configuration {
    target_value       = var.cpu_target_percent
    scale_out_cooldown = 60
    scale_in_cooldown  = 300

    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
  }
}
