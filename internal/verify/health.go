package verify

import (
	"context"
	"fmt"
	"strings"

	"github.com/great-sun-group/credex-ci/internal/health"
	"github.com/great-sun-group/credex-ci/internal/report"
)

// health GETs the health endpoint with retries and checks the build it reports.
func (v *verification) health(ctx context.Context, c *report.Check) error {
	p := v.cfg.Policy
	url := v.url(v.cfg.HealthPath)
	res, err := health.Check{
		URL: url, Client: v.cfg.HTTPClient,
		Attempts: p.HealthAttempts, MaxBackoff: p.HealthMaxBackoff,
		ExpectRevision: v.cfg.Target.Revision,
		OnAttempt: func(a health.Attempt) {
			if !a.OK() && a.Retry {
				v.progress.Printf(CheckHealth, "waiting: attempt %d %s, retrying in %s", a.Number, describeAttempt(a), a.Wait.Round(1e6))
			}
		},
	}.Run(ctx)
	if err != nil {
		return err // it names the URL
	}
	for _, a := range res.Attempts {
		c.Evidence = append(c.Evidence, fmt.Sprintf("attempt %d: %s (%s)", a.Number, describeAttempt(a), a.Duration.Round(1e6)))
	}
	if res.BuildInfo != nil {
		c.Evidence = append(c.Evidence, fmt.Sprintf("build reported: %s (%s)", res.BuildInfo.Revision, res.BuildInfo.Field))
	}
	c.Notes = append(c.Notes, res.Notes...)
	if !res.OK() {
		c.Verdict = report.Fail
		c.Summary = fmt.Sprintf("GET %s: %s", url, strings.Join(res.Problems, "; "))
		if res.Body != "" {
			c.Evidence = append(c.Evidence, "last body: "+res.Body)
		}
		return nil
	}
	c.Verdict = report.Pass
	c.Summary = fmt.Sprintf("GET %s: %d after %d attempt(s)", url, res.Status, len(res.Attempts))
	if res.BuildInfo != nil {
		c.Summary += ", build " + res.BuildInfo.Revision
	}
	return nil
}

func describeAttempt(a health.Attempt) string {
	var parts []string
	if a.Status != 0 {
		parts = append(parts, fmt.Sprintf("HTTP %d", a.Status))
	}
	if a.Error != "" {
		parts = append(parts, a.Error)
	}
	parts = append(parts, a.Problems...)
	if a.OK() {
		parts = append(parts, "healthy")
	}
	return strings.Join(parts, ": ")
}
