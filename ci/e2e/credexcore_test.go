//go:build e2e

// End-to-end tests of credex-ci on a credex-core-shaped service
// (internal/source/testdata/credex-core: its own Dockerfile with
// production-build and build/, configuration validated at import, a
// test:unit script), driven through the pinned `dagger` CLI as a person
// would: `lint` lists the Dockerfile's findings, a broken production build
// is explained in its first three lines, and `test --script=test:unit`
// passes given the configuration.
//
// Run from ci/ (see dagger_test.go for what a run needs):
//
//	go test -tags e2e -count=1 -run CredexCore -v -timeout 60m ./e2e/
package e2e

import (
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
)

// fixtureDir is the credex-core-shaped fixture, relative to the repository
// root.
const fixtureDir = "internal/source/testdata/credex-core"

// engineNoise matches what a person should never have to read first: the
// engine's object IDs and digests.
var engineNoise = regexp.MustCompile(`Container@[A-Za-z0-9+/=]{16,}|xxh3:[0-9a-f]{8,}|load Container`)

func TestCredexCoreLintListsTheDockerfileFindings(t *testing.T) {
	r := call(t, "--source="+fixtureDir, "lint")
	if r.ExitCode == 0 {
		t.Fatalf("lint passed on a Dockerfile whose EXPOSE 3000 is not the stack's 5000:\n%s", r)
	}
	out := r.Output()
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
			t.Errorf("lint's output does not say %q:\n%s", want, r)
		}
	}
}

// The broken variant's production stage copies a file its build stage never
// creates; the error's first three lines say where, why and what to do.
func TestCredexCoreBrokenBuildIsReadable(t *testing.T) {
	src := copySource(t, filepath.Join(repoRoot(t), filepath.FromSlash(fixtureDir)))
	broken, err := os.ReadFile(filepath.Join(repoRoot(t), "internal", "source", "testdata", "credex-core-broken.Dockerfile"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(src, "Dockerfile"), broken, 0o644); err != nil {
		t.Fatal(err)
	}
	r := call(t, "--source="+src, "build")
	if r.ExitCode == 0 {
		t.Fatalf("the broken build succeeded:\n%s", r)
	}
	out := r.Output()
	// The CLI prints a function's error last, as cobra's "Error: " and the
	// message (cmd/dagger/functions.go, FuncCommand.execute); the progress
	// before it may show the same text with its own prefixes.
	at := strings.Index(out, "Error: build failed: ")
	if at >= 0 {
		at += len("Error: ")
	} else {
		at = strings.Index(out, "build failed: ")
	}
	if at < 0 {
		t.Fatalf("no `build failed:` in the output:\n%s", r)
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
	r := call(t, "--source="+fixtureDir, "test", "--script=test:unit",
		"--test-env=NEO_4J_LEDGER_SPACE_BOLT_URL=bolt://ledger:7687",
		"--test-env=NEO_4J_LEDGER_SPACE_USER=neo4j",
		"--test-env=NEO_4J_SEARCH_SPACE_BOLT_URL=bolt://search:7687",
		"--test-env=NEO_4J_SEARCH_SPACE_USER=neo4j",
		"--test-secrets=file://"+secrets)
	if r.ExitCode != 0 {
		t.Fatalf("test --script=test:unit failed:\n%s", r)
	}
	if !strings.Contains(r.Stdout, "fail 0") || !strings.Contains(r.Stdout, "pass 7") {
		t.Errorf("the unit suite did not report 7 passing tests and none failing:\n%s", r)
	}
	for _, secret := range []string{jwt, ledgerPass, searchPass, oxr} {
		if strings.Contains(r.Output(), secret) {
			t.Errorf("a secret's value reached the output: %s", secret)
		}
	}
}

// Without its configuration the suite stops at import, and says what it
// lacks; a script that does not exist is refused before any container runs.
func TestCredexCoreTestsNeedTheirConfiguration(t *testing.T) {
	r := call(t, "--source="+fixtureDir, "test", "--script=test:unit")
	if r.ExitCode == 0 {
		t.Fatalf("the unit suite passed without its configuration:\n%s", r)
	}
	if !strings.Contains(r.Output(), "missing configuration: set NEO_4J_LEDGER_SPACE_BOLT_URL") {
		t.Errorf("the failure does not show the suite's own message:\n%s", r)
	}
	r = call(t, "--source="+fixtureDir, "test", "--script=test:unti")
	if r.ExitCode == 0 || !strings.Contains(r.Output(), `package.json has no "test:unti" script: pass --script=test or --script=test:api or --script=test:integration or --script=test:unit`) {
		t.Errorf("an unknown script is not refused with the scripts that exist:\n%s", r)
	}
}
