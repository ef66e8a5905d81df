//go:build terraform

package tfrun_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/secretsmanager"

	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/testbed"
	"github.com/great-sun-group/credex-ci/internal/tfoutputs"
	"github.com/great-sun-group/credex-ci/internal/tfplan"
	"github.com/great-sun-group/credex-ci/internal/tfrun"
)

// The credex-core stack run with the real Terraform and the official AWS
// provider (from the mirror): formatted, valid, and planned for both
// environments against the local test bed, with the account guard on and no
// generated password in any plan, state or output.
//
// They need Terraform >= 1.11 and the provider mirror, and take about a
// minute: `make test-terraform` (part of `make test`) runs them, with
// -tags terraform.

const stackDir = "../../terraform"

func terraform(t *testing.T) *tfrun.Terraform {
	t.Helper()
	providers, err := tfrun.LockedProviders(filepath.Join(stackDir, ".terraform.lock.hcl"))
	if err != nil {
		t.Fatal(err)
	}
	tf, err := tfrun.Find(t.TempDir(), providers...)
	if err != nil {
		t.Fatal(err)
	}
	return tf
}

// run runs terraform and fails the test on an error.
func run(t *testing.T, tf *tfrun.Terraform, dir string, env []string, args ...string) tfrun.Result {
	t.Helper()
	r, err := tf.Run(t.Context(), dir, env, args...)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// copyStack is a private copy of terraform/ to init and run in.
func copyStack(t *testing.T) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "terraform")
	if err := tfrun.CopyStack(stackDir, dir); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestStackIsFormatted(t *testing.T) {
	t.Parallel()
	tf := terraform(t)
	r, err := tf.Run(t.Context(), stackDir, nil, "fmt", "-check", "-recursive", "-diff")
	if err != nil {
		t.Fatalf("run `terraform fmt -recursive terraform` and commit the result:\n%s\n%v", r.Stdout, err)
	}
}

// stacks are the root modules under terraform/: the main stack and each
// directory beside modules/ with .tf files of its own (registry, bootstrap,
// github-oidc, ...).
func stacks(t *testing.T) []string {
	t.Helper()
	out := []string{"."}
	entries, err := os.ReadDir(stackDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range entries {
		if !e.IsDir() || e.Name() == "modules" || strings.HasPrefix(e.Name(), ".") {
			continue
		}
		if tf, _ := filepath.Glob(filepath.Join(stackDir, e.Name(), "*.tf")); len(tf) > 0 {
			out = append(out, e.Name())
		}
	}
	return out
}

// Every stack inits from the mirror with its committed lock file (which
// init must not need to change) and validates.
func TestStacksValidate(t *testing.T) {
	t.Parallel()
	tf := terraform(t)
	for _, stack := range stacks(t) {
		t.Run(stack, func(t *testing.T) {
			t.Parallel()
			dir := filepath.Join(copyStack(t), stack)
			lock := filepath.Join(dir, ".terraform.lock.hcl")
			before, err := os.ReadFile(lock)
			if err != nil {
				t.Fatalf("terraform/%s has no .terraform.lock.hcl: run `terraform providers lock -fs-mirror=%s -platform=linux_amd64` there and commit it", stack, tf.Mirror)
			}
			run(t, tf, dir, nil, "init", "-backend=false", "-input=false", "-no-color")
			if after, _ := os.ReadFile(lock); !bytes.Equal(before, after) {
				t.Errorf("init changed terraform/%s/.terraform.lock.hcl: update the committed lock file (docs/terraform.md, \"Provider lock files\")", stack)
			}
			r, _ := tf.Run(t.Context(), dir, nil, "validate", "-json", "-no-color")
			var v struct {
				Valid       bool `json:"valid"`
				Diagnostics []struct {
					Severity, Summary, Detail string
					Range                     *struct {
						Filename string
						Start    struct{ Line int }
					}
				} `json:"diagnostics"`
			}
			if err := json.Unmarshal([]byte(r.Stdout), &v); err != nil {
				t.Fatalf("terraform validate -json: %v\n%s", err, r.Output())
			}
			for _, d := range v.Diagnostics {
				where := ""
				if d.Range != nil {
					where = fmt.Sprintf("%s:%d: ", d.Range.Filename, d.Range.Start.Line)
				}
				t.Errorf("terraform/%s: %s%s: %s: %s", stack, where, d.Severity, d.Summary, d.Detail)
			}
			if !v.Valid {
				t.Errorf("terraform/%s is not valid", stack)
			}
		})
	}
}

// bedAndStack starts a test bed (stopped when the test ends) and copies the
// stack into a work directory. env is what a terraform run against the bed
// gets: its endpoint, static test credentials and the region.
func bedAndStack(t *testing.T) (bed *testbed.Bed, env []string, work, stack string) {
	t.Helper()
	bed, err := testbed.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bed.Close)
	env = []string{"AWS_ENDPOINT_URL=" + bed.URL, "AWS_ACCESS_KEY_ID=" + testbed.AccessKeyID,
		"AWS_SECRET_ACCESS_KEY=" + testbed.SecretAccessKey, "AWS_REGION=" + bed.Region}
	work = t.TempDir()
	stack = filepath.Join(work, "terraform")
	if err := tfrun.CopyStack(stackDir, stack); err != nil {
		t.Fatal(err)
	}
	return bed, env, work, stack
}

