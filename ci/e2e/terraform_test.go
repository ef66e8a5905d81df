//go:build e2e

package e2e

import (
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/testbed"
	"github.com/great-sun-group/credex-ci/internal/tfrun"
)

// The Terraform functions against the AWS test bed, through the CLI:
// registry, plan, apply (which stops part-way: the bed lacks some of EC2),
// apply of the now stale plan, plan and drift without --image after the
// partial apply. None of their progress output may hold a secret: the
// passwords the bed generated for the databases, a sensitive value planted in
// the state, or the AWS secret key.

// terraformForBed is a copy of terraform/ for the test bed: staging's
// tfvars name the bed's account (the provider's allowed_account_ids guard is
// unchanged), and a canary resource keeps a sensitive value in the plan and
// the state, which Terraform's own output masks but `terraform show -json`
// does not: it reaches Dagger's progress output only if the plan JSON does.
func terraformForBed(t *testing.T, canary string) string {
	t.Helper()
	dir := filepath.Join(t.TempDir(), "terraform")
	if err := tfrun.CopyStack(filepath.Join(repoRoot(t), "terraform"), dir); err != nil {
		t.Fatal(err)
	}
	e, err := envs.Lookup("stage")
	if err != nil {
		t.Fatal(err)
	}
	tfvars := filepath.Join(dir, filepath.FromSlash(e.TFVarsFile))
	data, err := os.ReadFile(tfvars)
	if err != nil {
		t.Fatal(err)
	}
	staged, err := envs.FromTFVars("stage", data)
	if err != nil {
		t.Fatal(err)
	}
	account := fmt.Sprintf("aws_account_id = %q", staged.AccountID)
	if !strings.Contains(string(data), account) {
		t.Fatalf("%s has no `%s` line to point at the test bed", e.TFVarsFile, account)
	}
	data = []byte(strings.Replace(string(data), account, fmt.Sprintf("aws_account_id = %q", testbed.AccountID), 1))
	if err := os.WriteFile(tfvars, data, 0o644); err != nil {
		t.Fatal(err)
	}
	plant := fmt.Sprintf("# Written by the e2e test: a sensitive value in the plan and the state.\nresource \"terraform_data\" \"e2e_canary\" {\n  input = sensitive(%q)\n}\n", canary)
	if err := os.WriteFile(filepath.Join(dir, "e2e_canary.tf"), []byte(plant), 0o644); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestTerraformProgressHoldsNoSecret(t *testing.T) {
	daggerCLI(t) // skip before starting anything without the pinned CLI
	bed := startTestbed(t)
	if err := bed.CreateStateBucket(t.Context()); err != nil {
		t.Fatal(err)
	}
	buf := make([]byte, 16)
	if _, err := rand.Read(buf); err != nil {
		t.Fatal(err)
	}
	canary := "canary" + hex.EncodeToString(buf)
	o := opts{Env: bed.Env}
	flags := append(append([]string{}, bed.Flags...), "--terraform="+terraformForBed(t, canary))
	var runs []run
	do := func(args ...string) run {
		t.Helper()
		r := callWith(t, o, append(append([]string{}, flags...), args...)...)
		runs = append(runs, r)
		return r
	}

	reg := do("registry", "--env=stage")
	if reg.ExitCode != 0 || !strings.HasSuffix(strings.TrimSpace(reg.Stdout), "/credex-core-staging") {
		t.Fatalf("registry:\n%s", reg)
	}
	image := strings.TrimSpace(reg.Stdout) + "@sha256:" + strings.Repeat("ab", 32)
	planFile := filepath.Join(t.TempDir(), "stage.tfplan")
	if r := do("plan", "--env=stage", "--image="+image, "file", "export", "--path="+planFile); r.ExitCode != 0 {
		t.Fatalf("plan:\n%s", r)
	}
	// The stack's resources plus the canary.
	wantAdd := fmt.Sprintf("%d to add", tfrun.PlannedCreates["stage"]+1)
	if r := do("plan", "--env=stage", "--image="+image, "text"); r.ExitCode != 0 || !strings.Contains(r.Stdout, wantAdd) {
		t.Errorf("plan text: want %s\n%s", wantAdd, r)
	}

	apply := do("apply", "--env=stage", "--plan="+planFile)
	if apply.ExitCode != 0 && !strings.Contains(apply.Stderr, "The apply stopped part-way") {
		t.Errorf("an apply that failed after changing resources must say it stopped part-way and name them:\n%s", apply)
	}
	if apply.ExitCode != 0 {
		stale := do("apply", "--env=stage", "--plan="+planFile)
		if stale.ExitCode == 0 || !strings.Contains(stale.Stderr, "Nothing was applied: the saved plan is stale") || strings.Contains(stale.Stderr, "part-way") {
			t.Errorf("the same plan again is stale, and nothing was applied:\n%s", stale)
		}
	}

	// After a partial apply the state has an image output but not the whole
	// contract: plan and drift without --image still run.
	for _, args := range [][]string{{"plan", "--env=stage", "text"}, {"drift", "--env=stage"}} {
		r := do(args...)
		if strings.Contains(r.Output(), "missing Terraform outputs") {
			t.Errorf("%s needs only the image output:\n%s", args[0], r)
		}
	}

	secrets := map[string]string{"the planted sensitive value": canary, "the AWS secret key": testbed.SecretAccessKey}
	generated := bed.GeneratedPasswords()
	if len(generated) < 2 {
		t.Errorf("the plans should have generated the databases' passwords through the bed, got %d", len(generated))
	}
	for i, p := range generated {
		secrets[fmt.Sprintf("generated password #%d", i+1)] = p
	}
	for _, r := range runs {
		for what, s := range secrets {
			if strings.Contains(r.Output(), s) {
				t.Errorf("%s appears in the output of `dagger %s`", what, strings.Join(r.Args, " "))
			}
		}
	}
}
