//go:build e2e

// Package e2e runs the credex-ci module's functions on a real Dagger engine
// against examples/ledger-api: the image builds and serves /health, the unit
// tests pass, and a broken copy of the app fails with the failing test named.
//
// Run it from ci/ with the pinned Dagger CLI (v0.21.8) on PATH:
//
//	dagger run go test -tags e2e -v -timeout 30m ./e2e/
//
// or plain `go test -tags e2e ./e2e/`, which starts a session with that CLI.
// Without a CLI or a session the tests skip.
package e2e

import (
	"context"
	"encoding/json"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"dagger.io/dagger"
)

// revision is the commit the test build claims to be.
const revision = "0123456789abcdef0123456789abcdef01234567"

var (
	connectOnce sync.Once
	client      *dagger.Client
	connectErr  error
)

// engine returns a client of a Dagger session that serves the credex-ci
// module, or skips the test when no engine is reachable.
func engine(t *testing.T) *dagger.Client {
	t.Helper()
	if os.Getenv("DAGGER_SESSION_PORT") == "" {
		cli, err := exec.LookPath("dagger")
		if err != nil {
			t.Skip("no Dagger engine: run under `dagger run`, or put the dagger CLI (v0.21.8) on PATH")
		}
		// Use the installed, pinned CLI rather than letting the SDK download one.
		t.Setenv("_EXPERIMENTAL_DAGGER_CLI_BIN", cli)
	}
	root := repoRoot(t)
	connectOnce.Do(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Minute)
		defer cancel()
		client, connectErr = dagger.Connect(context.Background(), dagger.WithLogOutput(os.Stderr))
		if connectErr != nil {
			return
		}
		// Serving the module adds its constructor, credexCi, to the API.
		connectErr = client.ModuleSource(root).AsModule().Serve(ctx)
	})
	if connectErr != nil {
		t.Fatalf("connect to the Dagger engine and load the credex-ci module: %v", connectErr)
	}
	return client
}

// repoRoot is the repository root, which holds dagger.json.
func repoRoot(t *testing.T) string {
	t.Helper()
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(root, "dagger.json")); err != nil {
		t.Fatalf("no dagger.json at %s: run the tests from ci/", root)
	}
	return root
}

// example is the example app as a Directory, without local build output.
func example(t *testing.T, c *dagger.Client) *dagger.Directory {
	return c.Host().Directory(filepath.Join(repoRoot(t), "examples", "ledger-api"), dagger.HostDirectoryOpts{
		Exclude: []string{"node_modules/", "dist/", "dist-test/"},
	})
}

// call runs one GraphQL query against the module, with the app source as
// $source, and decodes the data into out.
func call(ctx context.Context, t *testing.T, c *dagger.Client, src *dagger.Directory, query string, out any) error {
	t.Helper()
	id, err := src.ID(ctx)
	if err != nil {
		t.Fatalf("source directory: %v", err)
	}
	return c.Do(ctx, &dagger.Request{
		Query:     query,
		Variables: map[string]any{"source": id},
	}, &dagger.Response{Data: out})
}

func timeout(t *testing.T) context.Context {
	ctx, cancel := context.WithTimeout(context.Background(), 20*time.Minute)
	t.Cleanup(cancel)
	return ctx
}

func TestBuildServesHealth(t *testing.T) {
	c := engine(t)
	ctx := timeout(t)
	var res struct {
		CredexCi struct {
			Build struct{ ID dagger.ContainerID }
		}
	}
	err := call(ctx, t, c, example(t, c), `query Build($source: DirectoryID!) {
		credexCi(source: $source) {
			build(revision: "`+revision+`", created: "2025-01-02T03:04:05Z") { id }
		}
	}`, &res)
	if err != nil {
		t.Fatalf("build: %v", err)
	}
	image := c.LoadContainerFromID(res.CredexCi.Build.ID)

	if user, err := image.User(ctx); err != nil || user != "node" {
		t.Errorf("image user = %q (%v), want node", user, err)
	}
	if label, err := image.Label(ctx, "org.opencontainers.image.revision"); err != nil || label != revision {
		t.Errorf("revision label = %q (%v), want %s", label, err, revision)
	}

	// Run the image as a service and ask it for /health from a second
	// container of the same image (it has node, whose fetch is our curl).
	app := image.WithExposedPort(5000).AsService()
	out, err := image.
		WithServiceBinding("app", app).
		WithExec([]string{"node", "-e", `fetch("http://app:5000/health").then(async (r) => { if (!r.ok) process.exit(1); console.log(await r.text()); })`}).
		Stdout(ctx)
	if err != nil {
		t.Fatalf("GET /health: %v", err)
	}
	var health struct {
		Status   string `json:"status"`
		Service  string `json:"service"`
		Revision string `json:"revision"`
		BuiltAt  string `json:"builtAt"`
	}
	if err := json.Unmarshal([]byte(out), &health); err != nil {
		t.Fatalf("/health is not JSON: %v: %s", err, out)
	}
	if health.Status != "ok" || health.Service != "ledger-api" || health.Revision != revision || health.BuiltAt != "2025-01-02T03:04:05Z" {
		t.Errorf("/health = %+v", health)
	}
}

func TestTestPasses(t *testing.T) {
	c := engine(t)
	ctx := timeout(t)
	var res struct{ CredexCi struct{ Test string } }
	if err := call(ctx, t, c, example(t, c), `query Test($source: DirectoryID!) { credexCi(source: $source) { test } }`, &res); err != nil {
		t.Fatalf("test: %v", err)
	}
	// "# fail 0" from node --test's TAP reporter, "ℹ fail 0" from its spec
	// reporter: whichever is the default of the Node image in use.
	if !strings.Contains(res.CredexCi.Test, "fail 0") {
		t.Errorf("test output has no `fail 0`:\n%s", res.CredexCi.Test)
	}
}

func TestTestFailsOnABrokenApp(t *testing.T) {
	c := engine(t)
	ctx := timeout(t)
	const name = "e2e deliberately broken transfer rule"
	broken := example(t, c).WithNewFile("test/unit/broken.test.ts", `import assert from "node:assert/strict";
import { it } from "node:test";

it("`+name+`", () => {
  assert.equal(1 + 1, 3);
});
`)
	var res struct{ CredexCi struct{ Test string } }
	err := call(ctx, t, c, broken, `query Test($source: DirectoryID!) { credexCi(source: $source) { test } }`, &res)
	if err == nil {
		t.Fatalf("test passed on a broken app:\n%s", res.CredexCi.Test)
	}
	if !strings.Contains(err.Error(), name) {
		t.Errorf("the error does not name the failing test %q:\n%v", name, err)
	}
}

func TestBuildRefusesASourceThatIsNotANodeService(t *testing.T) {
	c := engine(t)
	ctx := timeout(t)
	notAnApp := c.Host().Directory(filepath.Join(repoRoot(t), "internal", "source"))
	var res struct {
		CredexCi struct{ Build struct{ ID string } }
	}
	err := call(ctx, t, c, notAnApp, `query Build($source: DirectoryID!) { credexCi(source: $source) { build { id } } }`, &res)
	if err == nil || !strings.Contains(err.Error(), "no package.json") {
		t.Errorf("err = %v, want one naming the missing package.json", err)
	}
}