// preparedStack is a copy of the stack ready to plan one environment
// against a test bed: the registry stack applied (the root stack reads the
// repository), the root stack initialised with a local backend, and the
// test's own tfvars written.
type preparedStack struct {
	bed       *testbed.Bed
	env       []string
	work, dir string
	e         envs.Environment
	// image is an image of the bed's repository, pinned by digest.
	image string
	// testVars is the test's tfvars file (writeTestVars).
	testVars string
	// outputs are the runs so far (init, apply), for the secrets checks.
	outputs []tfrun.Result
}

func prepareStack(t *testing.T, tf *tfrun.Terraform, e envs.Environment) *preparedStack {
	t.Helper()
	bed, env, work, dir := bedAndStack(t)
	st := &preparedStack{bed: bed, env: env, work: work, dir: dir, e: e}
	registry := filepath.Join(dir, "registry")
	if err := tfrun.LocalBackend(registry, filepath.Join(work, "registry.tfstate")); err != nil {
		t.Fatal(err)
	}
	st.outputs = append(st.outputs, run(t, tf, registry, env, "init", "-input=false", "-no-color"),
		run(t, tf, registry, env, "apply", "-input=false", "-no-color", "-auto-approve",
			"-var=aws_account_id="+testbed.AccountID, "-var=aws_region="+bed.Region, "-var=environment="+e.TerraformEnv))
	regOut := run(t, tf, registry, env, "output", "-json")
	repo, err := tfoutputs.ParseRegistry([]byte(regOut.Stdout))
	if err != nil {
		t.Fatal(err)
	}
	if err := tfrun.LocalBackend(dir, filepath.Join(work, "root.tfstate")); err != nil {
		t.Fatal(err)
	}
	st.testVars = writeTestVars(t, work, e)
	st.image = repo.RepositoryURL + "@sha256:" + strings.Repeat("ab", 32)
	st.outputs = append(st.outputs, run(t, tf, dir, env, "init", "-input=false", "-no-color"))
	return st
}

// planArgs are the arguments of a plan of the environment as the pipeline
// makes it (its tfvars, the image), plus the test's tfvars and extra.
func (st *preparedStack) planArgs(extra ...string) []string {
	return append([]string{"plan", "-input=false", "-no-color", "-var-file=" + st.e.TFVarsFile, "-var-file=" + st.testVars, "-var=image=" + st.image}, extra...)
}

