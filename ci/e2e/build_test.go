//go:build e2e

package e2e

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// revision and created are the build metadata the test build claims.
const (
	revision = "0123456789abcdef0123456789abcdef01234567"
	created  = "2025-01-02T03:04:05Z"
)

// example is the --source flag of the example service, relative to the
// repository root where the CLI runs.
const example = "--source=examples/ledger-api"

// The README's commands: build the image, run it as a service on a host
// port, and GET /health from the host.
func TestBuildServesHealth(t *testing.T) {
	build := []string{example, "build", "--revision=" + revision, "--created=" + created}

	label := call(t, append(build, "label", "--name=org.opencontainers.image.revision")...)
	if label.ExitCode != 0 || strings.TrimSpace(label.Stdout) != revision {
		t.Fatalf("revision label: want %s\n%s", revision, label)
	}
	user := call(t, append(build, "user")...)
	if user.ExitCode != 0 || strings.TrimSpace(user.Stdout) != "node" {
		t.Errorf("image user: want node\n%s", user)
	}

	port := freePort(t)
	up := start(t, opts{}, append(build, "as-service", "up", fmt.Sprintf("--ports=%d:5000", port))...)
	body := waitForHealth(t, up, fmt.Sprintf("http://127.0.0.1:%d/health", port))
	var health struct {
		Status   string `json:"status"`
		Service  string `json:"service"`
		Revision string `json:"revision"`
		BuiltAt  string `json:"builtAt"`
	}
	if err := json.Unmarshal([]byte(body), &health); err != nil {
		t.Fatalf("/health is not JSON: %v: %s", err, body)
	}
	if health.Status != "ok" || health.Service != "ledger-api" || health.Revision != revision || health.BuiltAt != created {
		t.Errorf("/health = %+v, want status ok, service ledger-api, revision %s, builtAt %s", health, revision, created)
	}
}

// waitForHealth polls url until it answers 200, the run ends, or the run
// timeout passes; it returns the body.
func waitForHealth(t *testing.T, up *background, url string) string {
	t.Helper()
	client := &http.Client{Timeout: 5 * time.Second}
	deadline := time.Now().Add(runTimeout(t))
	var last string
	for time.Now().Before(deadline) {
		if up.Exited() {
			t.Fatalf("`up` ended before %s answered (last: %s)", url, last)
		}
		resp, err := client.Get(url)
		if err == nil {
			body, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return string(body)
			}
			last = fmt.Sprintf("%s: %s", resp.Status, body)
		} else {
			last = err.Error()
		}
		time.Sleep(2 * time.Second)
	}
	t.Fatalf("%s did not answer 200 within %s (last: %s)", url, runTimeout(t), last)
	return ""
}

func TestTestPasses(t *testing.T) {
	r := call(t, example, "test")
	if r.ExitCode != 0 {
		t.Fatalf("test failed on the example service:\n%s", r)
	}
	// "# fail 0" from node --test's TAP reporter, "ℹ fail 0" from its spec
	// reporter: whichever is the default of the Node image in use.
	if !strings.Contains(r.Stdout, "fail 0") {
		t.Errorf("test output has no `fail 0`:\n%s", r)
	}
}

func TestTestFailsOnABrokenApp(t *testing.T) {
	const name = "e2e deliberately broken transfer rule"
	dir := copyExample(t)
	broken := `import assert from "node:assert/strict";
import { it } from "node:test";

it("` + name + `", () => {
  assert.equal(1 + 1, 3);
});
`
	if err := os.WriteFile(filepath.Join(dir, "test", "unit", "broken.test.ts"), []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	r := call(t, "--source="+dir, "test")
	if r.ExitCode == 0 {
		t.Fatalf("test passed on a broken app:\n%s", r)
	}
	if !strings.Contains(r.Stderr, name) {
		t.Errorf("the error does not name the failing test %q:\n%s", name, r)
	}
	// test's error (ci/test.go, execFailure): the script, the command that
	// failed and its exit code, then its output.
	const failed = "the tests (npm run test): `npm run test` failed with exit code "
	if !strings.Contains(r.Stderr, failed) {
		t.Errorf("the error does not say %q:\n%s", failed, r)
	}
}

func TestBuildRefusesASourceThatIsNotANodeService(t *testing.T) {
	r := call(t, "--source=internal/source", "build")
	if r.ExitCode == 0 {
		t.Fatalf("build accepted a source without package.json:\n%s", r)
	}
	const want = "no package.json in --source"
	if !strings.Contains(r.Stderr, want) || !strings.Contains(r.Stderr, "--source=examples/ledger-api") {
		t.Errorf("the error does not name the missing package.json (%q) and the fix (--source=examples/ledger-api):\n%s", want, r)
	}
}
