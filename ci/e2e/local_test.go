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

// The local environment: the whole pipeline with both Neo4j databases on the
// engine, no AWS. deploy --env=local reaches deployLocal (ci/local.go)
// through Deploy's dispatch in ci/deploy.go.

// A new user's first command: the example deploys locally and every check
// that applies passes, with the AWS-only checks reported as not applicable.
func TestDeployLocalPasses(t *testing.T) {
	r := call(t, example, "deploy", "--env=local", "--revision="+revision)
	if r.ExitCode != 0 {
		t.Fatalf("deploy --env=local failed on the example service:\n%s", r)
	}
	for _, want := range []string{
		"## Local stack",
		"| LedgerSpace | ✅ ready |",
		"| SearchSpace | ✅ ready |",
		"| app | ✅ ready |",
		"## ✅ Verification passed: local",
		"| preflight | ➖ n/a |",
		"| rollout | ➖ n/a |",
		"| status | ➖ n/a |",
		"| health | ✅ pass |",
		"| integration | ✅ pass |",
		"| bench | ✅ pass |",
		"build " + revision,
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("the report lacks %q:\n%s", want, r)
		}
	}
	// The database cases of the example's suite ran (none skipped: the
	// suite saw storage neo4j and had the NEO_4J_* variables).
	if !strings.Contains(r.Stdout, "tests passed (0 skipped)") {
		t.Errorf("the integration suite skipped cases: the databases were not exercised:\n%s", r)
	}
}

// An app that exits at start-up: the failure names the app, its exit code
// and the end of its output.
func TestDeployLocalNamesAnAppThatExits(t *testing.T) {
	dir := copyExample(t)
	server := filepath.Join(dir, "src", "server.ts")
	code, err := os.ReadFile(server)
	if err != nil {
		t.Fatal(err)
	}
	const message = "e2e: deliberately broken start-up"
	broken := "if (process.env.PORT) {\n  console.error(" + fmt.Sprintf("%q", message) + ");\n  process.exit(3);\n}\n" + string(code)
	if err := os.WriteFile(server, []byte(broken), 0o644); err != nil {
		t.Fatal(err)
	}
	r := call(t, "--source="+dir, "deploy", "--env=local")
	if r.ExitCode == 0 {
		t.Fatalf("deploy --env=local passed with an app that exits:\n%s", r)
	}
	for _, want := range []string{
		"the local stack failed at app:",
		"| app | ❌ failed |",
		"the app exited with code 3 before its ports opened",
		message,
		"| LedgerSpace | ✅ ready |",
	} {
		if !strings.Contains(r.Stderr, want) {
			t.Errorf("the error lacks %q:\n%s", want, r)
		}
	}
}

// up keeps the stack running: the API on a host port with both databases
// behind it, and each database's browser offering the Bolt URL up exposes.
func TestUpServesTheAPIAndBothDatabases(t *testing.T) {
	api, ledger, search := freePort(t), freePort(t), freePort(t)
	up := start(t, opts{}, example, "up", "--env=local", "--revision="+revision,
		"up", fmt.Sprintf("--ports=%d:5000,%d:7474,%d:7475", api, ledger, search))
	body := waitForHealth(t, up, fmt.Sprintf("http://127.0.0.1:%d/health", api))
	var health struct {
		Status    string `json:"status"`
		Revision  string `json:"revision"`
		Storage   string `json:"storage"`
		Databases map[string]struct {
			Reachable bool `json:"reachable"`
		} `json:"databases"`
	}
	if err := json.Unmarshal([]byte(body), &health); err != nil {
		t.Fatalf("/health is not JSON: %v: %s", err, body)
	}
	if health.Status != "ok" || health.Revision != revision || health.Storage != "neo4j" ||
		!health.Databases["ledgerSpace"].Reachable || !health.Databases["searchSpace"].Reachable {
		t.Errorf("/health = %s: want ok, revision %s, storage neo4j, both databases reachable", body, revision)
	}
	for port, bolt := range map[int]string{ledger: "bolt://localhost:7687", search: "bolt://localhost:7688"} {
		discovery := get(t, fmt.Sprintf("http://127.0.0.1:%d/", port))
		var d struct {
			BoltDirect   string `json:"bolt_direct"`
			Neo4jVersion string `json:"neo4j_version"`
		}
		if err := json.Unmarshal([]byte(discovery), &d); err != nil || d.BoltDirect != bolt || !strings.HasPrefix(d.Neo4jVersion, "5.") {
			t.Errorf("Neo4j on host port %d answered %s (%v): want Neo4j 5 offering %s", port, discovery, err, bolt)
		}
	}
	if !strings.Contains(up.Output(), "credex-core is up locally") {
		t.Errorf("up did not print where everything is:\n%s", tail(up.Output(), 40))
	}
}

// test --databases: the suite reaches two fresh databases by credex-core's
// variables (the example's test:databases writes and reads in each).
func TestTestWithDatabases(t *testing.T) {
	r := call(t, example, "test", "--script=test:databases", "--databases")
	if r.ExitCode != 0 {
		t.Fatalf("test --databases failed:\n%s", r)
	}
	if !strings.Contains(r.Stdout, "pass 2") || !strings.Contains(r.Stdout, "skipped 0") {
		t.Errorf("the database tests did not both run and pass:\n%s", r)
	}
	r = call(t, example, "test", "--databases", "--test-env=NEO_4J_LEDGER_SPACE_BOLT_URL=bolt://elsewhere:7687")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "--databases sets NEO_4J_LEDGER_SPACE_BOLT_URL") {
		t.Errorf("--databases with a --test-env of its own variables:\n%s", r)
	}
}

// get returns a URL's body, failing the test on an error or a non-200.
func get(t *testing.T, url string) string {
	t.Helper()
	client := &http.Client{Timeout: 10 * time.Second}
	resp, err := client.Get(url)
	if err != nil {
		t.Fatalf("GET %s: %v", url, err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK {
		t.Fatalf("GET %s: %s: %s", url, resp.Status, body)
	}
	return string(body)
}

// Bad input is refused before anything starts.
func TestUpRefusesWhatItCannotRun(t *testing.T) {
	r := call(t, example, "up", "--env=stage")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "up runs only --env=local") {
		t.Errorf("up --env=stage:\n%s", r)
	}
	r = callWith(t, opts{Env: []string{"E2E_SHORT_PASSWORD=short"}}, example, "up", "--env=local", "--neo4j-password=env://E2E_SHORT_PASSWORD")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "--neo4j-password: Neo4j needs at least 8 characters") {
		t.Errorf("a short --neo4j-password:\n%s", r)
	}
}

// Functions that need AWS refuse local with the fix.
func TestAWSFunctionsRefuseLocal(t *testing.T) {
	r := call(t, "plan", "--env=local")
	if r.ExitCode == 0 || !strings.Contains(r.Stderr, "local has no AWS") || !strings.Contains(r.Stderr, "dagger call deploy --env=local") {
		t.Errorf("plan --env=local:\n%s", r)
	}
}