// A first plan of each environment, as the pipeline makes it: the registry
// stack applied first (the root stack reads the repository), then the root
// stack planned with the environment's own tfvars and the test bed's
// account, the provider's allowed_account_ids guard unchanged.
func TestPlanBothEnvironmentsAgainstTestBed(t *testing.T) {
	t.Parallel()
	tf := terraform(t)
	for _, name := range []string{"stage", "prod"} {
		t.Run(name, func(t *testing.T) {
			t.Parallel()
			e, err := envs.Lookup(name)
			if err != nil {
				t.Fatal(err)
			}
			st := prepareStack(t, tf, e)
			bed, env, work, dir := st.bed, st.env, st.work, st.dir
			outputs := st.outputs
			planFile := filepath.Join(work, "plan.tfplan")
			outputs = append(outputs, run(t, tf, dir, env, st.planArgs("-out="+planFile)...))
			shown := run(t, tf, dir, env, "show", "-json", planFile)

			p, err := tfplan.Parse([]byte(shown.Stdout))
			if err != nil {
				t.Fatal(err)
			}
			creates := 0
			for _, rc := range p.ResourceChanges {
				switch a := rc.Action(); {
				case rc.Mode == "data" || a == tfplan.NoOp || a == tfplan.Read:
				case a == tfplan.Create:
					creates++
				default:
					t.Errorf("a first plan should only create: %s %s", a, rc.Address)
				}
			}
			if creates != tfrun.PlannedCreates[name] {
				t.Errorf("%s plans %d to add, want %d (update tfrun.PlannedCreates and docs/terraform.md if the stack changed on purpose)", e.TerraformEnv, creates, tfrun.PlannedCreates[name])
			}
			if err := tfplan.GuardData(p); err != nil {
				t.Error(err)
			}
			if err := p.CheckFor(e.TerraformEnv, testbed.AccountID); err != nil {
				t.Error(err)
			}
			t.Logf("%s: %d to add", e.TerraformEnv, creates)
			checkProperties(t, e, shown.Stdout)
			checkRegistryEncrypted(t, tf, st)

			if e.Protected {
				checkRefusals(t, tf, st)
			}

			// The guard is on: the environment's own account is refused.
			r, err := tf.Run(t.Context(), dir, env, "plan", "-input=false", "-no-color", "-var-file="+e.TFVarsFile, "-var=image="+st.image)
			if err == nil || !strings.Contains(r.Stderr, "not allowed") || !strings.Contains(r.Stderr, testbed.AccountID) {
				t.Errorf("planning %s with its own tfvars (account %s) against the bed (account %s) must be refused by allowed_account_ids; got %v\n%s",
					e.TerraformEnv, e.AccountID, testbed.AccountID, err, r.Stderr)
			}

			// The plan generated the databases' passwords; none is in the plan,
			// any state, or Terraform's output.
			passwords := bed.GeneratedPasswords()
			if len(passwords) < 2 {
				t.Fatalf("the plan should have generated a password per database through the bed, got %d", len(passwords))
			}
			noSecrets(t, passwords, "terraform show -json", shown.Stdout)
			for _, o := range outputs {
				noSecrets(t, passwords, "terraform's output", o.Output())
			}
			noSecretsInPlanFile(t, passwords, planFile)
			noSecretsInFiles(t, passwords, work)
		})
	}
}

