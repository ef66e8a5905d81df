package verify

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"time"

	"github.com/sourcegraph/conc/panics"

	"github.com/great-sun-group/credex-ci/internal/awsconf"
	"github.com/great-sun-group/credex-ci/internal/report"
)

// step is one check: its name, its own timeout, and what it does. run fills
// Verdict, Summary and Evidence; runStep fills the rest.
type step struct {
	name    string
	timeout time.Duration
	run     func(ctx context.Context, c *report.Check) error
}

// runStep runs a step under its own timeout and turns whatever happens into
// the check's entry: an error is the check's error (or a failure when the
// deadline passed), a panic is the check's error with its location. What
// the AWS SDK's retryer did for the step's calls (throttling, retries) is
// counted and, when there was any, becomes a note; progress (nil: none)
// says so as it happens.
func runStep(ctx context.Context, progress *report.Progress, s step) (c report.Check) {
	c = report.Check{Name: s.name, Started: time.Now()}
	retries := &awsconf.RetryStats{OnRetried: func(call string, attempts, throttled int, took time.Duration) {
		why := "after errors"
		if throttled > 0 {
			why = fmt.Sprintf("AWS throttled it %d time(s)", throttled)
		}
		progress.Printf(s.name, "%s took %d attempts (%s): the SDK backed off and retried, %s in all", call, attempts, why, took.Round(10*time.Millisecond))
	}}
	ctx = awsconf.WithRetryStats(ctx, retries)
	defer func() {
		c.Duration = time.Since(c.Started)
		if r := retries.Snapshot(); r.Any() {
			c.Notes = append(c.Notes, r.String())
		}
	}()
	if s.timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, s.timeout)
		defer cancel()
	}
	var err error
	var pc panics.Catcher
	pc.Try(func() { err = s.run(ctx, &c) })
	if r := pc.Recovered(); r != nil {
		c.Verdict = report.Error
		c.Summary = fmt.Sprintf("the %s check panicked: %v (a bug in credex-ci; please report it with this output)", s.name, r.Value)
		c.Evidence = append(c.Evidence, firstLines(string(r.Stack), 12)...)
		return c
	}
	deadline := errors.Is(ctx.Err(), context.DeadlineExceeded) || errors.Is(err, context.DeadlineExceeded)
	switch {
	case deadline && c.Verdict != report.Pass:
		msg := fmt.Sprintf("timed out after %s", roundTimeout(s.timeout))
		switch {
		case c.Summary == "":
			c.Summary = msg
		case !c.TimedOut: // the check's own summary does not say it ran out of time
			c.Summary = msg + ": " + c.Summary
		}
		c.Verdict, c.TimedOut = report.Fail, true
		if err != nil {
			c.Evidence = append(c.Evidence, err.Error())
		}
	case err != nil:
		c.Verdict = report.Error
		if c.Summary == "" {
			c.Summary = err.Error()
		} else {
			c.Evidence = append(c.Evidence, err.Error())
		}
	case c.Verdict == "":
		c.Verdict = report.Error
		c.Summary = "the check reported no verdict (a bug in credex-ci)"
	}
	return c
}

// skipped is the entry of a check that did not run.
func skipped(name, reason string) report.Check {
	return report.Check{Name: name, Verdict: report.Skip, Summary: "skipped: " + reason, Started: time.Now()}
}

// roundTimeout keeps a sub-second timeout readable ("300ms", not "0s").
func roundTimeout(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(time.Second)
}

func firstLines(s string, n int) []string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	if len(lines) > n {
		lines = lines[:n]
	}
	return lines
}
