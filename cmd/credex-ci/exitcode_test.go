package main

import (
	"testing"

	"github.com/great-sun-group/credex-ci/internal/report"
	"github.com/great-sun-group/credex-ci/internal/verify"
)

// The precedence docs/verify.md states: the preflight's refusal is 3; then
// a failure of any other kind wins (1); then a supersession (5), then a
// timeout (4).
func TestExitCodesFollowTheDocumentedPrecedence(t *testing.T) {
	pass := report.Check{Name: verify.CheckHealth, Verdict: report.Pass}
	failed := report.Check{Name: verify.CheckBench, Verdict: report.Fail}
	errored := report.Check{Name: verify.CheckStatus, Verdict: report.Error}
	timedOut := report.Check{Name: verify.CheckRollout, Verdict: report.Fail, TimedOut: true}
	superseded := report.Check{Name: verify.CheckRollout, Verdict: report.Fail, Outcome: report.Superseded}
	refused := report.Check{Name: verify.CheckPreflight, Verdict: report.Error}
	skipped := report.Check{Name: verify.CheckIntegration, Verdict: report.Skip}
	for name, tc := range map[string]struct {
		checks []report.Check
		want   int
	}{
		"all passed":                     {[]report.Check{pass, skipped}, exitVerified},
		"a failure":                      {[]report.Check{pass, failed}, exitFailed},
		"an error":                       {[]report.Check{errored, pass}, exitFailed},
		"the preflight refused":          {[]report.Check{refused, skipped}, exitPreflight},
		"a timeout only":                 {[]report.Check{timedOut, skipped}, exitTimedOut},
		"superseded only":                {[]report.Check{superseded, skipped}, exitSuperseded},
		"a failure beats a timeout":      {[]report.Check{timedOut, failed}, exitFailed},
		"a failure beats a supersession": {[]report.Check{superseded, errored}, exitFailed},
		"a supersession beats a timeout": {[]report.Check{superseded, {Name: verify.CheckBench, Verdict: report.Fail, TimedOut: true}}, exitSuperseded},
	} {
		rep := &report.Report{}
		for _, c := range tc.checks {
			rep.Add(c)
		}
		if got := exitCode(rep); got != tc.want {
			t.Errorf("%s: exit %d, want %d", name, got, tc.want)
		}
	}
}
