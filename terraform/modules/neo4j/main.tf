# Neo4j LedgerSpace and SearchSpace for one environment: one EC2 instance per
# database in a private subnet, its data on a separate encrypted gp3 volume
# snapshotted daily by DLM, reachable on 7687 (Bolt) and 7474 (HTTP) only from
# the application's tasks. Passwords are generated here and stored, with the
# Bolt URLs and users, in the Secrets Manager secret credex-core reads.
#
# Instances, volumes and the secret have prevent_destroy: a plan that would
# destroy or replace them fails, and the pipeline refuses such plans as well.

locals {
  databases = toset(["ledgerspace", "searchspace"])
  package   = var.edition == "enterprise" ? "neo4j-enterprise" : "neo4j"
  user      = "neo4j"
  snapshot  = "${var.name}-neo4j"
}

data "aws_ssm_parameter" "al2023" {
  name = "/aws/service/ami-amazon-linux-latest/al2023-ami-kernel-default-x86_64"
}

data "aws_subnet" "selected" {
  for_each = local.databases

  id = var.subnet_ids[index(tolist(local.databases), each.key) % length(var.subnet_ids)]
}

# --- Network access --------------------------------------------------------

resource "aws_security_group" "this" {
  name        = "${var.name}-neo4j"
  description = "Neo4j ${var.name}: Bolt and HTTP from the application tasks only"
  vpc_id      = var.vpc_id

  tags = merge(var.tags, { Name = "${var.name}-neo4j" })
}

resource "aws_vpc_security_group_ingress_rule" "from_tasks" {
  for_each = { bolt = 7687, http = 7474 }

  security_group_id            = aws_security_group.this.id
  description                  = "Neo4j ${each.key} from the application tasks"
  referenced_security_group_id = var.client_security_group_id
  ip_protocol                  = "tcp"
  from_port                    = each.value
  to_port                      = each.value
}

resource "aws_vpc_security_group_egress_rule" "https" {
  security_group_id = aws_security_group.this.id
  description       = "HTTPS for packages and Secrets Manager"
  cidr_ipv4         = "0.0.0.0/0"
  ip_protocol       = "tcp"
  from_port         = 443
  to_port           = 443
}

# --- Credentials -----------------------------------------------------------

resource "random_password" "this" {
  for_each = local.databases

  length  = 32
  special = false
}

resource "aws_secretsmanager_secret" "this" {
  name                    = var.secret_name
  description             = "Neo4j connection details of credex-core ${var.name} (keys <db>bolturl, <db>user, <db>pass)"
  recovery_window_in_days = 30

  tags = var.tags

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_secretsmanager_secret_version" "this" {
  secret_id = aws_secretsmanager_secret.this.id
  secret_string = jsonencode(merge([
    for db in local.databases : {
      "${db}bolturl" = "bolt://${aws_instance.this[db].private_ip}:7687"
      "${db}user"    = local.user
      "${db}pass"    = random_password.this[db].result
    }
  ]...))
}

# --- Instances -------------------------------------------------------------

data "aws_iam_policy_document" "assume_ec2" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["ec2.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "instance" {
  name               = "${var.name}-neo4j"
  assume_role_policy = data.aws_iam_policy_document.assume_ec2.json

  tags = var.tags
}

data "aws_iam_policy_document" "read_secret" {
  statement {
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [aws_secretsmanager_secret.this.arn]
  }
}

resource "aws_iam_role_policy" "read_secret" {
  name   = "read-neo4j-secret"
  role   = aws_iam_role.instance.id
  policy = data.aws_iam_policy_document.read_secret.json
}

# Shell access through Session Manager, so no SSH port is ever opened.
resource "aws_iam_role_policy_attachment" "ssm" {
  role       = aws_iam_role.instance.name
  policy_arn = "arn:aws:iam::aws:policy/AmazonSSMManagedInstanceCore"
}

resource "aws_iam_instance_profile" "this" {
  name = "${var.name}-neo4j"
  role = aws_iam_role.instance.name
}

resource "aws_instance" "this" {
  for_each = local.databases

  ami                    = data.aws_ssm_parameter.al2023.value
  instance_type          = var.instance_type
  subnet_id              = data.aws_subnet.selected[each.key].id
  vpc_security_group_ids = [aws_security_group.this.id]
  iam_instance_profile   = aws_iam_instance_profile.this.name

  metadata_options {
    http_tokens = "required"
  }

  root_block_device {
    volume_type = "gp3"
    volume_size = 20
    encrypted   = true
    kms_key_id  = var.kms_key_id
  }

  user_data = templatefile("${path.module}/user_data.sh.tftpl", {
    package       = local.package
    version       = var.neo4j_version
    secret_arn    = aws_secretsmanager_secret.this.arn
    password_key  = "${each.key}pass"
    heap_size     = var.heap_size
    database_name = each.key
  })

  tags = merge(var.tags, { Name = "${var.name}-neo4j-${each.key}", Database = each.key })

  lifecycle {
    prevent_destroy = true
    # A new AMI or boot script must not replace a running database.
    ignore_changes = [ami, user_data]
  }
}

resource "aws_ebs_volume" "data" {
  for_each = local.databases

  availability_zone = data.aws_subnet.selected[each.key].availability_zone
  size              = var.volume_size_gb
  type              = "gp3"
  encrypted         = true
  kms_key_id        = var.kms_key_id

  tags = merge(var.tags, { Name = "${var.name}-neo4j-${each.key}-data", Database = each.key, Snapshot = local.snapshot })

  lifecycle {
    prevent_destroy = true
  }
}

resource "aws_volume_attachment" "data" {
  for_each = local.databases

  device_name = "/dev/sdf"
  volume_id   = aws_ebs_volume.data[each.key].id
  instance_id = aws_instance.this[each.key].id
}

# --- Backups ---------------------------------------------------------------

data "aws_iam_policy_document" "assume_dlm" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["dlm.amazonaws.com"]
    }
  }
}

resource "aws_iam_role" "dlm" {
  name               = "${var.name}-neo4j-snapshots"
  assume_role_policy = data.aws_iam_policy_document.assume_dlm.json

  tags = var.tags
}

resource "aws_iam_role_policy_attachment" "dlm" {
  role       = aws_iam_role.dlm.name
  policy_arn = "arn:aws:iam::aws:policy/service-role/AWSDataLifecycleManagerServiceRole"
}

resource "aws_dlm_lifecycle_policy" "this" {
  description        = "Daily snapshots of the Neo4j data volumes of ${var.name}"
  execution_role_arn = aws_iam_role.dlm.arn
  state              = "ENABLED"

  policy_details {
    resource_types = ["VOLUME"]
    target_tags    = { Snapshot = local.snapshot }

    schedule {
      name      = "daily"
      copy_tags = true

      create_rule {
        interval      = 24
        interval_unit = "HOURS"
        times         = [var.snapshot_time]
      }

      retain_rule {
        count = var.snapshot_retention_count
      }
    }
  }

  tags = var.tags
}
