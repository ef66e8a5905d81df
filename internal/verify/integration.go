package verify

import (
	"context"
	"fmt"
	"strings"

	"github.com/great-sun-group/credex-ci/internal/integration"
	"github.com/great-sun-group/credex-ci/internal/report"
)

// outputTail is how many lines of the suite's raw output go into the
// evidence when its report cannot be read.
const outputTail = 30

// integration runs the app's own suite against the API URL and reads its
// TAP or JUnit report.
func (v *verification) integration(ctx context.Context, c *report.Check) error {
	if v.cfg.Integration == nil {
		c.Verdict, c.Summary = report.Skip, "skipped: no integration suite configured (pass --integration-dir, the app's directory with a test:integration script)"
		return nil
	}
	v.progress.Printf(CheckIntegration, "running the integration suite against %s", v.cfg.Target.URL)
	out, err := v.cfg.Integration.Run(ctx, v.cfg.Target.URL)
	if err != nil {
		return err // it names the command and the directory
	}
	suite, parseErr := integration.Parse(out.Raw)
	ok, problems := integration.Evaluate(out, suite, parseErr)
	if suite != nil {
		c.Tests = &report.TestSuite{Format: suite.Format, Total: suite.Total, Passed: suite.Passed, Failed: suite.Failed, Skipped: suite.Skipped}
		for _, f := range suite.Failures {
			c.Tests.Failures = append(c.Tests.Failures, report.TestFailure{Name: f.Name, Message: f.Message})
		}
	}
	if ok {
		c.Verdict = report.Pass
		c.Summary = fmt.Sprintf("%d tests passed (%d skipped)", suite.Passed, suite.Skipped)
		return nil
	}
	c.Verdict = report.Fail
	if suite != nil && suite.Failed > 0 {
		c.Summary = fmt.Sprintf("%d of %d tests failed", suite.Failed, suite.Total)
	} else {
		c.Summary = strings.Join(problems, "; ")
	}
	c.Evidence = append(c.Evidence, problems...)
	if suite == nil || (out.ExitCode != 0 && suite.Failed == 0) {
		c.Evidence = append(c.Evidence, fmt.Sprintf("exit code %d; last lines of output:", out.ExitCode))
		c.Evidence = append(c.Evidence, lastLines(string(out.Raw)+"\n"+string(out.Log), outputTail)...)
	}
	return nil
}

func lastLines(s string, n int) []string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}
