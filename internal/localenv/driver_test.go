package localenv

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestOfficialDriverAcceptsTheTestServer holds the test server (and so the
// PackStream and chunking it shares with the readiness check) to the
// official neo4j-driver, the one credex-core and the example use: the driver
// connects and logs in on every Bolt version the tests use, and reads a
// wrong password as Neo4j's Unauthorized. It needs node and the example's
// node_modules (`make test` installs them before the engine's tests), and
// skips without them.
func TestOfficialDriverAcceptsTheTestServer(t *testing.T) {
	node, err := exec.LookPath("node")
	if err != nil {
		t.Skip("no node on PATH")
	}
	modules, err := filepath.Abs(filepath.Join("..", "..", "examples", "ledger-api", "node_modules"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(filepath.Join(modules, "neo4j-driver")); err != nil {
		t.Skip("examples/ledger-api has no node_modules/neo4j-driver: run `cd examples/ledger-api && npm ci` first")
	}
	const script = `
const neo4j = require("neo4j-driver");
const [addr, password] = process.argv.slice(1);
const d = neo4j.driver("bolt://" + addr, neo4j.auth.basic("neo4j", password), { connectionTimeout: 3000 });
d.verifyConnectivity({ database: "neo4j" })
  .then(() => console.log("connected"), (e) => console.log("refused: " + e.message))
  .finally(() => d.close());
`
	for _, v := range [][4]byte{{0, 0, 8, 5}, bolt54, bolt50, bolt44} {
		s := bolt(t, v, "right-pw")
		for password, want := range map[string]string{
			"right-pw": "connected",
			"wrong-pw": "refused: The client is unauthorized due to authentication failure.",
		} {
			cmd := exec.Command(node, "-e", script, s.addr(), password)
			cmd.Env = append(os.Environ(), "NODE_PATH="+modules)
			out, err := cmd.CombinedOutput()
			if got := strings.TrimSpace(string(out)); err != nil || got != want {
				t.Errorf("Bolt %d.%d, %s: %q (%v), want %q", v[3], v[2], password, got, err, want)
			}
		}
	}
}
