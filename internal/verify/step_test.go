package verify

import (
	"context"
	"errors"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/great-sun-group/credex-ci/internal/report"
)

func TestRunStepTurnsAPanicIntoThatChecksError(t *testing.T) {
	c := runStep(context.Background(), nil, step{"status", time.Second, func(context.Context, *report.Check) error {
		var m map[string]int
		m["boom"]++
		return nil
	}})
	if c.Verdict != report.Error || !strings.Contains(c.Summary, "panicked") || !strings.Contains(c.Summary, "nil map") {
		t.Errorf("got %s: %s", c.Verdict, c.Summary)
	}
	if len(c.Evidence) == 0 {
		t.Error("the panic's stack is the evidence")
	}
}

func TestRunStepTimeoutIsAFailureMarkedTimedOut(t *testing.T) {
	c := runStep(context.Background(), nil, step{"health", 20 * time.Millisecond, func(ctx context.Context, c *report.Check) error {
		<-ctx.Done()
		return ctx.Err()
	}})
	if c.Verdict != report.Fail || !c.TimedOut || !strings.Contains(c.Summary, "timed out after") {
		t.Errorf("got %+v", c)
	}
	if c.Duration < 20*time.Millisecond || c.Started.IsZero() {
		t.Errorf("timing not recorded: %+v", c)
	}
}

func TestRunStepErrorAndMissingVerdict(t *testing.T) {
	c := runStep(context.Background(), nil, step{"bench", 0, func(context.Context, *report.Check) error { return errors.New("dial tcp: refused") }})
	if c.Verdict != report.Error || c.Summary != "dial tcp: refused" {
		t.Errorf("got %+v", c)
	}
	c = runStep(context.Background(), nil, step{"bench", 0, func(context.Context, *report.Check) error { return nil }})
	if c.Verdict != report.Error {
		t.Errorf("a check that decides nothing must not pass: %+v", c)
	}
}

func TestPolicyIsStricterInProduction(t *testing.T) {
	stage, err := PolicyFor("stage")
	if err != nil {
		t.Fatal(err)
	}
	prod, err := PolicyFor("production")
	if err != nil {
		t.Fatal(err)
	}
	if !(prod.MaxP95 < stage.MaxP95 && prod.MaxP99 < stage.MaxP99 && prod.MaxErrorRate < stage.MaxErrorRate && prod.MinThroughputOfRate > stage.MinThroughputOfRate) {
		t.Errorf("prod must be strict: stage %s / prod %s", stage, prod)
	}
	if _, err := PolicyFor("dev"); err == nil {
		t.Error("unknown environment")
	}
}

func TestBenchTimeoutFitsALongerBenchmark(t *testing.T) {
	p, _ := PolicyFor("stage")
	if got := p.benchTimeout(); got != p.BenchTimeout {
		t.Errorf("the policy's own benchmark fits its timeout: got %s, want %s", got, p.BenchTimeout)
	}
	p.BenchDuration = 5 * time.Minute // --bench-duration=5m
	if got := p.benchTimeout(); got <= p.BenchDuration+p.BenchRequestTimeout {
		t.Errorf("a 5m benchmark would be cut by a %s timeout", got)
	}
}

func TestParseChecks(t *testing.T) {
	if got, err := ParseChecks(""); err != nil || !slices.Equal(got, AllChecks) {
		t.Errorf("empty: %v %v, want every check", got, err)
	}
	if got, err := ParseChecks(" rollout, health ,"); err != nil || !slices.Equal(got, []string{CheckRollout, CheckHealth}) || !NeedsAWS(got) {
		t.Errorf("rollout,health: %v %v", got, err)
	}
	if _, err := ParseChecks("rollout,preflight"); err == nil || !strings.Contains(err.Error(), `unknown check "preflight": choose from rollout,status,health,integration,bench`) {
		t.Errorf("preflight is not selectable: %v", err)
	}
	if NeedsAWS([]string{CheckHealth, CheckBench}) {
		t.Error("health and bench need no AWS")
	}
}

func TestRunStepDoesNotRepeatATimeoutTheCheckReported(t *testing.T) {
	c := runStep(context.Background(), nil, step{"rollout", 30 * time.Millisecond, func(ctx context.Context, c *report.Check) error {
		<-ctx.Done()
		c.Verdict, c.TimedOut, c.Summary = report.Fail, true, "timed-out: the rollout did not settle"
		return nil
	}})
	if c.Summary != "timed-out: the rollout did not settle" || !c.TimedOut {
		t.Errorf("got %q", c.Summary)
	}
	c = runStep(context.Background(), nil, step{"health", 30 * time.Millisecond, func(ctx context.Context, c *report.Check) error {
		<-ctx.Done()
		c.Verdict, c.Summary = report.Fail, "GET /health: HTTP 503"
		return nil
	}})
	if c.Summary != "timed out after 30ms: GET /health: HTTP 503" {
		t.Errorf("a sub-second timeout is named in ms: %q", c.Summary)
	}
}
