package report

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func sample() *Report {
	t0 := time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)
	r := &Report{
		Environment: "stage",
		Target:      Target{Cluster: "credex-cluster-staging", Service: "credex-core-service-staging", TaskDefinition: "arn:aws:ecs:af-south-1:000000000000:task-definition/credex-core-staging:7", URL: "https://api.example", Revision: "abc123", Account: "000000000000", Region: "af-south-1"},
		Started:     t0, Finished: t0.Add(42 * time.Second),
	}
	r.Add(Check{Name: "preflight", Verdict: Pass, Summary: "account 000000000000", Duration: 120 * time.Millisecond})
	r.Add(Check{Name: "rollout", Verdict: Fail, Summary: "rolled back to credex-core-staging:6 | circuit breaker", Duration: 31 * time.Second,
		Evidence: []string{"task 1a2b stopped: Essential container in task exited (exit code 1)", "log: Error: NEO4J_PASSWORD=hunter22 missing db", "```inject```"}})
	r.Add(Check{Name: "integration", Verdict: Fail, Summary: "2 of 10 tests failed",
		Tests: &TestSuite{Format: "tap", Total: 10, Passed: 8, Failed: 2, Failures: []TestFailure{{Name: "GET /member | auth", Message: "expected 200\ngot 401"}, {Name: "POST /offer", Message: "timeout"}}}})
	r.Add(Check{Name: "bench", Verdict: Pass, Summary: "p95 12.0 ms",
		Benchmark: &Benchmark{Requests: 3000, Errors: 3, Duration: 30 * time.Second, Rate: 100, Throughput: 99.9, ErrorRate: 0.001,
			P50: 5 * time.Millisecond, P95: 12 * time.Millisecond, P99: 20 * time.Millisecond, Max: 95 * time.Millisecond, Mean: 6 * time.Millisecond,
			StatusCodes: map[int]int64{200: 2997, 0: 1, 503: 2}, Thresholds: &BenchThreshold{MaxP95: 500 * time.Millisecond, MaxErrorRate: 0.01}}})
	r.Add(Check{Name: "health", Verdict: Skip, Summary: "skipped: the rollout failed"})
	return r
}

func TestOverallVerdict(t *testing.T) {
	r := &Report{}
	if r.OK() || r.Verdict != Skip {
		t.Errorf("empty report: %s", r.Verdict)
	}
	r.Add(Check{Name: "a", Verdict: Pass})
	r.Add(Check{Name: "b", Verdict: Skip})
	if !r.OK() {
		t.Errorf("pass+skip should pass: %s", r.Verdict)
	}
	r.Add(Check{Name: "c", Verdict: Error})
	if r.Verdict != Error {
		t.Errorf("with an error: %s", r.Verdict)
	}
	r.Add(Check{Name: "d", Verdict: Fail})
	r.Add(Check{Name: "e", Verdict: Error})
	if r.Verdict != Fail || r.OK() {
		t.Errorf("a failure dominates: %s", r.Verdict)
	}
	if r.Find("c") == nil || r.Find("zz") != nil {
		t.Error("Find")
	}
}

func TestNotApplicableIsNeitherPassedNorFailed(t *testing.T) {
	r := &Report{Environment: "local"}
	r.Add(Check{Name: "rollout", Verdict: NotApplicable, Summary: "not applicable: local runs no ECS deployment"})
	if r.OK() || r.Verdict != Skip {
		t.Errorf("only n/a checks: verdict %s, want skip (nothing was verified)", r.Verdict)
	}
	if NotApplicable.Failed() {
		t.Error("n/a must not fail a verification")
	}
	r.Add(Check{Name: "health", Verdict: Pass, Summary: "GET /health: 200"})
	if !r.OK() {
		t.Errorf("n/a + pass: verdict %s, want pass", r.Verdict)
	}
	md := r.Markdown()
	for _, want := range []string{
		"## ✅ Verification passed: local",
		"| rollout | ➖ n/a | – | not applicable: local runs no ECS deployment |",
		"| health | ✅ pass | – | GET /health: 200 |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q\n%s", want, md)
		}
	}
	if strings.Contains(md, "### ") {
		t.Errorf("an n/a check has no details section:\n%s", md)
	}
	js, err := r.JSON()
	if err != nil || !strings.Contains(string(js), `"verdict": "n/a"`) {
		t.Errorf("JSON verdict of an n/a check: %v\n%s", err, js)
	}
}

func TestMarkdownReadsWell(t *testing.T) {
	r := sample()
	r.Redact("abc123-secret-token")
	md := r.Markdown()
	for _, want := range []string{
		"## ❌ Verification failed: stage",
		"| Cluster | `credex-cluster-staging` |",
		"| Task definition | `arn:aws:ecs:af-south-1:000000000000:task-definition/credex-core-staging:7` |",
		"| Took | 42s |",
		"| Check | Verdict | Duration | Summary |",
		"| preflight | ✅ pass | 120ms | account 000000000000 |",
		`| rollout | ❌ fail | 31s | rolled back to credex-core-staging:6 \| circuit breaker |`,
		"| health | ⏭️ skip | – | skipped: the rollout failed |",
		"### Benchmark (bench)",
		"| measured | 5.0 ms | 12.0 ms | 20.0 ms | 95.0 ms | 6.0 ms | 99.9 req/s | 0.10% | 3000 (3 errors) |",
		"| threshold | – | ≤ 500.0 ms | – | – | – | – | ≤ 1.00% | – |",
		"Status codes: no response × 1 200 × 2997 503 × 2.",
		"### ❌ rollout: fail",
		"task 1a2b stopped: Essential container in task exited (exit code 1)",
		"10 tests (tap): 8 passed, 2 failed, 0 skipped.",
		`| GET /member \| auth | expected 200<br>got 401 |`,
	} {
		if !strings.Contains(md, want) {
			t.Errorf("markdown lacks %q\n%s", want, md)
		}
	}
	if strings.Contains(md, "hunter22") {
		t.Errorf("markdown leaks a password from a log line:\n%s", md)
	}
	if strings.Count(md, "```") != 2 {
		t.Errorf("evidence must not break out of its code block:\n%s", md)
	}
	if strings.Contains(md, "### ✅") || strings.Contains(md, "### ⏭️") {
		t.Errorf("only failed checks get a details section:\n%s", md)
	}
}

