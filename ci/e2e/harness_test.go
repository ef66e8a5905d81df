//go:build e2e

package e2e

import (
	"net"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

// The harness itself, against a fake CLI: these run anywhere (no engine),
// so a broken harness is caught before a real engine spends minutes on it.

// fakeCLI writes a shell script that answers `version` as version does,
// records its arguments and working directory in files of dir, prints to
// stdout and stderr, and then exits with $FAKE_EXIT or, with $FAKE_WAIT
// set, waits for an interrupt.
func fakeCLI(t *testing.T, version string) (cli, dir string) {
	t.Helper()
	dir = t.TempDir()
	cli = filepath.Join(dir, "dagger")
	script := `#!/bin/sh
if [ "$1" = version ]; then echo "dagger ` + version + ` (image://registry.dagger.io/engine:` + version + `) linux/amd64"; exit 0; fi
printf '%s\n' "$@" > "` + dir + `/args"
pwd > "` + dir + `/pwd"
echo "$FAKE_SECRET" > "` + dir + `/env"
echo "the result"
echo "the progress" >&2
if [ -n "$FAKE_WAIT" ]; then
  trap 'echo interrupted >&2; exit 130' INT
  while :; do sleep 0.1; done
fi
exit "${FAKE_EXIT:-0}"
`
	if err := os.WriteFile(cli, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	return cli, dir
}

func readLines(t *testing.T, path string) []string {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return strings.Split(strings.TrimRight(string(data), "\n"), "\n")
}

func TestHarnessFindsOnlyThePinnedCLI(t *testing.T) {
	pinned, _ := fakeCLI(t, daggerVersion)
	if path, skip := findCLI(pinned); path != pinned || skip != "" {
		t.Errorf("findCLI(%s) = %q, %q; want the CLI", pinned, path, skip)
	}
	const other = "v1.0.0" // (a constant, so the repository's pin check does not read it as a pin)
	newer, _ := fakeCLI(t, other)
	if _, skip := findCLI(newer); !strings.Contains(skip, "is Dagger "+other) || !strings.Contains(skip, "only with the pinned "+daggerVersion) {
		t.Errorf("a %s CLI: skip message %q does not name both versions", other, skip)
	}
	if _, skip := findCLI(filepath.Join(t.TempDir(), "dagger")); !strings.Contains(skip, "no Dagger CLI") || !strings.Contains(skip, "DAGGER_VERSION=0.21.8") {
		t.Errorf("no CLI: skip message %q does not say how to install the pinned one", skip)
	}
}

func TestHarnessCallsTheModuleAtTheRootWithTheMirrors(t *testing.T) {
	cli, dir := fakeCLI(t, daggerVersion)
	t.Setenv(envNodeImage, "mirror.example/node:22@sha256:abc")
	t.Setenv(envTerraformImage, "")
	t.Setenv(envNeo4jImage, "mirror.example/neo4j:5@sha256:def")
	r := execCLI(t, cli, opts{Env: []string{"FAKE_EXIT=3", "FAKE_SECRET=from-opts"}}, callArgs(t, []string{"--source=examples/ledger-api", "test"}))

	want := []string{"--progress=plain", "call", "-m", repoRoot(t), "--node-image=mirror.example/node:22@sha256:abc", "--neo4j-image=mirror.example/neo4j:5@sha256:def", "--source=examples/ledger-api", "test"}
	if got := readLines(t, filepath.Join(dir, "args")); !slices.Equal(got, want) {
		t.Errorf("args = %q, want %q", got, want)
	}
	if !slices.Equal(r.Args, want) {
		t.Errorf("run.Args = %q, want %q", r.Args, want)
	}
	if got := readLines(t, filepath.Join(dir, "pwd")); got[0] != repoRoot(t) {
		t.Errorf("ran in %s, want the repository root %s", got[0], repoRoot(t))
	}
	if got := readLines(t, filepath.Join(dir, "env")); got[0] != "from-opts" {
		t.Errorf("opts.Env did not reach the CLI: %q", got)
	}
	if r.ExitCode != 3 || strings.TrimSpace(r.Stdout) != "the result" || strings.TrimSpace(r.Stderr) != "the progress" {
		t.Errorf("run = %+v, want exit 3, stdout and stderr apart", r)
	}
	if s := r.String(); !strings.Contains(s, "exited 3") || !strings.Contains(s, "the progress") {
		t.Errorf("run.String() does not show the exit code and progress:\n%s", s)
	}
}

func TestHarnessStopsABackgroundRunLikeCtrlC(t *testing.T) {
	cli, _ := fakeCLI(t, daggerVersion)
	b := startCLI(t, cli, opts{Env: []string{"FAKE_WAIT=1"}}, []string{"call", "up"})
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(b.Output(), "the progress") {
		if time.Now().After(deadline) || b.Exited() {
			t.Fatalf("the background run did not start: %q", b.Output())
		}
		time.Sleep(20 * time.Millisecond)
	}
	if b.Exited() {
		t.Fatal("the background run ended by itself")
	}
	b.Stop()
	if !b.Exited() || !strings.Contains(b.Output(), "interrupted") {
		t.Errorf("Stop did not interrupt the run (as Ctrl-C does): %q", b.Output())
	}
}

func TestHarnessServesTheTestbedOnAHostPort(t *testing.T) {
	bed := startTestbed(t)
	addr := net.JoinHostPort("localhost", strconv.Itoa(bed.Port))
	conn, err := net.DialTimeout("tcp", addr, 5*time.Second)
	if err != nil {
		t.Fatalf("the bed is not reachable at %s: %v", addr, err)
	}
	conn.Close()
	if want := "--aws-endpoint=tcp://" + addr; !slices.Contains(bed.Flags, want) {
		t.Errorf("flags %q do not hold %s", bed.Flags, want)
	}
	if !strings.HasSuffix(bed.URL, ":"+strconv.Itoa(bed.Port)) {
		t.Errorf("port %d is not the bed's (%s)", bed.Port, bed.URL)
	}
}

func TestHarnessCopiesTheExampleWithoutLocalState(t *testing.T) {
	dir := copyExample(t)
	for _, want := range []string{"package.json", "package-lock.json", "test/unit/health.test.ts"} {
		if _, err := os.Stat(filepath.Join(dir, want)); err != nil {
			t.Errorf("the copy has no %s: %v", want, err)
		}
	}
	for _, unwanted := range []string{"node_modules", "dist", "dist-test", ".env"} {
		if _, err := os.Stat(filepath.Join(dir, unwanted)); err == nil {
			t.Errorf("the copy holds %s", unwanted)
		}
	}
}
