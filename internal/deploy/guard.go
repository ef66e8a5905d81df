package deploy

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/great-sun-group/credex-ci/internal/envs"
)

// Guard is the production guard: a deploy to a protected environment (prod)
// needs --confirm=<its name>. Nothing else counts as approval, on purpose:
// the Dagger function sees only its arguments, not the CI's environment, and
// a marker variable would be one a laptop could set as easily as CI. In
// GitHub Actions the approval is the environment's required reviewers: the
// workflow passes --confirm=prod only inside the job gated by the
// `production` environment (docs/deploy.md). A --confirm naming another
// environment than --env is refused everywhere, as a copy-paste slip.
func Guard(e envs.Environment, confirm string) error {
	confirm = strings.TrimSpace(confirm)
	if confirm != "" {
		c, err := envs.Lookup(confirm)
		if err != nil || c.Name != e.Name {
			return fmt.Errorf("--confirm=%s does not name the environment being deployed (--env=%s): pass --confirm=%s, or check --env; nothing was done", confirm, e.Name, e.Name)
		}
		return nil
	}
	if e.Protected {
		return fmt.Errorf("deploying to %s needs an explicit confirmation: pass --confirm=%s. "+
			"In GitHub Actions, pass it only in the job gated by the %q environment (required reviewers approve the run); see docs/deploy.md. Nothing was done",
			e.TerraformEnv, e.Name, e.TerraformEnv)
	}
	return nil
}

// RollbackOnFailure reads --rollback-on-failure: "true" or "false", or
// empty for the environment's default (on for protected environments:
// production goes back to the previous image when verification fails; off
// elsewhere, so a failed staging deploy stays up to be looked at).
func RollbackOnFailure(e envs.Environment, value string) (bool, error) {
	value = strings.TrimSpace(value)
	if value == "" {
		return e.Protected, nil
	}
	b, err := strconv.ParseBool(value)
	if err != nil {
		return false, fmt.Errorf("--rollback-on-failure=%q: pass true or false (default: %t for %s); nothing was done", value, e.Protected, e.Name)
	}
	return b, nil
}
