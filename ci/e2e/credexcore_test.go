//go:build e2e

// End-to-end tests of credex-ci on a credex-core-shaped service
// (internal/source/testdata/credex-core: its own Dockerfile with
// production-build and build/, configuration validated at import, a
// test:unit script), driven through the pinned `dagger` CLI as a person
// would: `lint` lists the Dockerfile's findings, a broken production build
// is explained in its first three lines, and `test --script=test:unit`
// passes given the configuration.
//
// Run from ci/ with the Dagger CLI v0.21.8 on PATH and an engine reachable:
//
//	go test -tags e2e -run CredexCore -v -timeout 30m ./e2e/
package e2e

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
)

// fixtureDir is the credex-core-shaped fixture, relative to the repository
// root.
const fixtureDir = "internal/source/testdata/credex-core"

// daggerCall runs `dagger call ARGS...` in the repository root with the
// dagger CLI on PATH (skipping the test without one) and returns its
// standard output, its standard error and its error.
//
// A minimal harness of this file's own, until the shared one
// (ci/e2e/dagger_test.go, issue 8) lands; then this file switches to it.
func daggerCall(t *testing.T, args ...string) (stdout, stderr string, err error) {
	t.Helper()
	cli, lookErr := exec.LookPath("dagger")
	if lookErr != nil {
		t.Skip("no dagger CLI on PATH: install v0.21.8 (see README.md) to run the end-to-end tests")
	}
	root, absErr := filepath.Abs(filepath.Join("..", ".."))
	if absErr != nil {
		t.Fatal(absErr)
	}
	ctx, cancel := context.WithTimeout(context.Background(), 25*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, cli, append([]string{"--progress=plain", "call"}, args...)...)
	cmd.Dir = root
	var out, errOut bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err = cmd.Run()
	t.Logf("dagger call %s: %v", strings.Join(args, " "), err)
	return out.String(), errOut.String(), err
}

// engineNoise matches what a person should never have to read first: the
// engine's object IDs and digests.
var engineNoise = regexp.MustCompile(`Container@[A-Za-z0-9+/=]{16,}|xxh3:[0-9a-f]{8,}|load Container`)

func TestCredexCoreLintListsTheDockerfileFindings(t *testing.T) {
	stdout, stderr, err := daggerCall(t, "--source="+fixtureDir, "lint")
	if err == nil {
		t.Fatalf("lint passed on a Dockerfile whose EXPOSE 3000 is not the stack's 5000:\n%s", stdout)
	}
	out := stdout + stderr
	for _, want := range []string{
		"Dockerfile check failed: the source's Dockerfile: 1 error (expose-port-mismatch)",
		"line 27 [expose-port-mismatch] `EXPOSE 3000`",
		"[runs-as-root]", "USER node",
		"[no-node-image-arg]", "--node-image",
		"[no-revision-arg]", "ARG REVISION",
		"[npm-cache-in-layer]", "--mount=type=cache,target=/root/.npm",
		"[base-image-not-pinned]", "node:20.18.1-alpine",
	} {
		if !strings.Contains(out, want) {
			t.Errorf("lint's output does not say %q:\n%s", want, out)
		}
	}
}

