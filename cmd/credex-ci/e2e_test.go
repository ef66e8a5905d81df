package main

import (
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/great-sun-group/credex-ci/internal/testbed"
)

// The end-to-end tests run the CLI's own code path (run) against the test
// bed (kumo + the ECS simulator behind one endpoint) and local HTTP servers
// standing in for the app, and assert the verdicts and the evidence a user
// reads.

const revision = testbed.Revision

// app is a local credex-core stand-in.
type app struct {
	*httptest.Server
	requests atomic.Int64
}

func newApp(t *testing.T, health http.HandlerFunc) *app {
	a := &app{}
	mux := http.NewServeMux()
	mux.HandleFunc("/health", health)
	mux.HandleFunc("/slow", func(w http.ResponseWriter, r *http.Request) {
		time.Sleep(600 * time.Millisecond)
		w.Write([]byte("ok"))
	})
	a.Server = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		a.requests.Add(1)
		mux.ServeHTTP(w, r)
	}))
	t.Cleanup(a.Close)
	return a
}

func healthyApp(t *testing.T) *app {
	return newApp(t, testbed.HealthHandler(revision))
}

// bed starts the test bed, gives the process its credentials and stages a
// deployment of the named scenario.
func bed(t *testing.T, scenario string) (*testbed.Bed, *testbed.Deployment) {
	t.Helper()
	return bedWith(t, scenario, nil)
}

// bedWith is bed with an edit of the scenario's setup.
func bedWith(t *testing.T, scenario string, edit func(*testbed.Setup)) (*testbed.Bed, *testbed.Deployment) {
	t.Helper()
	isolateAWS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	b, err := testbed.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(b.Close)
	setup, err := testbed.Preset(scenario, 100*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&setup)
	}
	d, err := b.Deploy(ctx, setup)
	if err != nil {
		t.Fatal(err)
	}
	return b, d
}

func isolateAWS(t *testing.T) {
	dir := t.TempDir()
	for k, v := range map[string]string{
		"AWS_ACCESS_KEY_ID": testbed.AccessKeyID, "AWS_SECRET_ACCESS_KEY": testbed.SecretAccessKey,
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_ROLE_ARN": "", "AWS_WEB_IDENTITY_TOKEN_FILE": "",
		"AWS_ENDPOINT_URL": "", "AWS_REGION": "", "AWS_EC2_METADATA_DISABLED": "true",
		"AWS_CONFIG_FILE": filepath.Join(dir, "config"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(dir, "credentials"),
	} {
		t.Setenv(k, v)
	}
}

// verifyArgs are the flags of a verification of d on b.
func verifyArgs(t *testing.T, cmd string, b *testbed.Bed, d *testbed.Deployment, a *app, extra ...string) []string {
	args := []string{cmd, "--env=stage", "--aws-endpoint-url=" + b.URL, "--terraform-dir=" + tfDir(t, testbed.AccountID),
		"--cluster=" + d.Cluster, "--service=" + d.Service, "--task-definition=" + d.TaskDefinition,
		"--rollout-timeout=20s", "--health-attempts=2", "--bench-duration=1s", "--bench-rate=20"}
	if a != nil {
		args = append(args, "--api-url="+a.URL, "--revision="+revision)
	}
	return append(args, extra...)
}

// verifyReport runs cmd (verify, watch) on d, with the app a (or none),
// requires the exit code, and returns the Markdown, the progress and the
// JSON report.
func verifyReport(t *testing.T, code int, cmd string, b *testbed.Bed, d *testbed.Deployment, a *app) (out, progress string, r jsonReport) {
	t.Helper()
	path := filepath.Join(t.TempDir(), "r.json")
	got, out, progress := cli(t, verifyArgs(t, cmd, b, d, a, "--report-json="+path)...)
	if got != code {
		t.Fatalf("exit %d, want %d\n%s\n%s", got, code, out, progress)
	}
	return out, progress, readReport(t, path)
}

// jsonReport reads a --report-json file.
type jsonReport struct {
	Verdict string `json:"verdict"`
	Checks  []struct {
		Name     string   `json:"name"`
		Verdict  string   `json:"verdict"`
		Outcome  string   `json:"outcome"`
		Summary  string   `json:"summary"`
		Evidence []string `json:"evidence"`
		Notes    []string `json:"notes"`
		TimedOut bool     `json:"timedOut"`
	} `json:"checks"`
}

func readReport(t *testing.T, path string) jsonReport {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var r jsonReport
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatalf("%v\n%s", err, b)
	}
	return r
}