// The Neo4j secret's value is written through the write-only argument: the
// JSON credex-core reads is in Secrets Manager, with a password the bed
// generated, and in no state. Bumping password_version rotates it, leaving
// the old value as AWSPREVIOUS. A saved plan made stale by an apply in
// between applies nothing, and the pipeline reads that from Terraform's own
// text.
func TestNeo4jCredentialsAreWriteOnly(t *testing.T) {
	t.Parallel()
	tf := terraform(t)
	bed, env, work, stack := bedAndStack(t)
	dir := filepath.Join(work, "root")
	if err := os.MkdirAll(dir, 0o755); err != nil {
		t.Fatal(err)
	}
	config := fmt.Sprintf(`terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}
provider "aws" {
  region              = %q
  allowed_account_ids = [%q]
}
variable "password_version" {
  type    = number
  default = 1
}
resource "aws_secretsmanager_secret" "neo4j" {
  name                    = "neo4j_test_secrets"
  recovery_window_in_days = 0
}
module "credentials" {
  source           = %q
  secret_id        = aws_secretsmanager_secret.neo4j.id
  bolt_urls        = { ledgerspace = "bolt+ssc://10.40.10.5:7687", searchspace = "bolt+ssc://10.40.11.6:7687" }
  password_version = var.password_version
}
`, bed.Region, testbed.AccountID, filepath.Join(stack, "modules", "neo4j-credentials"))
	if err := os.WriteFile(filepath.Join(dir, "main.tf"), []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	var outputs []tfrun.Result
	outputs = append(outputs, run(t, tf, dir, env, "init", "-input=false", "-no-color"),
		run(t, tf, dir, env, "apply", "-input=false", "-no-color", "-auto-approve"))

	sm := secretsmanager.NewFromConfig(bed.Config())
	read := func(stage string) map[string]string {
		t.Helper()
		out, err := sm.GetSecretValue(t.Context(), &secretsmanager.GetSecretValueInput{SecretId: aws.String("neo4j_test_secrets"), VersionStage: aws.String(stage)})
		if err != nil {
			t.Fatalf("GetSecretValue %s: %v", stage, err)
		}
		var v map[string]string
		if err := json.Unmarshal([]byte(aws.ToString(out.SecretString)), &v); err != nil {
			t.Fatalf("the secret is not the JSON object credex-core reads: %v", err)
		}
		return v
	}
	first := read("AWSCURRENT")
	want := map[string]string{"ledgerspacebolturl": "bolt+ssc://10.40.10.5:7687", "ledgerspaceuser": "neo4j", "searchspacebolturl": "bolt+ssc://10.40.11.6:7687", "searchspaceuser": "neo4j"}
	for k, v := range want {
		if first[k] != v {
			t.Errorf("secret[%q] = %q, want %q", k, first[k], v)
		}
	}
	if len(first) != 6 {
		t.Errorf("secret keys: want the 6 credex-core reads, got %d", len(first))
	}
	for _, db := range []string{"ledgerspace", "searchspace"} {
		if p := first[db+"pass"]; len(p) != 32 || !slices.Contains(bed.GeneratedPasswords(), p) {
			t.Errorf("%spass is not a 32-character password Secrets Manager generated", db)
		}
	}

	// A plan of the rotation, made stale by applying the rotation directly.
	stalePlan := filepath.Join(work, "rotate.tfplan")
	outputs = append(outputs, run(t, tf, dir, env, "plan", "-input=false", "-no-color", "-var=password_version=2", "-out="+stalePlan))
	rotated := run(t, tf, dir, env, "apply", "-input=false", "-no-color", "-auto-approve", "-var=password_version=2")
	outputs = append(outputs, rotated)
	if !strings.Contains(rotated.Stdout, "1 added, 0 changed, 1 destroyed") {
		t.Errorf("a rotation replaces the secret version only:\n%s", rotated.Stdout)
	}
	second := read("AWSCURRENT")
	if second["ledgerspacepass"] == first["ledgerspacepass"] || !slices.Contains(bed.GeneratedPasswords(), second["ledgerspacepass"]) {
		t.Error("password_version 2 did not write a new generated password")
	}
	if prev := read("AWSPREVIOUS"); prev["ledgerspacepass"] != first["ledgerspacepass"] {
		t.Error("after a rotation the old passwords should be the AWSPREVIOUS version (needed to change the databases' passwords)")
	}

	stale, err := tf.Run(t.Context(), dir, env, "apply", "-input=false", stalePlan)
	if err == nil {
		t.Fatal("applying a plan made stale by another apply should fail")
	}
	f := tfplan.ReadApplyFailure(stale.Output())
	if !f.Stale || f.Changed() {
		t.Errorf("Terraform's stale-plan failure should read as stale with nothing applied, got %+v from:\n%s", f, stale.Output())
	}
	if read("AWSCURRENT")["ledgerspacepass"] != second["ledgerspacepass"] {
		t.Error("the refused stale plan changed the secret")
	}

	state := run(t, tf, dir, env, "state", "pull")
	passwords := bed.GeneratedPasswords()
	noSecrets(t, passwords, "terraform state pull", state.Stdout)
	for _, o := range append(outputs, stale) {
		noSecrets(t, passwords, "terraform's output", o.Output())
	}
	noSecretsInPlanFile(t, passwords, stalePlan)
	noSecretsInFiles(t, passwords, work)
}

// noSecrets fails if text contains any of the secrets; the message never
// shows a secret.
func noSecrets(t *testing.T, secrets []string, where, text string) {
	t.Helper()
	for i, s := range secrets {
		if s != "" && strings.Contains(text, s) {
			t.Errorf("generated password #%d appears in %s", i+1, where)
		}
	}
}

// noSecretsInPlanFile checks every file inside a saved plan (a zip: the
// plan, the prior state, the configuration).
func noSecretsInPlanFile(t *testing.T, secrets []string, planFile string) {
	t.Helper()
	z, err := zip.OpenReader(planFile)
	if err != nil {
		t.Fatal(err)
	}
	defer z.Close()
	for _, f := range z.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		data, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		noSecrets(t, secrets, "the saved plan's "+f.Name, string(data))
	}
}

// noSecretsInFiles checks every file under dir: state files, backups, the
// working directories Terraform wrote.
func noSecretsInFiles(t *testing.T, secrets []string, dir string) {
	t.Helper()
	states := 0
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "providers" && filepath.Base(filepath.Dir(p)) == ".terraform" {
			return fs.SkipDir // the provider binaries
		}
		if d.IsDir() || !d.Type().IsRegular() {
			return nil
		}
		if strings.Contains(d.Name(), ".tfstate") {
			states++
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(dir, p)
		noSecrets(t, secrets, rel, string(data))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if states == 0 {
		t.Errorf("no state file under %s to check", dir)
	}
}
