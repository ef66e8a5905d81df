package tfpolicy

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/great-sun-group/credex-ci/internal/tfrun"
)

const realStack = "../../terraform"

func TestRealStackPasses(t *testing.T) {
	vs, err := Check(realStack)
	if err != nil {
		t.Fatal(err)
	}
	for _, v := range vs {
		t.Errorf("the real stack breaks a policy: %s", v)
	}
}

// brokenCopy copies the real stack into a temporary directory and applies
// the replacements (old, new, old, new, ...) to one file; each must match.
func brokenCopy(t *testing.T, file string, replacements ...string) string {
	t.Helper()
	dir := t.TempDir()
	if err := tfrun.CopyStack(realStack, dir); err != nil {
		t.Fatal(err)
	}
	target := filepath.Join(dir, file)
	b, err := os.ReadFile(target)
	if err != nil {
		t.Fatal(err)
	}
	text := string(b)
	for i := 0; i+1 < len(replacements); i += 2 {
		if !strings.Contains(text, replacements[i]) {
			t.Fatalf("%s does not contain %q: update the test with the stack", file, replacements[i])
		}
		text = strings.Replace(text, replacements[i], replacements[i+1], 1)
	}
	if err := os.WriteFile(target, []byte(text), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

// Each case breaks one policy in a copy of the real stack and expects the
// check to fail with that rule, at that file, with a message naming the fix.
func TestBrokenPoliciesFail(t *testing.T) {
	cases := []struct {
		name, file, old, new string
		rule, inMessage      string
		more                 []string // further old, new replacements
	}{
		{
			name: "circuit breaker without rollback",
			file: "modules/service/main.tf", old: "rollback = true", new: "rollback = false",
			rule: RuleCircuitBreaker, inMessage: "rollback = true",
		},
		{
			name: "circuit breaker removed",
			file: "modules/service/main.tf",
			old:  "deployment_circuit_breaker {\n    enable   = true\n    rollback = true\n  }", new: "",
			rule: RuleCircuitBreaker, inMessage: "add `deployment_circuit_breaker",
		},
		{
			name: "JWT secret in plain environment",
			file: "modules/service/main.tf",
			old:  `{ name = "NODE_ENV", value = var.environment },`,
			new:  `{ name = "NODE_ENV", value = var.environment }, { name = "JWT_SECRET", value = "hunter2" },`,
			rule: RuleSecretInEnvironment, inMessage: "JWT_SECRET is in the container's plain environment",
		},
		{
			name: "Neo4j password in plain environment",
			file: "modules/service/main.tf",
			old:  `{ name = "LOG_LEVEL", value = var.log_level },`,
			new:  `{ name = "LOG_LEVEL", value = var.log_level }, { name = "NEO_4J_LEDGER_SPACE_PASS", value = "x" },`,
			rule: RuleSecretInEnvironment, inMessage: "move it to `secrets`",
		},
		{
			name: "environment built by an expression",
			file: "modules/service/main.tf",
			old:  "environment = [\n",
			new:  "environment = concat(var.extra_env, [\n",
			more: []string{"{ name = \"LOG_LEVEL\", value = var.log_level },\n      ]", "{ name = \"LOG_LEVEL\", value = var.log_level },\n      ])"},
			rule: RuleSecretInEnvironment, inMessage: "must be a literal list",
		},
		{
			name: "database volume without prevent_destroy",
			file: "modules/neo4j/main.tf",
			old:  "Snapshot = local.snapshot })\n\n  lifecycle {\n    prevent_destroy = true\n  }",
			new:  "Snapshot = local.snapshot })",
			rule: RulePreventDestroy, inMessage: `resource "aws_ebs_volume" "data"`,
		},
		{
			name: "database volume unencrypted",
			file: "modules/neo4j/main.tf",
			old:  "  type              = \"gp3\"\n  encrypted         = true",
			new:  "  type              = \"gp3\"\n  encrypted         = false",
			rule: RuleEncryption, inMessage: "set encrypted = true",
		},
		{
			name: "bucket without encryption",
			file: "modules/private-bucket/main.tf",
			old:  "resource \"aws_s3_bucket_server_side_encryption_configuration\" \"this\" {\n  bucket = aws_s3_bucket.this.id",
			new:  "resource \"aws_s3_bucket_server_side_encryption_configuration\" \"this\" {\n  bucket = \"another-bucket\"",
			rule: RuleEncryption, inMessage: "bucket = aws_s3_bucket.this.id",
		},
		{
			name: "unencrypted backend",
			file: "versions.tf", old: "encrypt      = true", new: "encrypt      = false",
			rule: RuleEncryption, inMessage: "set encrypt = true",
		},
		{
			name: "Neo4j open to the internet",
			file: "modules/neo4j/main.tf",
			old:  "referenced_security_group_id = var.client_security_group_id",
			new:  `cidr_ipv4 = "0.0.0.0/0"`,
			rule: RuleDatabaseIngress, inMessage: "from the tasks' security group",
		},
		{
			name: "inline ingress block with CIDR on Bolt",
			file: "modules/neo4j/main.tf",
			old:  "  vpc_id      = var.vpc_id\n",
			new:  "  vpc_id      = var.vpc_id\n  ingress {\n    from_port   = 7000\n    to_port     = 8000\n    protocol    = \"tcp\"\n    cidr_blocks = [\"10.0.0.0/8\"]\n  }\n",
			rule: RuleDatabaseIngress, inMessage: "cidr_blocks",
		},
		{
			name: "image accepts tags",
			file: "variables.tf", old: `@sha256:[0-9a-f]{64}$", var.image)`, new: `:[a-z0-9.]+$", var.image)`,
			rule: RuleImageDigest, inMessage: "accepts tags",
		},
		{
			name: "variable without description",
			file: "modules/registry/variables.tf",
			old:  `description = "How many images the lifecycle policy keeps; older ones expire."`, new: "",
			rule: RuleVariableDocumented, inMessage: `variable "keep_images" has no description`,
		},
		{
			name: "variable without type",
			file: "variables.tf", old: "  type        = number\n  description = \"Number of tasks", new: "  description = \"Number of tasks",
			rule: RuleVariableDocumented, inMessage: `variable "desired_count" has no type`,
		},
		{
			name: "production tfvars misses a required variable",
			file: "environments/production.tfvars", old: `neo4j_instance_type            = "m5.large"`, new: "",
			rule: RuleTFVarsComplete, inMessage: "does not set neo4j_instance_type",
		},
		{
			name: "tfvars sets an undeclared variable",
			file: "environments/staging.tfvars", old: `environment    = "staging"`, new: "environment    = \"staging\"\nneo4j_password = \"x\"",
			rule: RuleTFVarsComplete, inMessage: "does not declare",
		},
		{
			name: "tfvars with the wrong environment",
			file: "environments/production.tfvars", old: `environment    = "production"`, new: `environment    = "staging"`,
			rule: RuleTFVarsComplete, inMessage: `it must be "production"`,
		},
		{
			name: "password as an output",
			file: "modules/neo4j/outputs.tf", old: "value       = aws_secretsmanager_secret.this.arn", new: `value       = aws_secretsmanager_secret_version.this.secret_string`,
			rule: RuleSecretOutput, inMessage: "output the secret's ARN or name instead",
		},
		{
			name: "password generated into the state",
			file: "modules/neo4j/main.tf",
			old:  "# --- Instances",
			new:  "resource \"random_password\" \"admin\" {\n  length = 32\n}\n\n# --- Instances",
			rule: RulePasswordInState, inMessage: "secret_string_wo",
		},
		{
			name: "secret value written into the state",
			file: "modules/neo4j-credentials/main.tf",
			old:  "secret_string_wo = jsonencode(", new: "secret_string = jsonencode(",
			rule: RulePasswordInState, inMessage: "writes the value with secret_string",
		},
		{
			name: "secret value read into the state",
			file: "modules/neo4j/main.tf",
			old:  "# --- Instances",
			new:  "data \"aws_secretsmanager_secret_version\" \"current\" {\n  secret_id = aws_secretsmanager_secret.this.id\n}\n\n# --- Instances",
			rule: RulePasswordInState, inMessage: "reads the secret's value into the Terraform state",
		},
		{
			// The defect that would have failed the first apply: EC2 refuses
			// it, and neither the provider nor a plan notices.
			name: "apostrophe in a security group rule description",
			file: "modules/service/main.tf",
			old:  "and the external APIs of the app", new: "and the app's external APIs",
			rule: RuleDescriptionCharset, inMessage: `has "'", which AWS refuses in a security group rule description`,
		},
		{
			// The defect that failed every plan (the provider checks DLM's set
			// only once var.name is known).
			name: "parentheses in the DLM description around an interpolation",
			file: "modules/neo4j/main.tf",
			old:  `"Daily snapshots of the Neo4j data volumes of ${var.name}"`, new: `"Daily snapshots of the Neo4j data volumes (${var.name})"`,
			rule: RuleDescriptionCharset, inMessage: `has "(", ")", which AWS refuses in a DLM lifecycle policy description`,
		},
		{
			name: "for_each key interpolated into a rule description",
			file: "modules/neo4j/main.tf",
			old:  "resource \"aws_vpc_security_group_ingress_rule\" \"bolt\" {\n", new: "resource \"aws_vpc_security_group_ingress_rule\" \"bolt\" {\n  for_each = { \"bolt's\" = 7687 }\n",
			more: []string{`description                  = "Neo4j Bolt over TLS from the application tasks"`, `description                  = "Neo4j ${each.key} from the application tasks"`},
			rule: RuleDescriptionCharset, inMessage: `has "'"`,
		},
		{
			name: "known local interpolated into a rule description",
			file: "modules/neo4j/main.tf",
			old:  `user      = "neo4j"`, new: `user      = "neo4j&co"`,
			more: []string{`description       = "HTTPS for packages and Secrets Manager"`, `description       = "HTTPS for ${local.user}"`},
			rule: RuleDescriptionCharset, inMessage: `has "&"`,
		},
		{
			name: "inline ingress block description",
			file: "modules/neo4j/main.tf",
			old:  "  vpc_id      = var.vpc_id\n",
			new:  "  vpc_id      = var.vpc_id\n  ingress {\n    description     = \"SSH from the bastion (ops' only)\"\n    from_port       = 22\n    to_port         = 22\n    protocol        = \"tcp\"\n    security_groups = [var.client_security_group_id]\n  }\n",
			rule: RuleDescriptionCharset, inMessage: "the description of an ingress block has \"'\"",
		},
		{
			name: "security group description too long",
			file: "modules/service/main.tf",
			old:  `description = "Load balancer of ${var.service_name}"`, new: `description = "Load balancer of ${var.service_name}` + strings.Repeat(" and more", 30) + `"`,
			rule: RuleDescriptionCharset, inMessage: "AWS accepts at most 255 in a security group description",
		},
		{
			name: "IAM role description outside Latin-1",
			file: "modules/service/main.tf",
			old:  `"Identity of the ${var.task_family} application"`, new: `"Identity of the ${var.task_family} application \u2014 the API"`,
			rule: RuleDescriptionCharset, inMessage: "has \"\u2014\"",
		},
		{
			name: "production without a certificate",
			file: "environments/production.tfvars",
			old:  `certificate_arn = "arn:aws:acm:af-south-1:222222222222:certificate/00000000-0000-0000-0000-000000000000"`, new: "",
			rule: RuleTLS, inMessage: "does not set certificate_arn",
		},
		{
			name: "production without a domain",
			file: "environments/production.tfvars",
			old:  `domain_name     = "api.credex.example"`, new: `domain_name     = null`,
			rule: RuleTLS, inMessage: "does not set domain_name",
		},
		{
			name: "HTTPS listener without TLS 1.3",
			file: "modules/service/main.tf",
			old:  `ssl_policy        = "ELBSecurityPolicy-TLS13-1-2-2021-06"`, new: `ssl_policy        = "ELBSecurityPolicy-2016-08"`,
			rule: RuleTLS, inMessage: "without a TLS 1.3 security policy",
		},
		{
			name: "production alarms notify nobody",
			file: "environments/production.tfvars",
			old:  `alarm_emails = ["oncall@credex.example"]`, new: `alarm_emails = []`,
			rule: RuleAlarmSubscriber, inMessage: "subscribes nobody to the alarms",
		},
		{
			name: "an alarm without actions",
			file: "modules/alarms/main.tf",
			old:  "  threshold           = var.cpu_threshold_percent\n  alarm_actions       = local.actions\n", new: "  threshold           = var.cpu_threshold_percent\n",
			rule: RuleAlarmSubscriber, inMessage: `resource "aws_cloudwatch_metric_alarm" "cpu" notifies nobody`,
		},
		{
			name: "system check alarm without the recover action",
			file: "modules/alarms/main.tf",
			old:  `alarm_actions       = concat(["arn:aws:automate:${var.region}:ec2:recover"], local.actions)`, new: `alarm_actions       = local.actions`,
			rule: RuleAlarmSubscriber, inMessage: "without recovering the instance",
		},
		{
			name: "plain-text Bolt URL in the secret",
			file: "modules/neo4j/main.tf",
			old:  `"bolt+ssc://${aws_instance.this[db].private_ip}:7687"`, new: `"bolt://${aws_instance.this[db].private_ip}:7687"`,
			rule: RuleBoltTLS, inMessage: "a plain-text Bolt URL (bolt://...)",
		},
		{
			name: "Bolt without TLS on the server",
			file: "modules/neo4j/user_data.sh.tftpl",
			old:  "server.bolt.tls_level=REQUIRED\n", new: "server.bolt.tls_level=OPTIONAL\n",
			// Reported where the boot script is used.
			rule: RuleBoltTLS, inMessage: "without requiring TLS",
		},
		{
			name: "alarm topic unencrypted",
			file: "modules/alarms/main.tf",
			old:  "  kms_master_key_id = var.kms_key_arn\n", new: "",
			rule: RuleEncryption, inMessage: `resource "aws_sns_topic" "this" is not encrypted`,
		},
		{
			name: "log group without the environment's key",
			file: "modules/service/main.tf",
			old:  "  kms_key_id        = var.kms_key_arn\n", new: "",
			rule: RuleEncryption, inMessage: "set kms_key_id",
		},
		{
			name: "ECR repository with AES256",
			file: "modules/registry/main.tf",
			old:  `encryption_type = var.kms_key_arn == null ? "AES256" : "KMS"`, new: `encryption_type = "AES256"`,
			rule: RuleEncryption, inMessage: "not encrypted with a KMS key",
		},
		{
			name: "registry stack without the key",
			file: "registry/main.tf",
			old:  "  kms_key_arn = module.key.arn\n", new: "",
			rule: RuleEncryption, inMessage: "without kms_key_arn",
		},
		{
			name: "KMS key never rotated",
			file: "modules/environment-key/main.tf",
			old:  "enable_key_rotation     = true", new: "enable_key_rotation     = false",
			rule: RuleEncryption, inMessage: "set enable_key_rotation = true",
		},
		{
			name: "KMS key without prevent_destroy",
			file: "bootstrap/main.tf",
			old:  "  tags = local.tags\n\n  lifecycle {\n    prevent_destroy = true\n  }\n}\n\nresource \"aws_kms_alias\"",
			new:  "  tags = local.tags\n}\n\nresource \"aws_kms_alias\"",
			rule: RulePreventDestroy, inMessage: `resource "aws_kms_key" "state"`,
		},
		{
			name: "state bucket on S3's own key",
			file: "bootstrap/main.tf",
			old:  "  kms_key_arn     = aws_kms_key.state.arn\n", new: "",
			rule: RuleEncryption, inMessage: `module "state" makes a bucket encrypted with S3's own key`,
		},
		{
			name: "bucket on the AWS-managed key",
			file: "modules/private-bucket/main.tf",
			old:  "      kms_master_key_id = var.kms_key_arn\n", new: "",
			rule: RuleEncryption, inMessage: "AWS-managed S3 key",
		},
		{
			name: "production shares one NAT gateway",
			file: "environments/production.tfvars",
			old:  "nat_gateway_per_zone    = true", new: "nat_gateway_per_zone    = false",
			rule: RuleZoneRedundancy, inMessage: "shares one NAT gateway",
		},
		{
			name: "service count reset by every apply",
			file: "modules/service/main.tf",
			old:  "  lifecycle {\n    ignore_changes = [desired_count]\n  }\n", new: "",
			rule: RuleAutoscaling, inMessage: "does not leave desired_count to autoscaling",
		},
		{
			name: "service without autoscaling",
			file: "modules/service/main.tf",
			old:  `resource_id        = "service/${aws_ecs_cluster.this.name}/${aws_ecs_service.this.name}"`, new: `resource_id        = "service/${aws_ecs_cluster.this.name}/${var.service_name}"`,
			rule: RuleAutoscaling, inMessage: "is not autoscaled",
		},
		{
			name: "task role trusts any account's tasks",
			file: "modules/service/main.tf",
			old:  "    condition {\n      test     = \"ArnLike\"\n      variable = \"aws:SourceArn\"\n      values   = [\"arn:aws:ecs:${var.region}:${var.account_id}:*\"]\n    }\n\n    condition {\n      test     = \"StringEquals\"\n      variable = \"aws:SourceAccount\"\n      values   = [var.account_id]\n    }\n",
			new:  "",
			rule: RuleConfusedDeputy, inMessage: `data "aws_iam_policy_document" "assume_task": the statement trusting ecs-tasks.amazonaws.com`,
		},
		{
			name: "flow logs role trusts any account",
			file: "modules/network/main.tf",
			old:  "    condition {\n      test     = \"StringEquals\"\n      variable = \"aws:SourceAccount\"\n      values   = [var.account_id]\n    }\n\n    condition {\n      test     = \"ArnLike\"\n      variable = \"aws:SourceArn\"\n      values   = [\"arn:aws:ec2:${var.region}:${var.account_id}:vpc-flow-log/*\"]\n    }\n",
			new:  "",
			rule: RuleConfusedDeputy, inMessage: "trusting vpc-flow-logs.amazonaws.com",
		},
		{
			name: "VPC without flow logs",
			file: "modules/network/main.tf",
			old:  "resource \"aws_flow_log\" \"this\" {\n  vpc_id                   = aws_vpc.this.id", new: "resource \"aws_flow_log\" \"this\" {\n  vpc_id                   = var.other_vpc_id",
			rule: RuleNetwork, inMessage: "records no flow logs",
		},
		{
			name: "default security group with a rule",
			file: "modules/network/main.tf",
			old:  "resource \"aws_default_security_group\" \"this\" {\n  vpc_id = aws_vpc.this.id\n",
			new:  "resource \"aws_default_security_group\" \"this\" {\n  vpc_id = aws_vpc.this.id\n\n  egress {\n    protocol    = \"-1\"\n    from_port   = 0\n    to_port     = 0\n    cidr_blocks = [\"0.0.0.0/0\"]\n  }\n",
			rule: RuleNetwork, inMessage: "must allow nothing",
		},
		{
			name: "load balancer without access logs",
			file: "modules/service/main.tf",
			old:  "    prefix  = \"alb\"\n    enabled = true", new: "    prefix  = \"alb\"\n    enabled = false",
			rule: RuleNetwork, inMessage: "writes no access logs",
		},
		{
			name: "access-log bucket on S3's key is fine, another bucket is not",
			file: "modules/service/main.tf",
			old:  "    bucket  = module.access_logs.bucket", new: "    bucket  = \"somewhere-else\"",
			rule: RuleEncryption, inMessage: `module "access_logs" makes a bucket encrypted with S3's own key`,
		},
		{
			name: "production backups in one region",
			file: "environments/production.tfvars",
			old:  `backup_replica_region = "eu-west-1"`, new: "",
			rule: RuleBackups, inMessage: "keeps its database backups in one region",
		},
		{
			name: "buckets without versions",
			file: "modules/private-bucket/main.tf",
			old:  "resource \"aws_s3_bucket_versioning\" \"this\" {\n  bucket = aws_s3_bucket.this.id\n\n  versioning_configuration {\n    status = \"Enabled\"",
			new:  "resource \"aws_s3_bucket_versioning\" \"this\" {\n  bucket = aws_s3_bucket.this.id\n\n  versioning_configuration {\n    status = \"Suspended\"",
			rule: RuleBackups, inMessage: `resource "aws_s3_bucket" "this" keeps no versions`,
		},
		{
			name: "backups on S3's own key",
			file: "modules/neo4j-backups/main.tf",
			old:  "  kms_key_arn     = var.kms_key_arn\n", new: "",
			rule: RuleEncryption, inMessage: `module "bucket" makes a bucket encrypted with S3's own key`,
		},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			vs, err := Check(brokenCopy(t, tc.file, append([]string{tc.old, tc.new}, tc.more...)...))
			if err != nil {
				t.Fatal(err)
			}
			var found bool
			for _, v := range vs {
				t.Logf("%s", v)
				// The right reason: this rule, at the file the case broke.
				if v.Rule == tc.rule && v.File == tc.file && strings.Contains(v.Message, tc.inMessage) {
					found = true
					if v.Line == 0 && !strings.HasSuffix(v.File, ".tfvars") {
						t.Errorf("violation without a line: %s", v)
					}
				}
			}
			if !found {
				t.Errorf("want a %s violation in %s mentioning %q, got %v", tc.rule, tc.file, tc.inMessage, vs)
			}
		})
	}
}

