//go:build e2e

// Package e2e drives the credex-ci module the way its users do: through the
// pinned Dagger CLI (v0.21.8), as `dagger --progress=plain call -m <repo
// root> ...`, asserting exit codes and what the person reads on stdout and
// stderr. No GraphQL query is written here: the CLI builds its queries from
// the engine's own schema, so no query shape goes unchecked.
//
// This file is the shared harness; each concern has its own file
// (build_test.go, deploy_test.go, local_test.go, ...). Run from ci/:
//
//	go test -tags e2e -count=1 -v -timeout 60m ./e2e/
//
// The CLI starts its own engine (it needs Docker or another container
// runtime). Without a CLI, or with one that is not v0.21.8, every test skips
// and says why. The environment tunes a run:
//
//	CREDEX_CI_E2E_DAGGER           the CLI to run (default: dagger on PATH)
//	CREDEX_CI_E2E_NODE_IMAGE       passed as --node-image (a mirror of the Node image)
//	CREDEX_CI_E2E_TERRAFORM_IMAGE  passed as --terraform-image (a mirror of the Terraform image)
//	CREDEX_CI_E2E_NEO4J_IMAGE      passed as --neo4j-image (a mirror of the Neo4j image, for --env=local)
//	CREDEX_CI_E2E_TIMEOUT          the longest one CLI run may take (Go duration, default 20m)
package e2e

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/great-sun-group/credex-ci/internal/testbed"
)

// daggerVersion is the CLI version the module is written for (dagger.json's
// engineVersion); Dagger 1.0 renames `dagger call`, so no other runs.
const daggerVersion = "v0.21.8"

// The environment variables that tune a run (see the package comment).
const (
	envDaggerCLI      = "CREDEX_CI_E2E_DAGGER"
	envNodeImage      = "CREDEX_CI_E2E_NODE_IMAGE"
	envTerraformImage = "CREDEX_CI_E2E_TERRAFORM_IMAGE"
	envNeo4jImage     = "CREDEX_CI_E2E_NEO4J_IMAGE"
	envTimeout        = "CREDEX_CI_E2E_TIMEOUT"
)

// defaultTimeout bounds one CLI run when CREDEX_CI_E2E_TIMEOUT is unset: a
// cold engine pulls images and runs npm ci in several stages.
const defaultTimeout = 20 * time.Minute

// run is one finished CLI run.
type run struct {
	// Args are the CLI's arguments, after the executable.
	Args []string
	// ExitCode is the CLI's exit code (-1 when it was killed).
	ExitCode int
	// Stdout holds the function's result as the CLI prints it.
	Stdout string
	// Stderr holds the progress (--progress=plain) and the error a person
	// reads.
	Stderr string
}

// Output is stdout and stderr together, for asserting on a message
// wherever the CLI printed it.
func (r run) Output() string { return r.Stdout + "\n" + r.Stderr }

// String describes the run for a failing test: the command, its exit code,
// its result and the end of its progress.
func (r run) String() string {
	return fmt.Sprintf("`dagger %s` exited %d\n--- stdout\n%s\n--- stderr (last 60 lines)\n%s",
		strings.Join(r.Args, " "), r.ExitCode, r.Stdout, tail(r.Stderr, 60))
}

// tail is the last n lines of s.
func tail(s string, n int) string {
	lines := strings.Split(strings.TrimRight(s, "\n"), "\n")
	if len(lines) > n {
		lines = append([]string{fmt.Sprintf("... (%d lines before)", len(lines)-n)}, lines[len(lines)-n:]...)
	}
	return strings.Join(lines, "\n")
}

// opts tunes one CLI run.
type opts struct {
	// Env is added to the CLI's environment (KEY=value), e.g. the AWS
	// credentials an env:// secret names.
	Env []string
	// Timeout overrides CREDEX_CI_E2E_TIMEOUT for this run.
	Timeout time.Duration
	// Stdin is the CLI's standard input; nil means none.
	Stdin io.Reader
}

