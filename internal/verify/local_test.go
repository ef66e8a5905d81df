package verify

import (
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

type passingSuite struct{}

func (passingSuite) Run(context.Context, string) (integration.Output, error) {
	return integration.Output{Raw: []byte("TAP version 13\nok 1 - GET /health\n1..1\n# tests 1\n# pass 1\n# fail 0\n")}, nil
}

func TestLocalReportsAWSChecksAsNotApplicable(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok","revision":"0123456789abcdef"}`))
	}))
	defer app.Close()
	local, _ := envs.Lookup("local")
	p, err := PolicyFor("local")
	if err != nil {
		t.Fatal(err)
	}
	p.BenchDuration = 300 * time.Millisecond // a --bench-duration override must survive the defaults
	// No AWS config at all: a preflight, rollout or status would error.
	rep := Run(context.Background(), Config{
		Env: local, Policy: p, Integration: passingSuite{},
		Target: report.Target{URL: app.URL, Revision: "0123456789abcdef"},
	})
	if !rep.OK() {
		t.Fatalf("verdict %s:\n%s", rep.Verdict, rep.Markdown())
	}
	var names []string
	for _, c := range rep.Checks {
		names = append(names, c.Name+"="+string(c.Verdict))
	}
	want := "preflight=n/a rollout=n/a status=n/a health=pass integration=pass bench=pass"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("checks %s\nwant   %s", got, want)
	}
	if b := rep.Find(CheckBench).Benchmark; b == nil || b.Duration > 5*time.Second {
		t.Errorf("the bench ran the policy's default instead of the 300ms override: %+v", b)
	}
	if rep.Target.Cluster != "" || rep.Target.Service != "" || rep.Target.Account != "" {
		t.Errorf("a local report names no ECS cluster, service or account: %+v", rep.Target)
	}
	md := rep.Markdown()
	for _, line := range []string{
		"## ✅ Verification passed: local",
		"| rollout | ➖ n/a | – | not applicable: local starts the app as a Dagger service, not an ECS deployment: there is no rollout to watch |",
		"| status | ➖ n/a | – | not applicable: local has no ECS service whose running and desired counts to compare |",
	} {
		if !strings.Contains(md, line) {
			t.Errorf("markdown lacks %q\n%s", line, md)
		}
	}
}

func TestChecksThatDoNotApplyLocallyAreRefused(t *testing.T) {
	local, _ := envs.Lookup("local")
	stage, _ := envs.Lookup("stage")
	err := CheckApplicable(local, []string{CheckHealth, CheckRollout, CheckStatus})
	if err == nil || err.Error() != "rollout,status do(es) not apply to local (no AWS there): choose from health,integration,bench" {
		t.Errorf("local with rollout,status: %v", err)
	}
	if err := CheckApplicable(local, []string{CheckHealth, CheckBench}); err != nil {
		t.Errorf("local health,bench: %v", err)
	}
	if err := CheckApplicable(stage, AllChecks); err != nil || NotApplicable(stage) != nil {
		t.Errorf("every check applies to stage: %v %v", err, NotApplicable(stage))
	}
}

func TestLocalPolicy(t *testing.T) {
	p, err := PolicyFor("local")
	if err != nil {
		t.Fatal(err)
	}
	stage, _ := PolicyFor("stage")
	if p.RolloutTimeout != 0 || p.StatusTimeout != 0 {
		t.Errorf("local has no rollout or status to time: %+v", p)
	}
	if p.BenchDuration >= stage.BenchDuration || p.MaxErrorRate > stage.MaxErrorRate || p.MaxP95 == 0 || p.MaxP99 == 0 {
		t.Errorf("local: a shorter benchmark than stage, an error budget no looser, latency thresholds set: %+v", p)
	}
	if s := p.String(); !strings.HasPrefix(s, "timeouts: rollout n/a, status n/a, health 2m0s") {
		t.Errorf("String() = %s", s)
	}
}