func TestJSONForMachines(t *testing.T) {
	r := sample()
	r.Redact("super-secret-value")
	r.Checks[0].Evidence = []string{"key super-secret-value in <html>", "AKIAABCDEFGHIJKLMNOP used"}
	b, err := r.JSON()
	if err != nil {
		t.Fatal(err)
	}
	var got struct {
		Environment string `json:"environment"`
		Verdict     string `json:"verdict"`
		Checks      []struct {
			Name            string   `json:"name"`
			Verdict         string   `json:"verdict"`
			DurationSeconds float64  `json:"durationSeconds"`
			Evidence        []string `json:"evidence"`
			Benchmark       *struct {
				P95Ns int64 `json:"p95Ns"`
			} `json:"benchmark"`
		} `json:"checks"`
	}
	if err := json.Unmarshal(b, &got); err != nil {
		t.Fatal(err)
	}
	if got.Environment != "stage" || got.Verdict != "fail" || len(got.Checks) != 5 {
		t.Fatalf("got %+v", got)
	}
	if got.Checks[1].DurationSeconds != 31 || got.Checks[3].Benchmark == nil || got.Checks[3].Benchmark.P95Ns != int64(12*time.Millisecond) {
		t.Errorf("figures: %+v", got.Checks)
	}
	s := string(b)
	for _, leak := range []string{"super-secret-value", "hunter22", "AKIAABCDEFGHIJKLMNOP"} {
		if strings.Contains(s, leak) {
			t.Errorf("JSON leaks %q", leak)
		}
	}
	if r.Checks[0].Evidence[0] != "key super-secret-value in <html>" {
		t.Error("redaction must not modify the report itself")
	}
}

func TestRedactPatterns(t *testing.T) {
	r := &Report{}
	for in, want := range map[string]string{
		"Authorization: Bearer eyJhbGciOi.abc.def": "Authorization: Bearer ***",
		"password=hunter2 user=bob":                "password=*** user=bob",
		`{"apiKey": "k-123456"}`:                   `{"apiKey": "***"}`,
		"bolt://neo4j:pa55word@db.example:7687":    "bolt://neo4j:***@db.example:7687",
		"ASIAABCDEFGHIJKLMNOP":                     "***",
		"tokens left: 5":                           "tokens left: 5",
	} {
		if got := r.Mask(in); got != want {
			t.Errorf("redact(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestAppendStepSummary(t *testing.T) {
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	if wrote, err := AppendStepSummary("x"); wrote || err != nil {
		t.Errorf("unset: %v %v", wrote, err)
	}
	path := filepath.Join(t.TempDir(), "summary.md")
	os.WriteFile(path, []byte("earlier step\n"), 0o644)
	t.Setenv("GITHUB_STEP_SUMMARY", path)
	if wrote, err := AppendStepSummary(sample().Markdown()); !wrote || err != nil {
		t.Fatalf("%v %v", wrote, err)
	}
	b, _ := os.ReadFile(path)
	if !strings.HasPrefix(string(b), "earlier step\n## ❌ Verification failed") {
		t.Errorf("must append:\n%s", b)
	}
}

// Notes are shown whatever the check's verdict (a passing check's evidence
// is not), masked like the rest.
func TestNotesAreListedForEveryVerdict(t *testing.T) {
	r := &Report{Environment: "stage"}
	r.Add(Check{Name: "rollout", Verdict: Pass, Summary: "completed", Notes: []string{"AWS throttled 2 requests (ECS DescribeServices × 2): the SDK retried 1 of 4 calls 2 times, over 2.2s in all"}})
	r.Add(Check{Name: "status", Verdict: Pass, Summary: "2/2 running", Notes: []string{"2 target(s) of the previous deployment draining", "token=abcd1234efgh"}})
	r.Add(Check{Name: "health", Verdict: Pass, Summary: "200"})
	md := r.Markdown()
	want := "\n### Notes\n\n" +
		"- **rollout**: AWS throttled 2 requests (ECS DescribeServices × 2): the SDK retried 1 of 4 calls 2 times, over 2.2s in all\n" +
		"- **status**: 2 target(s) of the previous deployment draining\n" +
		"- **status**: token=***\n"
	if !strings.Contains(md, want) {
		t.Fatalf("markdown lacks\n%s\nin\n%s", want, md)
	}
	js, err := r.JSON()
	if err != nil || !strings.Contains(string(js), `"notes": [`) || strings.Contains(string(js), "abcd1234efgh") {
		t.Fatalf("json: %v\n%s", err, js)
	}
	if md := (&Report{Checks: []Check{{Name: "health", Verdict: Pass}}}).Markdown(); strings.Contains(md, "Notes") {
		t.Fatalf("no notes, no section:\n%s", md)
	}
}
