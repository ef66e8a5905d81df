package main

import (
	"bytes"
	"context"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/testbed"
)

// cli runs the command line as a user would and returns the exit code,
// stdout and stderr.
func cli(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	t.Setenv("GITHUB_STEP_SUMMARY", "")
	var stdout, stderr bytes.Buffer
	code := run(context.Background(), args, &stdout, &stderr)
	return code, stdout.String(), stderr.String()
}

func TestHelpNamesCommandsExitCodesAndPolicy(t *testing.T) {
	code, out, _ := cli(t, "help")
	if code != 0 {
		t.Fatalf("exit %d", code)
	}
	for _, want := range []string{"verify", "watch", "status", "health", "bench", "3  preflight refused", "4  timed out", "stage  timeouts:", "prod   timeouts:"} {
		if !strings.Contains(out, want) {
			t.Errorf("help lacks %q", want)
		}
	}
	code, _, errOut := cli(t, "verify", "--help")
	if code != 0 || !strings.Contains(errOut, "-task-definition") || !strings.Contains(errOut, "Exit codes") {
		t.Errorf("verify --help: exit %d\n%s", code, errOut)
	}
}

// The local environment (an app on this machine, no AWS): verify needs no
// task definition or credentials, reports the AWS checks as n/a and exits 0
// when the rest pass; asking for an AWS check there is refused.
func TestVerifyLocalNeedsNoAWS(t *testing.T) {
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Write([]byte(`{"status":"ok","revision":"0123456789abcdef"}`))
	}))
	defer app.Close()
	code, out, errOut := cli(t, "verify", "--env=local", "--api-url="+app.URL, "--revision=0123456789abcdef", "--checks=health")
	if code != exitVerified {
		t.Fatalf("exit %d\n%s\n%s", code, out, errOut)
	}
	for _, want := range []string{"| preflight | ➖ n/a |", "| rollout | ➖ n/a |", "| health | ✅ pass |"} {
		if !strings.Contains(out, want) {
			t.Errorf("report lacks %q:\n%s", want, out)
		}
	}
	// Every check (the default): those that do not apply are n/a.
	code, out, errOut = cli(t, "verify", "--env=local", "--api-url="+app.URL, "--bench-duration=300ms")
	if code != exitVerified || !strings.Contains(out, "| status | ➖ n/a |") || !strings.Contains(out, "| bench | ✅ pass |") {
		t.Errorf("verify --env=local with every check: exit %d\n%s\n%s", code, out, errOut)
	}
	// A check named (by --checks, or by the command) that does not apply.
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"verify", "--checks=rollout"}, "rollout do(es) not apply to local (no AWS there): choose from health,integration,bench"},
		{[]string{"watch"}, "rollout do(es) not apply to local"},
		{[]string{"status"}, "status do(es) not apply to local"},
	} {
		code, _, errOut = cli(t, append(tc.args, "--env=local", "--api-url="+app.URL)...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v on local: exit %d, want %d and %q:\n%s", tc.args, code, exitUsage, tc.want, errOut)
		}
	}
}

func TestBadInputIsRefusedBeforeAnyCallNamingTheFix(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{nil, "Usage:"},
		{[]string{"deploy"}, `unknown command "deploy"`},
		{[]string{"verify"}, "no environment given; pass --env=stage or --env=prod"},
		{[]string{"verify", "--env=dev"}, "use --env=stage or --env=prod"},
		{[]string{"verify", "--env=stage"}, "--task-definition is required"},
		{[]string{"watch", "--env=stage", "credex-core-staging:3"}, "every input is a flag, e.g. --task-definition=credex-core-staging:3"},
		{[]string{"health", "--env=stage"}, "--api-url is required"},
		{[]string{"health", "--env=stage", "--api-url=localhost:8080"}, "not an http(s) URL"},
		{[]string{"verify", "--env=stage", "--task-definition=x:1", "--api-url=http://a", "--checks=rollout,smoke"}, `unknown check "smoke"`},
		{[]string{"verify", "--env=stage", "--task-definition=x:1", "--api-url=http://a", "--integration-dir=/nonexistent"}, "--integration-dir"},
		{[]string{"watch", "--env=stage", "--task-definition=x:1", "--terraform-dir=/nonexistent"}, "--terraform-dir"},
		{[]string{"watch", "--env=stage", "--task-definition=x:1", "--terraform-dir=" + tfDir(t, "000000000000"), "--aws-endpoint-url=127.0.0.1:4566"}, "--aws-endpoint-url=http://"},
		{[]string{"bench", "--env=stage", "--bogus"}, "flag provided but not defined: -bogus"},
	} {
		code, _, errOut := cli(t, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, want %d and %q in:\n%s", tc.args, code, exitUsage, tc.want, errOut)
		}
	}
}

func TestRejectedURLsDoNotEchoTheirPassword(t *testing.T) {
	for _, args := range [][]string{
		{"health", "--env=stage", "--api-url=ftp://deploy:s3cr3t@api.stage.example"},
		{"watch", "--env=stage", "--task-definition=x:1", "--terraform-dir=" + tfDir(t, "000000000000"), "--aws-endpoint-url=ftp://key:s3cr3t@127.0.0.1:4566"},
	} {
		code, out, errOut := cli(t, args...)
		if code != exitUsage || !strings.Contains(errOut, "not an http(s) URL") || strings.Contains(out+errOut, "s3cr3t") {
			t.Errorf("%v: exit %d; the error must refuse the URL without its password:\n%s%s", args, code, out, errOut)
		}
	}
}

// tfDir is a terraform/ directory whose staging tfvars name account.
func tfDir(t *testing.T, account string) string {
	t.Helper()
	dir := t.TempDir()
	if err := testbed.WriteTerraformDir(dir, account, envs.DefaultRegion); err != nil {
		t.Fatal(err)
	}
	return dir
}

func TestHealthCommandAgainstALocalApp(t *testing.T) {
	good := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path != "/health" {
			http.NotFound(w, r)
			return
		}
		w.Header().Set("Content-Type", "application/json")
		w.Write([]byte(`{"status":"ok","build":{"commit":"0123456789abcdef"}}`))
	}))
	defer good.Close()
	dir := t.TempDir()
	code, out, _ := cli(t, "health", "--env=stage", "--api-url="+good.URL, "--revision=0123456789abcdef",
		"--report-json="+filepath.Join(dir, "r.json"), "--report-md="+filepath.Join(dir, "r.md"))
	if code != exitVerified {
		t.Fatalf("exit %d\n%s", code, out)
	}
	if !strings.Contains(out, "## ✅ Verification passed: stage") || !strings.Contains(out, "| health | ✅ pass |") || !strings.Contains(out, "build 0123456789abcdef") {
		t.Errorf("report:\n%s", out)
	}
	var rep struct {
		Verdict string
		Checks  []struct{ Name, Verdict string }
	}
	b, _ := os.ReadFile(filepath.Join(dir, "r.json"))
	if err := json.Unmarshal(b, &rep); err != nil || rep.Verdict != "pass" || len(rep.Checks) != 1 || rep.Checks[0].Name != "health" {
		t.Errorf("json report: %v %s", err, b)
	}
	if md, _ := os.ReadFile(filepath.Join(dir, "r.md")); string(md) != out {
		t.Error("--report-md differs from what was printed")
	}
}