// call runs `dagger --progress=plain call -m <repo root> <mirror flags>
// args...` from the repository root, as a person would type it there:
// relative paths in args (--source=examples/ledger-api) are relative to the
// root. The mirror flags are --node-image, --terraform-image and
// --neo4j-image when CREDEX_CI_E2E_NODE_IMAGE, CREDEX_CI_E2E_TERRAFORM_IMAGE
// or CREDEX_CI_E2E_NEO4J_IMAGE are set; they
// are constructor flags, so args start with further constructor flags or
// with the function.
func call(t *testing.T, args ...string) run {
	t.Helper()
	return callWith(t, opts{}, args...)
}

// callWith is call with options.
func callWith(t *testing.T, o opts, args ...string) run {
	t.Helper()
	return daggerWith(t, o, callArgs(t, args)...)
}

// dagger runs any CLI command (`check`, `functions`, ...) from the
// repository root with --progress=plain, e.g. dagger(t, "check").
func dagger(t *testing.T, args ...string) run {
	t.Helper()
	return daggerWith(t, opts{}, args...)
}

// daggerWith is dagger with options.
func daggerWith(t *testing.T, o opts, args ...string) run {
	t.Helper()
	return execCLI(t, daggerCLI(t), o, args)
}

// execCLI runs cli --progress=plain args... from the repository root and
// waits for it, within the run timeout.
func execCLI(t *testing.T, cli string, o opts, args []string) run {
	t.Helper()
	timeout := o.Timeout
	if timeout == 0 {
		timeout = runTimeout(t)
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	full := append([]string{"--progress=plain"}, args...)
	cmd := command(ctx, t, cli, o, full)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	t.Logf("$ dagger %s", strings.Join(full, " "))
	start := time.Now()
	err := cmd.Run()
	r := run{Args: full, Stdout: stdout.String(), Stderr: stderr.String(), ExitCode: exitCode(err)}
	if ctx.Err() != nil {
		t.Fatalf("timed out after %s (raise %s):\n%s", timeout, envTimeout, r)
	}
	var exitErr *exec.ExitError
	if err != nil && !errors.As(err, &exitErr) {
		t.Fatalf("could not run %s: %v", cli, err)
	}
	t.Logf("exit %d after %s", r.ExitCode, time.Since(start).Round(time.Second))
	return r
}

// callArgs are the arguments of a `dagger call` of the module at the
// repository root, with the mirror flags.
func callArgs(t *testing.T, args []string) []string {
	full := []string{"call", "-m", repoRoot(t)}
	full = append(full, mirrorFlags()...)
	return append(full, args...)
}

// mirrorFlags are the constructor flags that point the module at image
// mirrors, from the environment.
func mirrorFlags() []string {
	var flags []string
	if image := os.Getenv(envNodeImage); image != "" {
		flags = append(flags, "--node-image="+image)
	}
	if image := os.Getenv(envTerraformImage); image != "" {
		flags = append(flags, "--terraform-image="+image)
	}
	if image := os.Getenv(envNeo4jImage); image != "" {
		flags = append(flags, "--neo4j-image="+image)
	}
	return flags
}

// command is the CLI process for args, in the repository root, with the
// environment of the test plus o.Env. Cancelling ctx interrupts it (as
// Ctrl-C would, so the CLI closes its session) and kills it 30s later.
func command(ctx context.Context, t *testing.T, cli string, o opts, args []string) *exec.Cmd {
	cmd := exec.CommandContext(ctx, cli, args...)
	cmd.Dir = repoRoot(t)
	// No update nag: it would add a network call and lines to stderr.
	cmd.Env = append(os.Environ(), "DAGGER_NO_UPDATE_CHECK=1", "DAGGER_NO_NAG=1")
	cmd.Env = append(cmd.Env, o.Env...)
	cmd.Stdin = o.Stdin
	cmd.Cancel = func() error { return cmd.Process.Signal(os.Interrupt) }
	cmd.WaitDelay = 30 * time.Second
	return cmd
}

// exitCode is a finished command's exit code: 0, its code, or -1 when it
// did not exit by itself (killed, or never started).
func exitCode(err error) int {
	if err == nil {
		return 0
	}
	var exitErr *exec.ExitError
	if errors.As(err, &exitErr) {
		if ws, ok := exitErr.Sys().(syscall.WaitStatus); ok && ws.Signaled() {
			return -1
		}
		return exitErr.ExitCode()
	}
	return -1
}

// background is a CLI run that keeps running, such as `... as-service up`.
type background struct {
	cmd    *exec.Cmd
	cancel context.CancelFunc
	out    *syncBuffer
	done   chan struct{}
	err    error
}

// start starts `dagger --progress=plain call -m <root> args...` and leaves
// it running; it is interrupted when the test ends, or by Stop.
func start(t *testing.T, o opts, args ...string) *background {
	t.Helper()
	return startCLI(t, daggerCLI(t), o, callArgs(t, args))
}

// startCLI starts cli --progress=plain args... from the repository root.
func startCLI(t *testing.T, cli string, o opts, args []string) *background {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	full := append([]string{"--progress=plain"}, args...)
	cmd := command(ctx, t, cli, o, full)
	b := &background{cmd: cmd, cancel: cancel, out: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stdout, cmd.Stderr = b.out, b.out
	t.Logf("$ dagger %s &", strings.Join(full, " "))
	if err := cmd.Start(); err != nil {
		cancel()
		t.Fatalf("could not start %s: %v", cli, err)
	}
	go func() {
		b.err = cmd.Wait()
		close(b.done)
	}()
	t.Cleanup(func() {
		b.Stop()
		if t.Failed() {
			t.Logf("`dagger %s` output:\n%s", strings.Join(full, " "), tail(b.Output(), 80))
		}
	})
	return b
}

// Output is what the run printed so far, stdout and stderr interleaved.
func (b *background) Output() string { return b.out.String() }

// Exited reports whether the run has ended (by itself, or stopped).
func (b *background) Exited() bool {
	select {
	case <-b.done:
		return true
	default:
		return false
	}
}

// Stop interrupts the run and waits for it to end.
func (b *background) Stop() {
	b.cancel()
	<-b.done
}

// syncBuffer is a bytes.Buffer safe for a writing process and a reading
// test.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.buf.String()
}

var (
	cliOnce    sync.Once
	cliPath    string
	cliSkipMsg string
)

// daggerCLI is the pinned CLI's path; the test skips when there is no CLI or
// it is not v0.21.8, saying which.
func daggerCLI(t *testing.T) string {
	t.Helper()
	cliOnce.Do(func() { cliPath, cliSkipMsg = findCLI(os.Getenv(envDaggerCLI)) })
	if cliSkipMsg != "" {
		t.Skip(cliSkipMsg)
	}
	return cliPath
}

// versionPattern finds the version in `dagger version`'s output:
// "dagger v0.21.8 (image://registry.dagger.io/engine:v0.21.8) linux/amd64".
var versionPattern = regexp.MustCompile(`^dagger (v\S+) `)

// findCLI returns the CLI to run (name, or dagger on PATH when empty), or
// why the tests skip.
func findCLI(name string) (path, skip string) {
	if name == "" {
		name = "dagger"
	}
	path, err := exec.LookPath(name)
	if err != nil {
		return "", fmt.Sprintf("no Dagger CLI (%s): install %s, e.g. curl -fsSL https://dl.dagger.io/dagger/install.sh | DAGGER_VERSION=%s BIN_DIR=$HOME/.local/bin sh, or set %s",
			name, daggerVersion, strings.TrimPrefix(daggerVersion, "v"), envDaggerCLI)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, path, "version")
	cmd.Env = append(os.Environ(), "DAGGER_NO_UPDATE_CHECK=1")
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Sprintf("`%s version` failed: %v", path, err)
	}
	m := versionPattern.FindStringSubmatch(strings.TrimSpace(string(out)))
	if m == nil {
		return "", fmt.Sprintf("`%s version` printed %q, not `dagger vX.Y.Z ...`", path, strings.TrimSpace(string(out)))
	}
	if m[1] != daggerVersion {
		return "", fmt.Sprintf("%s is Dagger %s; these tests run only with the pinned %s (Dagger 1.0 renames `dagger call`)", path, m[1], daggerVersion)
	}
	return path, ""
}

