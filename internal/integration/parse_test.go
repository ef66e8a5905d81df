package integration

import (
	"errors"
	"os"
	"strings"
	"testing"
	"time"
)

func parseFile(t *testing.T, name string) *Suite {
	t.Helper()
	raw, err := os.ReadFile("testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	s, err := Parse(raw)
	if err != nil {
		t.Fatalf("Parse(%s): %v", name, err)
	}
	return s
}

func wantCounts(t *testing.T, s *Suite, format string, total, passed, failed, skipped int) {
	t.Helper()
	if s.Format != format || s.Total != total || s.Passed != passed || s.Failed != failed || s.Skipped != skipped {
		t.Fatalf("got %s total=%d passed=%d failed=%d skipped=%d, want %s %d/%d/%d/%d",
			s.Format, s.Total, s.Passed, s.Failed, s.Skipped, format, total, passed, failed, skipped)
	}
}

// The node --test TAP fixture was produced by `npm run test:integration` with
// `node --test --test-reporter=tap` (Node 20): npm's banner, nested describe
// blocks, a failing assertion, a skip and a todo.
func TestParseNodeTAPWithNestedSubtests(t *testing.T) {
	s := parseFile(t, "node-test-tap.txt")
	wantCounts(t, s, FormatTAP, 8, 5, 1, 2)
	if s.Duration < 80*time.Millisecond || s.Duration > 90*time.Millisecond {
		t.Errorf("duration = %s, want the reported 86 ms", s.Duration)
	}
	f := s.Failures[0]
	if f.Name != "POST /api/v1/member/onboardMember > rejects a duplicate phone number" {
		t.Errorf("failure name = %q", f.Name)
	}
	if !strings.HasPrefix(f.Message, "expected 409 Conflict for a duplicate phone") || !strings.Contains(f.Message, "409 !== 500") {
		t.Errorf("failure message = %q", f.Message)
	}
}

func TestParseNodeTAPPassing(t *testing.T) {
	wantCounts(t, parseFile(t, "node-test-tap-pass.txt"), FormatTAP, 2, 2, 0, 0)
}

func TestParseNodeJUnit(t *testing.T) {
	s := parseFile(t, "node-test-junit.txt")
	wantCounts(t, s, FormatJUnit, 8, 5, 1, 2)
	f := s.Failures[0]
	if f.Name != "POST /api/v1/member/onboardMember > rejects a duplicate phone number" || !strings.Contains(f.Message, "expected 409 Conflict") {
		t.Errorf("failure = %+v", f)
	}
}

func TestParseJestJUnit(t *testing.T) {
	s := parseFile(t, "jest-junit.xml")
	wantCounts(t, s, FormatJUnit, 6, 4, 1, 1)
	if s.Duration != 4218*time.Millisecond {
		t.Errorf("duration = %s", s.Duration)
	}
	f := s.Failures[0]
	if f.Name != "Member onboarding rejects a duplicate phone number" {
		t.Errorf("failure name = %q (the suite name must not be repeated)", f.Name)
	}
	if !strings.Contains(f.Message, "Expected: 409") || strings.Contains(f.Message, "task_queues") {
		t.Errorf("failure message = %q (want the first lines only)", f.Message)
	}
}

func TestParseTAP14HookFailureAndBailOut(t *testing.T) {
	raw := `TAP version 14
# Subtest: ledger
    ok 1 - opens an account
    ok 2 - records an offer
    1..2
not ok 1 - ledger
  ---
  message: "after hook failed: neo4j session not closed"
  ...
ok 2 - search # SKIP no search space configured
not ok 3 - pending work # TODO later
Bail out! database unreachable
`
	s, err := Parse([]byte(raw))
	if err != nil {
		t.Fatal(err)
	}
	// 2 passing leaves, the failing parent (its children passed: a hook failed),
	// a skip, a todo, and the bail out.
	wantCounts(t, s, FormatTAP, 6, 2, 2, 2)
	if s.Failures[0].Name != "ledger" || s.Failures[0].Message != "after hook failed: neo4j session not closed" {
		t.Errorf("hook failure = %+v", s.Failures[0])
	}
	if s.Failures[1].Message != "database unreachable" {
		t.Errorf("bail out = %+v", s.Failures[1])
	}
}

func TestParseRejectsOutputWithoutAReport(t *testing.T) {
	raw := "\n> credex-core@1.0.0 test:integration\n> jest --config jest.integration.config.js\n\nsh: 1: jest: not found\n"
	if _, err := Parse([]byte(raw)); !errors.Is(err, ErrNoReport) {
		t.Fatalf("err = %v, want ErrNoReport", err)
	}
	if _, err := Parse([]byte("<testsuites><testsuite name=")); err == nil || errors.Is(err, ErrNoReport) {
		t.Fatalf("truncated XML: err = %v, want an XML error", err)
	}
}

func TestEvaluate(t *testing.T) {
	pass := &Suite{Format: FormatTAP, Total: 2, Passed: 2}
	fail := &Suite{Format: FormatTAP, Total: 2, Passed: 1, Failed: 1, Failures: []Failure{{Name: "a > b", Message: "boom\nstack"}}}
	cases := []struct {
		name    string
		out     Output
		s       *Suite
		err     error
		ok      bool
		problem string
	}{
		{"pass", Output{}, pass, nil, true, ""},
		{"failure", Output{ExitCode: 1}, fail, nil, false, "failed: a > b: boom"},
		{"non-zero exit with no failure", Output{ExitCode: 7}, pass, nil, false, "exited 7"},
		{"no tests", Output{}, &Suite{Format: FormatTAP}, nil, false, "ran no tests"},
		{"unreadable report", Output{ExitCode: 1}, nil, ErrNoReport, false, "could not read the test report"},
	}
	for _, tc := range cases {
		ok, problems := Evaluate(tc.out, tc.s, tc.err)
		if ok != tc.ok || (tc.problem != "" && !strings.Contains(strings.Join(problems, "|"), tc.problem)) {
			t.Errorf("%s: ok=%v problems=%v", tc.name, ok, problems)
		}
	}
}