func (r jsonReport) verdicts() map[string]string {
	m := map[string]string{}
	for _, c := range r.Checks {
		m[c.Name] = c.Verdict
	}
	return m
}

func mustContain(t *testing.T, what, text string, wants ...string) {
	t.Helper()
	for _, w := range wants {
		if !strings.Contains(text, w) {
			t.Errorf("%s lacks %q:\n%s", what, w, text)
		}
	}
}

// The previous deployment's targets drain for the target group's
// deregistration delay (30 s, as in the stack) after a rolling deploy: the
// status check passes, and its note says why they are listed.
func TestVerifyHealthyRolloutPassesEveryCheck(t *testing.T) {
	b, d := bedWith(t, "healthy", func(s *testbed.Setup) { s.DeregistrationDelay = 30 * time.Second })
	a := healthyApp(t)
	out, progress, r := verifyReport(t, exitVerified, "verify", b, d, a)
	want := map[string]string{"preflight": "pass", "rollout": "pass", "status": "pass", "health": "pass", "integration": "skip", "bench": "pass"}
	for name, v := range want {
		if r.verdicts()[name] != v {
			t.Errorf("%s: %s, want %s", name, r.verdicts()[name], v)
		}
	}
	mustContain(t, "report", out, "## ✅ Verification passed: stage", "| rollout | ✅ pass |", "completed: credex-core-staging:2 runs 2/2 tasks",
		"| status | ✅ pass |", "2/2 running, 0 pending; 2 task(s) RUNNING, 2/2 target(s) healthy, 2 of the previous deployment draining (see the notes) |",
		"### Notes\n\n- **status**: 2 target(s) of the previous deployment draining in target group "+path.Base(path.Dir(d.TargetGroupARN))+" (10.0.0.",
		"): the load balancer lets their connections finish for up to 30s (the target group's deregistration delay) before ECS stops them; expected after a rolling deploy\n",
		"build "+revision, "### Benchmark (bench)", "| measured |")
	mustContain(t, "progress", progress, "rollout     watching", "waiting: credex-core-staging:2", "event:")
}

func TestVerifyCircuitBreakerRollback(t *testing.T) {
	b, d := bed(t, "rollback")
	a := healthyApp(t)
	out, _, r := verifyReport(t, exitFailed, "verify", b, d, a)
	v := r.verdicts()
	if v["rollout"] != "fail" || v["status"] != "skip" || v["health"] != "skip" || v["bench"] != "skip" {
		t.Errorf("verdicts %v", v)
	}
	mustContain(t, "report", out, "## ❌ Verification failed: stage", "rolled-back: ", "the circuit breaker rolled back to credex-core-staging:1: deployment ecs-svc/", " of credex-core-staging:2 failed (", "stopped: Essential container in task exited", "exit code 1", "skipped: the rollout did not complete")
	if a.requests.Load() != 0 {
		t.Errorf("the app got %d requests although the rollout failed", a.requests.Load())
	}
}

func TestWatchCrashLoopShowsStopReasonsExitCodesAndLogs(t *testing.T) {
	b, d := bed(t, "crash-loop")
	code, out, progress := cli(t, verifyArgs(t, "watch", b, d, nil)...)
	if code != exitFailed {
		t.Fatalf("exit %d\n%s\n%s", code, out, progress)
	}
	mustContain(t, "report", out, "| rollout | ❌ fail |", "Essential container in task exited", "container credex-core exited 1",
		"log: Error: LedgerSpace unavailable", "NEO_4J_LEDGER_SPACE_BOLT_URL")
	mustContain(t, "progress", progress, "stopped: Essential container in task exited")
}

