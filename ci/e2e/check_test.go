//go:build e2e

package e2e

import (
	"strings"
	"testing"
)

// `dagger check` at the repository root, with no flags, as the pull-request
// workflow runs it: the .env beside dagger.json points --source at the
// example service (this root is not a Node service), so lint and the
// Terraform policy check pass. (`dagger check` takes no constructor flags,
// so CREDEX_CI_E2E_NODE_IMAGE cannot reach it: it pulls the default image.)
func TestCheckPassesAtTheRootWithNoFlags(t *testing.T) {
	r := dagger(t, "check")
	if r.ExitCode != 0 {
		t.Fatalf("dagger check failed at the root:\n%s", r)
	}
	for _, check := range []string{"lint", "terraform-policy"} {
		if !strings.Contains(r.Output(), check) {
			t.Errorf("dagger check did not run %s:\n%s", check, r)
		}
	}
}

// An explicit --source wins over the .env default: the lint check of a
// source without package.json fails, naming it (what a broken service in
// credex-core gets from `dagger check`).
func TestLintRefusesASourceThatIsNotANodeService(t *testing.T) {
	r := call(t, "--source=internal/source", "lint")
	if r.ExitCode == 0 {
		t.Fatalf("lint passed on a source without package.json:\n%s", r)
	}
	if !strings.Contains(r.Stderr, "no package.json in --source") {
		t.Errorf("the error does not name the missing package.json:\n%s", r)
	}
}