// The broken variant's production stage copies a file its build stage never
// creates; the error's first three lines say where, why and what to do.
func TestCredexCoreBrokenBuildIsReadable(t *testing.T) {
	src := copyFixture(t)
	broken, err := os.ReadFile(filepath.Join(repoRootDir(t), "internal", "source", "testdata", "credex-core-broken.Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "Dockerfile"), broken, 0o644); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := daggerCall(t, "--source="+src, "build")
	if err == nil {
		t.Fatalf("the broken build succeeded:\n%s", stdout)
	}
	out := stdout + stderr
	at := strings.Index(out, "build failed: ")
	if at < 0 {
		t.Fatalf("no `build failed:` in the output:\n%s", out)
	}
	lines := strings.SplitN(out[at:], "\n", 4)
	if len(lines) < 3 {
		t.Fatalf("the error has fewer than three lines:\n%s", out[at:])
	}
	for i, want := range []string{
		"build failed: the source's Dockerfile, stage production, line 27: COPY --from=production-build /app/config/config.js ./config/config.js",
		"/app/config/config.js does not exist in stage production-build",
		"fix: ",
	} {
		if !strings.Contains(lines[i], want) {
			t.Errorf("line %d of the error is %q, want it to contain %q", i+1, lines[i], want)
		}
		if engineNoise.MatchString(lines[i]) {
			t.Errorf("line %d of the error carries engine IDs: %q", i+1, lines[i])
		}
	}
	if !strings.Contains(out[at:], "engine error (building target production):") || !strings.Contains(out[at:], "no such file or directory") {
		t.Errorf("the engine's own error is not kept below the explanation:\n%s", out[at:])
	}
}

func TestCredexCoreUnitTestsPassWithTheirConfiguration(t *testing.T) {
	const jwt, ledgerPass, searchPass, oxr = "e2e-jwt-secret-5f1c", "e2e-ledger-pass-9a2b", "e2e-search-pass-3d4e", "e2e-oxr-key-7c8d"
	secrets := filepath.Join(t.TempDir(), "test.env")
	if err := os.WriteFile(secrets, []byte("# the suite's secrets\nJWT_SECRET="+jwt+"\nNEO_4J_LEDGER_SPACE_PASS="+ledgerPass+
		"\nNEO_4J_SEARCH_SPACE_PASS='"+searchPass+"'\nOPEN_EXCHANGE_RATES_API="+oxr+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	stdout, stderr, err := daggerCall(t, "--source="+fixtureDir, "test", "--script=test:unit",
		"--test-env=NEO_4J_LEDGER_SPACE_BOLT_URL=bolt://ledger:7687",
		"--test-env=NEO_4J_LEDGER_SPACE_USER=neo4j",
		"--test-env=NEO_4J_SEARCH_SPACE_BOLT_URL=bolt://search:7687",
		"--test-env=NEO_4J_SEARCH_SPACE_USER=neo4j",
		"--test-secrets=file://"+secrets)
	if err != nil {
		t.Fatalf("test --script=test:unit failed:\n%s\n%s", stdout, stderr)
	}
	if !strings.Contains(stdout, "fail 0") || !strings.Contains(stdout, "pass 7") {
		t.Errorf("the unit suite did not report 7 passing tests and none failing:\n%s", stdout)
	}
	for _, secret := range []string{jwt, ledgerPass, searchPass, oxr} {
		if strings.Contains(stdout+stderr, secret) {
			t.Errorf("a secret's value reached the output: %s", secret)
		}
	}
}

// Without its configuration the suite stops at import, and says what it
// lacks; a script that does not exist is refused before any container runs.
func TestCredexCoreTestsNeedTheirConfiguration(t *testing.T) {
	stdout, stderr, err := daggerCall(t, "--source="+fixtureDir, "test", "--script=test:unit")
	if err == nil {
		t.Fatalf("the unit suite passed without its configuration:\n%s", stdout)
	}
	if out := stdout + stderr; !strings.Contains(out, "missing configuration: set NEO_4J_LEDGER_SPACE_BOLT_URL") {
		t.Errorf("the failure does not show the suite's own message:\n%s", out)
	}
	stdout, stderr, err = daggerCall(t, "--source="+fixtureDir, "test", "--script=test:unti")
	if err == nil || !strings.Contains(stdout+stderr, `package.json has no "test:unti" script: pass --script=test or --script=test:api or --script=test:integration or --script=test:unit`) {
		t.Errorf("an unknown script: err %v, output:\n%s%s", err, stdout, stderr)
	}
}

func repoRootDir(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	return root
}

// copyFixture copies the fixture's source (without node_modules and build)
// into a temporary directory.
func copyFixture(t *testing.T) string {
	t.Helper()
	from := filepath.Join(repoRootDir(t), filepath.FromSlash(fixtureDir))
	to := t.TempDir()
	err := filepath.WalkDir(from, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(from, path)
		if d.IsDir() && (d.Name() == "node_modules" || d.Name() == "build") {
			return filepath.SkipDir
		}
		if d.IsDir() {
			return os.MkdirAll(filepath.Join(to, rel), 0o755)
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(to, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return to
}