func TestWatchTimesOutWithExitCode4(t *testing.T) {
	b, d := bed(t, "slow")
	args := append(verifyArgs(t, "watch", b, d, nil), "--rollout-timeout=300ms")
	code, out, progress := cli(t, args...)
	if code != exitTimedOut {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitTimedOut, out, progress)
	}
	mustContain(t, "report", out, "| rollout | ❌ fail |", "timed-out: the rollout of credex-core-staging:2 did not settle",
		"is PRIMARY IN_PROGRESS with 0 of 2 tasks running", "deployment: PRIMARY credex-core-staging:2")
	if strings.Contains(out, "timed out after 0s") {
		t.Errorf("the summary says the timeout twice, rounded to nothing:\n%s", out)
	}
}

func TestWrongAccountIsRefusedBeforeAnythingElse(t *testing.T) {
	b, d := bed(t, "healthy")
	a := healthyApp(t)
	args := verifyArgs(t, "verify", b, d, a)
	for i, arg := range args {
		if strings.HasPrefix(arg, "--terraform-dir=") {
			args[i] = "--terraform-dir=" + tfDir(t, "111122223333")
		}
	}
	code, out, _ := cli(t, args...)
	if code != exitPreflight {
		t.Fatalf("exit %d, want %d\n%s", code, exitPreflight, out)
	}
	mustContain(t, "report", out, "| preflight | ❌ fail |", "account 000000000000", "account 111122223333", "AWS_PROFILE",
		"| rollout | ⏭️ skip |", "| bench | ⏭️ skip |", "the preflight refused")
	if a.requests.Load() != 0 {
		t.Errorf("the app got %d requests after a refused preflight", a.requests.Load())
	}
	if strings.Contains(out, testbed.SecretAccessKey) {
		t.Error("the report leaks the secret access key")
	}
}

func TestHealthFailures(t *testing.T) {
	for name, tc := range map[string]struct {
		handler http.HandlerFunc
		want    []string
	}{
		"500s": {func(w http.ResponseWriter, r *http.Request) { http.Error(w, "neo4j down", 500) },
			[]string{"| health | ❌ fail |", "HTTP 500", "unhealthy after 2 attempt(s)"}},
		"wrong build": {func(w http.ResponseWriter, r *http.Request) {
			w.Write([]byte(`{"status":"ok","build":{"commit":"fedcba9876543210"}}`))
		}, []string{"| health | ❌ fail |", "fedcba9876543210", revision[:12]}},
		"refused": {http.NotFound, nil},
	} {
		t.Run(name, func(t *testing.T) {
			a := newApp(t, tc.handler)
			if name == "refused" {
				a.Close()
				host := strings.TrimPrefix(a.URL, "http://")
				// The URL once, then the cause: not `GET <url>: GET <url>: Get "<url>": dial tcp …`.
				tc.want = []string{"| health | ❌ fail |", "| GET " + a.URL + "/health: dial tcp " + host + ": connect: connection refused; unhealthy after 2 attempt(s) over "}
			}
			code, out, _ := cli(t, "health", "--env=stage", "--api-url="+a.URL, "--revision="+revision, "--health-attempts=2")
			if code != exitFailed {
				t.Fatalf("exit %d\n%s", code, out)
			}
			mustContain(t, "report", out, tc.want...)
		})
	}
}

func TestBenchThresholdViolation(t *testing.T) {
	a := healthyApp(t)
	code, out, _ := cli(t, "bench", "--env=prod", "--api-url="+a.URL, "--bench-paths=/slow", "--bench-duration=1s", "--bench-rate=20")
	if code != exitFailed {
		t.Fatalf("exit %d\n%s", code, out)
	}
	mustContain(t, "report", out, "| bench | ❌ fail |", "p95 latency", "exceeds the 500ms limit", "| threshold | – | ≤ 500.0 ms |")
}

func TestIntegrationFailuresAreListed(t *testing.T) {
	a := healthyApp(t)
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "api.test.mjs"), []byte(`
import { test } from 'node:test';
import assert from 'node:assert/strict';
const api = process.env.API_URL;
test('GET /health answers 200', async () => {
  assert.equal((await fetch(api + '/health')).status, 200);
});
test('GET /members/1 answers 200', async () => {
  assert.equal((await fetch(api + '/members/1')).status, 200, 'member lookup');
});
`), 0o644)
	code, out, _ := cli(t, "verify", "--env=stage", "--checks=integration,health", "--api-url="+a.URL,
		"--integration-dir="+dir, "--integration-command=node --test --test-reporter=tap")
	if code != exitFailed {
		t.Fatalf("exit %d\n%s", code, out)
	}
	mustContain(t, "report", out, "| integration | ❌ fail |", "1 of 2 tests failed", "| health | ✅ pass |",
		"2 tests (tap): 1 passed, 1 failed", "GET /members/1 answers 200", "member lookup")
}