// runTimeout is the longest one CLI run may take.
func runTimeout(t *testing.T) time.Duration {
	t.Helper()
	v := os.Getenv(envTimeout)
	if v == "" {
		return defaultTimeout
	}
	d, err := time.ParseDuration(v)
	if err != nil || d <= 0 {
		t.Fatalf("%s=%q: want a Go duration such as 30m", envTimeout, v)
	}
	return d
}

var (
	rootOnce sync.Once
	root     string
	rootErr  error
)

// repoRoot is the repository root, which holds dagger.json (the tests run
// from ci/e2e).
func repoRoot(t *testing.T) string {
	t.Helper()
	rootOnce.Do(func() {
		root, rootErr = filepath.Abs(filepath.Join("..", ".."))
		if rootErr == nil {
			if _, err := os.Stat(filepath.Join(root, "dagger.json")); err != nil {
				rootErr = fmt.Errorf("no dagger.json at %s: run the tests from ci/ (go test -tags e2e ./e2e/)", root)
			}
		}
	})
	if rootErr != nil {
		t.Fatal(rootErr)
	}
	return root
}

// freePort is a TCP port free on 127.0.0.1 now, for a service a test
// exposes on the host (`up --ports=PORT:5000`).
func freePort(t *testing.T) int {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("free port: %v", err)
	}
	defer ln.Close()
	return ln.Addr().(*net.TCPAddr).Port
}

