package main

import (
	"bytes"
	"context"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// syncBuffer is a bytes.Buffer safe to write from the test bed's goroutine
// while the test reads it.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// serveTestbed runs `credex-ci testbed` on free ports until the test ends
// and returns what it printed once the instructions are out.
func serveTestbed(t *testing.T, scenario string, extra ...string) string {
	t.Helper()
	isolateAWS(t)
	ctx, cancel := context.WithCancel(context.Background())
	var stdout, stderr syncBuffer
	done := make(chan int, 1)
	go func() {
		done <- run(ctx, append([]string{"testbed", "--scenario=" + scenario, "--listen=127.0.0.1:0", "--app-listen=127.0.0.1:0", "--registry-listen=127.0.0.1:0", "--step=100ms"}, extra...), &stdout, &stderr)
	}()
	t.Cleanup(func() {
		cancel()
		select {
		case code := <-done:
			if code != exitVerified {
				t.Errorf("testbed exited %d after Ctrl-C\n%s", code, stderr.String())
			}
		case <-time.After(10 * time.Second):
			t.Error("testbed did not stop within 10s of its context's cancellation")
		}
	})
	deadline := time.After(15 * time.Second)
	for !strings.Contains(stdout.String(), "Ctrl-C stops the test bed") {
		select {
		case code := <-done:
			t.Fatalf("testbed exited %d before serving\n%s\n%s", code, stdout.String(), stderr.String())
		case <-deadline:
			t.Fatalf("testbed printed no instructions within 15s\n%s\n%s", stdout.String(), stderr.String())
		case <-time.After(10 * time.Millisecond):
		}
	}
	return stdout.String()
}

// printedCommand parses the command the test bed told the person to run:
// it sets the environment variables and returns the CLI arguments.
func printedCommand(t *testing.T, printed string) []string {
	t.Helper()
	_, cmd, ok := strings.Cut(printed, "In a second terminal, run:")
	if !ok {
		t.Fatalf("no command in:\n%s", printed)
	}
	cmd, _, _ = strings.Cut(strings.TrimSpace(cmd), "\n\n")
	var args []string
	for _, word := range strings.Fields(strings.ReplaceAll(cmd, "\\\n", " ")) {
		switch {
		case strings.HasPrefix(word, "AWS_"):
			k, v, _ := strings.Cut(word, "=")
			t.Setenv(k, v)
		case word == "verify" || strings.HasPrefix(word, "--"):
			args = append(args, word)
		}
	}
	if len(args) == 0 || args[0] != "verify" {
		t.Fatalf("printed command %q does not run verify", cmd)
	}
	return args
}

func TestTestbedServesWhatItsPrintedVerifyCommandChecks(t *testing.T) {
	for _, tc := range []struct {
		scenario string
		code     int
		want     []string
	}{
		{"healthy", exitVerified, []string{"## ✅ Verification passed: stage", "| rollout | ✅ pass |", "| health | ✅ pass |", "| bench | ✅ pass |"}},
		{"rollback", exitFailed, []string{"## ❌ Verification failed: stage", "rolled-back: ", "the circuit breaker rolled back to credex-core-staging:1: deployment ecs-svc/", " of credex-core-staging:2 failed (", "| health | ⏭️ skip |"}},
		{"superseded", exitSuperseded, []string{"## ⏩ Verification superseded: stage", "| rollout | ⏩ superseded |", "of credex-core-staging:3 replaced deployment ecs-svc/", "| health | ⏭️ skip |"}},
	} {
		t.Run(tc.scenario, func(t *testing.T) {
			printed := serveTestbed(t, tc.scenario)
			mustContain(t, "instructions", printed, "not AWS", "AWS_ACCESS_KEY_ID=", "go run ./cmd/credex-ci", "--task-definition=credex-core-staging:2", "--revision=")
			tfdir := ""
			args := printedCommand(t, printed)
			for _, a := range args {
				if v, ok := strings.CutPrefix(a, "--terraform-dir="); ok {
					tfdir = v
				}
			}
			if _, err := os.Stat(filepath.Join(tfdir, "environments", "staging.tfvars")); err != nil {
				t.Fatalf("the printed --terraform-dir: %v", err)
			}
			code, out, progress := cli(t, append(args, "--bench-duration=1s", "--health-attempts=3")...)
			if code != tc.code {
				t.Fatalf("verify: exit %d, want %d\n%s\n%s", code, tc.code, out, progress)
			}
			mustContain(t, "report", out, tc.want...)
		})
	}
}

func TestTestbedRefusesBadFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"testbed", "--scenario=explode"}, `unknown scenario "explode": choose one of`},
		{[]string{"testbed", "--listen=4566"}, `--listen "4566" is not host:port`},
		{[]string{"testbed", "rollback"}, "--scenario=rollback"},
		{[]string{"testbed", "--step=0s"}, "--step must be positive"},
	} {
		code, _, errOut := cli(t, tc.args...)
		if code != exitUsage || !strings.Contains(errOut, tc.want) {
			t.Errorf("%v: exit %d, want %d and %q in:\n%s", tc.args, code, exitUsage, tc.want, errOut)
		}
	}
	code, _, errOut := cli(t, "testbed", "--help")
	mustContain(t, "testbed --help", errOut, "NOT for AWS", "crash-loop", "rollback", "-listen", "-app-listen")
	if code != exitVerified {
		t.Errorf("testbed --help: exit %d", code)
	}
}

func TestTestbedReportsATakenAddress(t *testing.T) {
	printed := serveTestbed(t, "healthy")
	_, rest, _ := strings.Cut(printed, "--aws-endpoint-url=http://")
	addr, _, _ := strings.Cut(rest, " ")
	code, _, errOut := cli(t, "testbed", "--listen="+addr, "--app-listen=127.0.0.1:0", "--registry-listen=127.0.0.1:0")
	if code != exitFailed {
		t.Fatalf("exit %d, want %d\n%s", code, exitFailed, errOut)
	}
	mustContain(t, "error", errOut, "listening on "+addr, "pick another host:port")
}