func TestWatchReadsTheTargetFromTerraformOutputs(t *testing.T) {
	b, d := bed(t, "healthy")
	outputs := map[string]any{
		"aws_account_id": testbed.AccountID, "aws_region": b.Region, "cluster_name": d.Cluster, "service_name": d.Service,
		"task_family": "credex-core-staging", "task_definition_arn": d.TaskDefinition, "container_name": d.ContainerName,
		"api_url": "http://127.0.0.1:1", "target_group_arn": d.TargetGroupARN, "ecr_repository_url": "x", "log_group_name": d.LogGroup,
		"log_stream_prefix": d.LogStreamPrefix, "secret_arns": map[string]string{"neo4j": "arn:aws:secretsmanager:af-south-1:000000000000:secret:neo4j_stage_secrets"},
	}
	wrapped := map[string]any{}
	for k, v := range outputs {
		wrapped[k] = map[string]any{"value": v, "sensitive": false, "type": "string"}
	}
	data, _ := json.Marshal(wrapped)
	path := filepath.Join(t.TempDir(), "outputs.json")
	os.WriteFile(path, data, 0o644)
	code, out, progress := cli(t, "watch", "--env=stage", "--aws-endpoint-url="+b.URL, "--terraform-dir="+tfDir(t, testbed.AccountID), "--terraform-outputs="+path)
	if code != exitVerified {
		t.Fatalf("exit %d\n%s\n%s", code, out, progress)
	}
	mustContain(t, "report", out, "| rollout | ✅ pass |", "completed: credex-core-staging:2")

	// Outputs of another account are refused before any call.
	wrapped["aws_account_id"] = map[string]any{"value": "222233334444"}
	data, _ = json.Marshal(wrapped)
	os.WriteFile(path, data, 0o644)
	code, _, errOut := cli(t, "watch", "--env=stage", "--aws-endpoint-url="+b.URL, "--terraform-dir="+tfDir(t, testbed.AccountID), "--terraform-outputs="+path)
	if code != exitUsage || !strings.Contains(errOut, `aws_account_id is "222233334444", want "000000000000"`) {
		t.Errorf("exit %d\n%s", code, errOut)
	}
}

func TestStatusReportsUnhealthyTargets(t *testing.T) {
	b, d := bed(t, "healthy")
	code, out, progress := cli(t, verifyArgs(t, "watch", b, d, nil)...)
	if code != exitVerified {
		t.Fatalf("watch: exit %d\n%s\n%s", code, out, progress)
	}
	b.SetTargetHealth(d.TargetGroupARN, testbed.TargetHealth{State: "unhealthy", Reason: "Target.FailedHealthChecks", Description: "Health checks failed with these codes: [500]"})
	code, out, _ = cli(t, verifyArgs(t, "status", b, d, nil)...)
	if code != exitFailed {
		t.Fatalf("status: exit %d\n%s", code, out)
	}
	mustContain(t, "report", out, "| status | ❌ fail |", "unhealthy", "Health checks failed with these codes: [500]")
}

func TestWatchOtherScenarios(t *testing.T) {
	for scenario, tc := range map[string]struct {
		code int
		want []string
	}{
		"missing":  {exitFailed, []string{"| rollout | ❌ fail |", "service-missing"}},
		"draining": {exitFailed, []string{"| rollout | ❌ fail |", "is DRAINING", "recreate it (terraform apply)"}},
		"breaker-failed": {exitFailed, []string{"| rollout | ❌ fail |", "failed: deployment", "and was not rolled back",
			"rollout FAILED (ECS deployment circuit breaker: tasks failed to start.)", "container credex-core exited 1", "log: Error: LedgerSpace unavailable"}},
	} {
		t.Run(scenario, func(t *testing.T) {
			b, d := bed(t, scenario)
			code, out, progress := cli(t, verifyArgs(t, "watch", b, d, nil)...)
			if code != tc.code {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, tc.code, out, progress)
			}
			mustContain(t, "report", out, tc.want...)
		})
	}
}

