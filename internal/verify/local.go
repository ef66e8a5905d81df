package verify

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/report"
)

// notApplicableLocally are the checks that have no meaning without AWS, each
// with the reason the report gives. They are reported as not applicable
// (report.NotApplicable), never as passed.
var notApplicableLocally = []struct{ name, reason string }{
	{CheckPreflight, "local has no AWS account whose credentials to check"},
	{CheckRollout, "local starts the app as a Dagger service, not an ECS deployment: there is no rollout to watch"},
	{CheckStatus, "local has no ECS service whose running and desired counts to compare"},
}

// NotApplicable lists the checks that do not apply to an environment, in
// report order: preflight, rollout and status locally, none in AWS.
func NotApplicable(e envs.Environment) []string {
	if !e.Local {
		return nil
	}
	names := make([]string, len(notApplicableLocally))
	for i, c := range notApplicableLocally {
		names[i] = c.name
	}
	return names
}

// CheckApplicable refuses a selection of checks (ParseChecks) naming one
// that does not apply to the environment, with the ones that do.
func CheckApplicable(e envs.Environment, checks []string) error {
	na := NotApplicable(e)
	var bad []string
	for _, c := range checks {
		if slices.Contains(na, c) {
			bad = append(bad, c)
		}
	}
	if len(bad) == 0 {
		return nil
	}
	var ok []string
	for _, c := range AllChecks {
		if !slices.Contains(na, c) {
			ok = append(ok, c)
		}
	}
	return fmt.Errorf("%s do(es) not apply to %s (no AWS there): choose from %s", strings.Join(bad, ","), e.Name, strings.Join(ok, ","))
}

// notApplicable adds the entries of the checks that do not apply to the
// environment and returns the selected checks left to run.
func notApplicable(rep *report.Report, e envs.Environment, checks []string) []string {
	if !e.Local {
		return checks
	}
	for _, c := range notApplicableLocally {
		rep.Add(report.Check{Name: c.name, Verdict: report.NotApplicable, Summary: "not applicable: " + c.reason, Started: time.Now()})
		checks = slices.DeleteFunc(checks, func(n string) bool { return n == c.name })
	}
	return checks
}