// awsTestbed is the in-process AWS test bed (kumo plus our ECS simulator)
// listening on a host port, and the flags that point the module at it.
type awsTestbed struct {
	*testbed.Bed
	// Port is the host port the bed listens on.
	Port int
	// Flags are the constructor flags for the bed: --aws-endpoint as a
	// service on the host, and its credentials as env:// secrets (Env
	// holds their values).
	Flags []string
	// Env is the environment the env:// secrets in Flags read.
	Env []string
}

// startTestbed starts the in-process AWS test bed on a host port, for
// `dagger call --aws-endpoint=tcp://localhost:PORT ...` (inside Dagger,
// 127.0.0.1 is the function's own container: the engine reaches the bed
// through the CLI as a host service). It stops when the test ends.
func startTestbed(t *testing.T) *awsTestbed {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	bed, err := testbed.Start(ctx)
	if err != nil {
		t.Fatalf("start the AWS test bed: %v", err)
	}
	t.Cleanup(bed.Close)
	_, portText, err := net.SplitHostPort(strings.TrimPrefix(bed.URL, "http://"))
	if err != nil {
		t.Fatalf("test bed URL %q: %v", bed.URL, err)
	}
	port, err := strconv.Atoi(portText)
	if err != nil {
		t.Fatalf("test bed port %q: %v", portText, err)
	}
	return &awsTestbed{
		Bed:  bed,
		Port: port,
		Flags: []string{
			fmt.Sprintf("--aws-endpoint=tcp://localhost:%d", port),
			"--aws-access-key-id=env://AWS_ACCESS_KEY_ID",
			"--aws-secret-access-key=env://AWS_SECRET_ACCESS_KEY",
		},
		Env: []string{
			"AWS_ACCESS_KEY_ID=" + testbed.AccessKeyID,
			"AWS_SECRET_ACCESS_KEY=" + testbed.SecretAccessKey,
		},
	}
}

// copyExample copies examples/ledger-api into a temporary directory, without
// local dependencies, build output or .env files, for a test to change
// (break a test, drop a file) and pass as --source=<dir>.
func copyExample(t *testing.T) string {
	t.Helper()
	return copySource(t, filepath.Join(repoRoot(t), "examples", "ledger-api"))
}

// copySource copies a service's source directory into a temporary
// directory, as copyExample does.
func copySource(t *testing.T, src string) string {
	t.Helper()
	dst := filepath.Join(t.TempDir(), filepath.Base(src))
	skip := map[string]bool{"node_modules": true, "dist": true, "build": true, "dist-test": true, "coverage": true}
	err := filepath.WalkDir(src, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(src, path)
		if err != nil {
			return err
		}
		name := d.Name()
		if skip[name] || name == ".env" || strings.HasPrefix(name, ".env.") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		target := filepath.Join(dst, rel)
		if d.IsDir() {
			return os.MkdirAll(target, 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(target, data, 0o644)
	})
	if err != nil {
		t.Fatalf("copy %s: %v", src, err)
	}
	return dst
}