func TestContainerDefinitionsAsJSONString(t *testing.T) {
	fsys := fstest.MapFS{
		"main.tf": {Data: []byte(`
resource "aws_ecs_task_definition" "x" {
  container_definitions = "[{\"name\":\"app\",\"environment\":[{\"name\":\"DB_PASSWORD\",\"value\":\"x\"},{\"name\":\"PORT\",\"value\":\"5000\"}]}]"
}
`)},
	}
	vs, err := CheckFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	var hits []string
	for _, v := range vs {
		if v.Rule == RuleSecretInEnvironment {
			hits = append(hits, v.Message)
		}
	}
	if len(hits) != 1 || !strings.Contains(hits[0], "DB_PASSWORD") {
		t.Errorf("want one violation for DB_PASSWORD, got %q", hits)
	}
}

// Interpolations whose value comes from outside the module (var.*) are not
// checked; the literal text around them is, and so are known values.
func TestDescriptionInterpolations(t *testing.T) {
	fsys := fstest.MapFS{
		"main.tf": {Data: []byte(`
locals {
  env  = "stage"
  tier = "${local.env}'s tier"
}
resource "aws_security_group" "unknown" {
  description = "Tasks of ${var.service_name}: ${aws_lb.this.dns_name}"
}
resource "aws_security_group" "literal" {
  description = "${var.service_name}'s tasks"
}
resource "aws_security_group" "local" {
  description = "Tasks: ${upper(local.tier)}"
}
resource "aws_vpc_security_group_ingress_rule" "each" {
  for_each    = toset(["a", "b&c"])
  description = "Port ${each.key}"
}
resource "aws_vpc_security_group_egress_rule" "conditional" {
  description = var.https ? "HTTPS" : "HTTP (plain, no TLS)?"
}
resource "aws_dlm_lifecycle_policy" "fine" {
  description = "Daily snapshots of ${var.name}"
}
`)},
	}
	vs, err := CheckFS(fsys)
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, v := range vs {
		if v.Rule == RuleDescriptionCharset {
			got[strings.Fields(v.Message)[2]] = v.Message
		}
	}
	want := map[string]string{
		`"literal":`:     `has "'"`,
		`"local":`:       `has "'"`,
		`"each":`:        `has "&"`,
		`"conditional":`: `has "?"`,
	}
	for name, msg := range want {
		if !strings.Contains(got[name], msg) {
			t.Errorf("%s: want a violation with %q, got %q", name, msg, got[name])
		}
	}
	if len(got) != len(want) {
		t.Errorf("want violations for %d resources, got %v", len(want), got)
	}
}

