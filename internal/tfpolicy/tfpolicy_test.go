package tfpolicy

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"testing/fstest"
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
	err := filepath.WalkDir(realStack, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(realStack, p)
		if d.IsDir() {
			if d.Name() == ".terraform" {
				return fs.SkipDir
			}
			return os.MkdirAll(filepath.Join(dir, rel), 0o755)
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dir, rel), b, 0o644)
	})
	if err != nil {
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
			name: "state bucket without encryption",
			file: "bootstrap/main.tf",
			old:  "resource \"aws_s3_bucket_server_side_encryption_configuration\" \"state\" {\n  bucket = aws_s3_bucket.state.id",
			new:  "resource \"aws_s3_bucket_server_side_encryption_configuration\" \"state\" {\n  bucket = \"another-bucket\"",
			rule: RuleEncryption, inMessage: "bucket = aws_s3_bucket.state.id",
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
			file: "modules/neo4j/outputs.tf", old: "value       = aws_secretsmanager_secret.this.arn", new: `value       = random_password.this["ledgerspace"].result`,
			rule: RuleSecretOutput, inMessage: "output the secret's ARN or name instead",
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
