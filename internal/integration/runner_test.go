package integration

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// nodeApp writes a tiny app whose test:integration script runs node's test
// runner with the TAP reporter against API_URL, like credex-core's suite.
func nodeApp(t *testing.T, script string) string {
	t.Helper()
	if _, err := exec.LookPath("npm"); err != nil {
		t.Skip("npm is not installed")
	}
	dir := t.TempDir()
	files := map[string]string{
		"package.json": `{"name":"credex-core","version":"1.0.0","private":true,"scripts":{"test:integration":"` + script + `"}}`,
		"tests/health.test.mjs": `import { test } from 'node:test';
import assert from 'node:assert/strict';
test('GET /health answers ok', async () => {
  const res = await fetch(process.env.API_URL + '/health');
  assert.equal(res.status, 200);
  assert.equal((await res.json()).status, 'ok');
});
test('GET /missing answers 404', async () => {
  const res = await fetch(process.env.API_URL + '/missing');
  assert.equal(res.status, 404);
});
`,
	}
	for name, body := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

func api(t *testing.T, healthStatus string) string {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			http.NotFound(w, r)
			return
		}
		fmt.Fprintf(w, `{"status":%q}`, healthStatus)
	}))
	t.Cleanup(srv.Close)
	return srv.URL
}

func TestCommandRunnerAgainstAHealthyAPI(t *testing.T) {
	r := CommandRunner{Dir: nodeApp(t, "node --test --test-reporter=tap tests/")}
	out, err := r.Run(context.Background(), api(t, "ok"))
	if err != nil {
		t.Fatal(err)
	}
	s, perr := Parse(out.Raw)
	ok, problems := Evaluate(out, s, perr)
	if !ok || s.Total != 2 || out.ExitCode != 0 {
		t.Fatalf("want 2 passing tests, got ok=%v %v suite=%+v\n%s%s", ok, problems, s, out.Raw, out.Log)
	}
	if !strings.Contains(string(out.Raw), "> credex-core@1.0.0 test:integration") {
		t.Errorf("expected npm's banner in the raw output (the parser must skip it)")
	}
}

func TestCommandRunnerReportsFailures(t *testing.T) {
	r := CommandRunner{Dir: nodeApp(t, "node --test --test-reporter=tap tests/")}
	out, err := r.Run(context.Background(), api(t, "degraded"))
	if err != nil {
		t.Fatal(err)
	}
	s, perr := Parse(out.Raw)
	ok, problems := Evaluate(out, s, perr)
	if ok || out.ExitCode == 0 || s.Failed != 1 || !strings.Contains(strings.Join(problems, "|"), "failed: GET /health answers ok") {
		t.Fatalf("want one failure, got ok=%v exit=%d %v", ok, out.ExitCode, problems)
	}
}

func TestCommandRunnerReadsAJUnitReportFile(t *testing.T) {
	dir := nodeApp(t, "node --test --test-reporter=junit --test-reporter-destination=reports/junit.xml tests/")
	if err := os.MkdirAll(filepath.Join(dir, "reports"), 0o755); err != nil {
		t.Fatal(err)
	}
	r := CommandRunner{Dir: dir, ReportFile: "reports/junit.xml"}
	out, err := r.Run(context.Background(), api(t, "ok"))
	if err != nil {
		t.Fatal(err)
	}
	s, perr := Parse(out.Raw)
	if ok, problems := Evaluate(out, s, perr); !ok || s.Format != FormatJUnit || s.Total != 2 {
		t.Fatalf("want 2 passing JUnit tests, got %v %+v", problems, s)
	}
}

func TestCommandRunnerErrorsNameTheFix(t *testing.T) {
	dir := t.TempDir()
	_, err := CommandRunner{Dir: dir, Command: []string{"no-such-test-tool", "--ci"}}.Run(context.Background(), "http://127.0.0.1:1")
	// Each part of the context once: the command, the directory, the cause.
	want := `integration tests: running "no-such-test-tool --ci" in ` + dir + `: executable file not found in $PATH (is it installed, and the app's dependencies with npm ci?)`
	if err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	if _, err := (CommandRunner{}).Run(context.Background(), ""); err == nil {
		t.Fatal("want an error for an empty URL")
	}
}

// A suite that outlives its timeout through a child process (npm's test
// runner, here sleep) must not keep Run waiting on the output pipes.
func TestCommandRunnerTimeoutDoesNotWaitForGrandchildren(t *testing.T) {
	if _, err := exec.LookPath("sh"); err != nil {
		t.Skip("no sh")
	}
	defer func(d time.Duration) { waitDelay = d }(waitDelay)
	waitDelay = 100 * time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	dir := t.TempDir()
	_, err := CommandRunner{Dir: dir, Command: []string{"sh", "-c", "sleep 30; echo done"}}.Run(ctx, "http://127.0.0.1:1")
	if want := `integration tests: "sh -c sleep 30; echo done" in ` + dir + ` was stopped: context deadline exceeded`; err == nil || err.Error() != want {
		t.Fatalf("err = %v\nwant  %s", err, want)
	}
	if d := time.Since(start); d > 10*time.Second {
		t.Fatalf("Run returned after %s: it waited for the orphaned child", d)
	}
}
