package localenv

import (
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

func TestStackNamesTheFailedPartWithItsEvidence(t *testing.T) {
	s := NewStack()
	s.Redact("hunter2-password")
	var wg sync.WaitGroup
	wg.Go(func() { s.Ready(PartUnitTests, "34 tests passed", 12*time.Second) })
	wg.Go(func() { s.Ready(PartImage, "built for linux/amd64, revision 0123abc", 40*time.Second) })
	wg.Go(func() { s.Ready("LedgerSpace", "Neo4j/5.26.0 (Bolt 5.8) after 21s", 21*time.Second) })
	wg.Go(func() {
		s.Fail("SearchSpace", "SearchSpace (Bolt at searchspace:7687) never became ready", 3*time.Minute,
			"last lines of /logs/debug.log:", "ERROR Failed to start: password hunter2-password rejected")
	})
	wg.Wait()
	if got := s.Failed(); len(got) != 1 || got[0] != "SearchSpace" {
		t.Fatalf("Failed() = %v", got)
	}
	err := s.Err()
	if err == nil {
		t.Fatal("a failed part must fail the stack")
	}
	msg := err.Error()
	for _, want := range []string{
		"the local stack failed at SearchSpace:",
		"| unit tests | ✅ ready | 12s | 34 tests passed |",
		"| SearchSpace | ❌ failed | 3m0s | SearchSpace (Bolt at searchspace:7687) never became ready |",
		"| app | ⏭️ not reached | – |  |",
		"### ❌ SearchSpace",
		"ERROR Failed to start: password *** rejected",
	} {
		if !strings.Contains(msg, want) {
			t.Errorf("error lacks %q:\n%s", want, msg)
		}
	}
	if strings.Contains(msg, "hunter2-password") {
		t.Error("a registered secret reached the error")
	}
	if strings.Index(msg, "| unit tests") > strings.Index(msg, "| image") || strings.Index(msg, "| LedgerSpace") > strings.Index(msg, "| SearchSpace") {
		t.Errorf("parts out of order:\n%s", msg)
	}
}

func TestStackWithoutFailureIsNoError(t *testing.T) {
	s := NewStack()
	for _, p := range Parts() {
		s.Ready(p, "ok", time.Second)
	}
	if err := s.Err(); err != nil {
		t.Fatal(err)
	}
	if md := s.Markdown(); strings.Contains(md, "###") || !strings.Contains(md, "| app | ✅ ready | 1s | ok |") {
		t.Errorf("markdown:\n%s", md)
	}
}

func TestTailKeepsTheLastLines(t *testing.T) {
	got := Tail(3, "a\nb\n\n", "c\r\nd\n")
	if strings.Join(got, ",") != "b,c,d" {
		t.Errorf("Tail = %q", got)
	}
}

func TestUpExposesTheAPIAndBothBrowsers(t *testing.T) {
	var got []string
	for _, f := range Forwards() {
		got = append(got, f.String())
	}
	want := "5000=api:5000 7474=ledgerspace:7474 7687=ledgerspace:7687 7475=searchspace:7474 7688=searchspace:7687"
	if strings.Join(got, " ") != want {
		t.Errorf("Forwards = %s\nwant      %s", strings.Join(got, " "), want)
	}
	msg := UpMessage("0123abc", false)
	for _, line := range []string{
		"credex-core is up locally (revision 0123abc), on these ports of this machine:",
		"  API          http://localhost:5000  (try http://localhost:5000/health)",
		"  LedgerSpace  http://localhost:7474  Neo4j Browser; connect to bolt://localhost:7687 as neo4j",
		"  SearchSpace  http://localhost:7475  Neo4j Browser; connect to bolt://localhost:7688 as neo4j",
		"--ports=5000:5000,7474:7474,7687:7687,7475:7475,7688:7688",
		"pass --neo4j-password=env://NEO4J_PASSWORD",
	} {
		if !strings.Contains(msg, line) {
			t.Errorf("UpMessage lacks %q:\n%s", line, msg)
		}
	}
	// The browser each database serves offers the Bolt URL `up` exposes.
	for _, d := range Databases() {
		env := map[string]string{}
		for _, v := range Neo4jEnv(d, Credentials{Passwords: map[string]string{d.Name: "pw"}}) {
			env[v.Name] = v.Value
		}
		if env["NEO4J_server_bolt_advertised__address"] != "localhost:"+strconv.Itoa(d.HostBoltPort) ||
			env["NEO4J_server_http_advertised__address"] != "localhost:"+strconv.Itoa(d.HostHTTPPort) {
			t.Errorf("%s advertises %v", d.Name, env)
		}
	}
}

func TestCheckPassword(t *testing.T) {
	for p, ok := range map[string]bool{"short": false, "long enough": true, "two\nlines!": false} {
		if err := CheckPassword(p); (err == nil) != ok {
			t.Errorf("CheckPassword(%q) = %v", p, err)
		}
	}
}

func TestErrOfNamesOnlyThoseParts(t *testing.T) {
	s := NewStack()
	s.Redact("secret-pw", "secret-pw-and-more")
	s.Ready("LedgerSpace", "ok", time.Second)
	s.Fail("SearchSpace", "SearchSpace is not usable: LOGON refused", time.Second, "debug.log: auth secret-pw secret-pw-and-more")
	s.Fail(PartImage, "build failed", time.Second)
	if err := s.ErrOf("LedgerSpace"); err != nil {
		t.Errorf("LedgerSpace alone is ready: %v", err)
	}
	err := s.ErrOf("LedgerSpace", "SearchSpace")
	if err == nil || !strings.HasPrefix(err.Error(), "SearchSpace failed:\n") || strings.Contains(err.Error(), "image") ||
		!strings.Contains(err.Error(), "debug.log: auth *** ***\n") || strings.Contains(err.Error(), "| Part |") {
		t.Errorf("ErrOf(databases) = %v", err)
	}
}

// node --test's own summaries (Node 20, both reporters), around a test
// whose name holds "tests 3".
func TestUnitTestsSummaryCountsFromEitherReporter(t *testing.T) {
	tap := "TAP version 13\n# Subtest: a tests 3\nok 1 - a tests 3\n  ---\n  duration_ms: 0.6\n  ...\n" +
		"# Subtest: b\nok 2 - b\n  ---\n  duration_ms: 0.1\n  ...\n1..2\n# tests 2\n# suites 0\n# pass 2\n# fail 0\n# cancelled 0\n# skipped 0\n# todo 0\n# duration_ms 212.5\n"
	spec := "✔ a tests 3 (0.6ms)\n✔ b (0.2ms)\nℹ tests 2\nℹ suites 0\nℹ pass 2\nℹ fail 0\nℹ cancelled 0\nℹ skipped 0\nℹ todo 0\nℹ duration_ms 347.7\n"
	for name, out := range map[string]string{"tap": tap, "spec": spec} {
		if got := UnitTestsSummary(out); got != "2 tests passed" {
			t.Errorf("%s: %q, want 2 tests passed", name, got)
		}
	}
	if got := UnitTestsSummary("> jest\nPASS test/a.test.ts\n"); got != "passed" {
		t.Errorf("a runner without node's summary: %q, want passed", got)
	}
}
