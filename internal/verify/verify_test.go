package verify

import (
	"bytes"
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/integration"
	"github.com/great-sun-group/credex-ci/internal/report"
)

// tapRunner prints a TAP fixture, as `node --test --test-reporter=tap` would.
type tapRunner struct{ out string }

func (r tapRunner) Run(context.Context, string) (integration.Output, error) {
	return integration.Output{Raw: []byte(r.out), ExitCode: 1}, nil
}

const failingTAP = `TAP version 13
# Subtest: GET /health
ok 1 - GET /health
  ---
  duration_ms: 3.1
  ...
# Subtest: POST /offers
not ok 2 - POST /offers
  ---
  duration_ms: 5.2
  failureType: 'testCodeFailure'
  error: 'expected 201, got 500'
  ...
1..2
# tests 2
# pass 1
# fail 1
`

func TestEveryFailureIsReportedNotOnlyTheFirst(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(30 * time.Millisecond)
		http.Error(w, "down", http.StatusServiceUnavailable)
	}))
	defer app.Close()
	stage, _ := envs.Lookup("stage")
	p, _ := PolicyFor("stage")
	p.HealthAttempts, p.BenchDuration, p.BenchRate = 1, 300*time.Millisecond, 20
	var progress bytes.Buffer
	rep := Run(context.Background(), Config{
		Env: stage, Policy: p, Target: report.Target{URL: app.URL + "/"},
		Checks:      []string{CheckHealth, CheckIntegration, CheckBench},
		Integration: tapRunner{failingTAP}, Progress: &progress,
	})
	if rep.Verdict != report.Fail {
		t.Fatalf("verdict %s", rep.Verdict)
	}
	if rep.Find(CheckPreflight) != nil {
		t.Error("no AWS check selected: no preflight")
	}
	for _, name := range []string{CheckHealth, CheckIntegration, CheckBench} {
		c := rep.Find(name)
		if c == nil || c.Verdict != report.Fail {
			t.Errorf("%s: %+v", name, c)
		}
	}
	if c := rep.Find(CheckIntegration); c.Tests == nil || c.Tests.Failed != 1 || c.Tests.Failures[0].Name != "POST /offers" {
		t.Errorf("integration: %+v", c.Tests)
	}
	if c := rep.Find(CheckBench); c.Benchmark == nil || !strings.Contains(c.Summary, "error rate") {
		t.Errorf("bench: %s %+v", c.Summary, c.Benchmark)
	}
	if c := rep.Find(CheckHealth); !strings.Contains(c.Summary, "503") {
		t.Errorf("health: %s", c.Summary)
	}
	if !strings.Contains(progress.String(), "bench") || !strings.Contains(progress.String(), "integration") {
		t.Errorf("progress:\n%s", progress.String())
	}
}

func TestAPasswordInTheURLReachesNeitherProgressNorReport(t *testing.T) {
	stage, _ := envs.Lookup("stage")
	var progress bytes.Buffer
	rep := Run(context.Background(), Config{
		Env: stage, Target: report.Target{URL: "https://ci:hunter2pass@api.stage.example"},
		Checks: []string{CheckIntegration}, Integration: tapRunner{failingTAP}, Progress: &progress,
	})
	md := rep.Markdown()
	js, err := rep.JSON()
	if err != nil {
		t.Fatal(err)
	}
	for what, text := range map[string]string{"progress": progress.String(), "markdown": md, "json": string(js)} {
		if strings.Contains(text, "hunter2pass") {
			t.Errorf("%s leaks the URL's password:\n%s", what, text)
		}
	}
	if !strings.Contains(progress.String(), "running the integration suite against https://ci:***@api.stage.example") {
		t.Errorf("progress names the masked URL:\n%s", progress.String())
	}
}