func TestIsSecretName(t *testing.T) {
	for name, want := range map[string]bool{
		"JWT_SECRET": true, "WHATSAPP_BOT_API_KEY": true, "OPEN_EXCHANGE_RATES_API": true,
		"NEO_4J_LEDGER_SPACE_PASS": true, "NEO_4J_SEARCH_SPACE_BOLT_URL": true, "GITHUB_TOKEN": true,
		"DB_PASSWORD": true, "AWS_SECRET_ACCESS_KEY": true, "KEY": true, "PRIVATE_KEY_PEM": true,
		"NODE_ENV": false, "PORT": false, "LOG_LEVEL": false, "MONKEY_COUNT": false, "KEYBOARD": false,
	} {
		if got := IsSecretName(name); got != want {
			t.Errorf("IsSecretName(%q) = %v, want %v", name, got, want)
		}
	}
}

func TestNotATerraformDirectory(t *testing.T) {
	if _, err := CheckFS(fstest.MapFS{"README.md": {Data: []byte("x")}}); err == nil || !strings.Contains(err.Error(), "terraform/ directory") {
		t.Errorf("want an error naming the fix, got %v", err)
	}
	if _, err := CheckFS(fstest.MapFS{"main.tf": {Data: []byte("resource {")}}); err == nil || !strings.Contains(err.Error(), "main.tf") {
		t.Errorf("parse error should name the file: %v", err)
	}
}