func TestCredentialsInTheEnvironmentNeverReachTheReport(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	t.Setenv("AWS_SECRET_ACCESS_KEY", secret)
	a := newApp(t, func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, `{"status":"error","env":["`+secret+`"]}`, 500)
	})
	dir := t.TempDir()
	code, out, progress := cli(t, "health", "--env=stage", "--api-url="+a.URL, "--health-attempts=2", "--report-json="+filepath.Join(dir, "r.json"))
	if code != exitFailed {
		t.Fatalf("exit %d\n%s", code, out)
	}
	js, _ := os.ReadFile(filepath.Join(dir, "r.json"))
	for what, text := range map[string]string{"report": out, "progress": progress, "json": string(js)} {
		if strings.Contains(text, secret) {
			t.Errorf("%s leaks the secret access key:\n%s", what, text)
		}
	}
	mustContain(t, "report", out, "| health | ❌ fail |", "HTTP 500", `last body: {"status":"error","env":["***"]}`)
}

// Throttling the SDK absorbed is said in the report: how many requests AWS
// throttled, how many retries, over how long (the test bed's ECS answers the
// watch's first two DescribeServices with ThrottlingException; the adaptive
// retryer backs off and slows its own calls down for a few seconds).
func TestThrottlingIsExplained(t *testing.T) {
	b, d := bed(t, "throttled")
	out, progress, r := verifyReport(t, exitVerified, "watch", b, d, nil)
	note := regexp.MustCompile(`^AWS throttled 2 requests \(ECS DescribeServices × 2\): the SDK retried 1 of \d+ calls? 2 times, over [0-9.]+m?s in all$`)
	var rollout []string
	for _, c := range r.Checks {
		if c.Name == "rollout" {
			rollout = c.Notes
		} else if len(c.Notes) > 0 {
			t.Errorf("%s: notes %q, want none", c.Name, c.Notes)
		}
	}
	if len(rollout) != 1 || !note.MatchString(rollout[0]) {
		t.Fatalf("rollout notes %q, want one matching %s", rollout, note)
	}
	mustContain(t, "report", out, "| rollout | ✅ pass |", "### Notes\n\n- **rollout**: "+rollout[0]+"\n")
	// While it happens, too: the watch is not silent for no reason.
	mustContain(t, "progress", progress, " rollout     ECS DescribeServices took 3 attempts (AWS throttled it 2 time(s)): the SDK backed off and retried, ")
}

// Someone else deploys a newer revision right after ours: the verification
// is superseded (exit 5), naming the newer task definition, not failed as a
// rollback would be (exit 1).
func TestVerifySupersededByANewerDeployment(t *testing.T) {
	b, d := bed(t, "superseded")
	a := healthyApp(t)
	out, _, r := verifyReport(t, exitSuperseded, "verify", b, d, a)
	if v := r.verdicts(); r.Verdict != "fail" || v["rollout"] != "fail" || v["status"] != "skip" || v["bench"] != "skip" || r.Checks[1].Outcome != "superseded" {
		t.Errorf("verdict %s, checks %+v", r.Verdict, r.Checks)
	}
	mustContain(t, "report", out, "## ⏩ Verification superseded: stage",
		"A newer deployment replaced the one under verification before it settled (see the rollout check): nothing is known to be wrong with it, but it is not what runs.",
		"| rollout | ⏩ superseded |", "| superseded: deployment ecs-svc/", " of credex-core-staging:3 replaced deployment ecs-svc/",
		" of credex-core-staging:2 before it completed: someone deployed while this watch ran.",
		"verify credex-core-staging:3 instead (--task-definition=credex-core-staging:3), or deploy credex-core-staging:2 again; do not roll back",
		"### ⏩ rollout: superseded", "skipped: the rollout did not complete (superseded)")
	if strings.Contains(out, "older revision") || a.requests.Load() != 0 {
		t.Errorf("the newer revision is not older; the app got %d requests\n%s", a.requests.Load(), out)
	}
}
