// Package integration runs the app's own integration suite against a deployed
// URL and turns its output (JUnit XML or TAP) into a verdict with evidence.
//
// Counting: Total, Passed, Failed and Skipped count leaf tests (JUnit
// testcases; TAP test points without subtests). A parent that fails while all
// its children pass (a failing hook) counts as one failure. TODO tests count as
// skipped.
package integration

import (
	"bytes"
	"errors"
	"fmt"
	"strings"
	"time"
)

// Formats reported in Suite.Format.
const (
	FormatJUnit = "junit"
	FormatTAP   = "tap"
)

// Suite is a parsed test run.
type Suite struct {
	// Format is FormatJUnit or FormatTAP.
	Format  string `json:"format"`
	Total   int    `json:"total"`
	Passed  int    `json:"passed"`
	Failed  int    `json:"failed"`
	Skipped int    `json:"skipped"`
	// Duration is the run's duration as the reporter states it (0 when it does not).
	Duration time.Duration `json:"duration"`
	Failures []Failure     `json:"failures,omitempty"`
}

// Failure is one failed test.
type Failure struct {
	// Name is the test's full name, parents first, joined by " > ".
	Name string `json:"name"`
	// Message is the assertion message (the first lines of it).
	Message string `json:"message,omitempty"`
}

// ErrNoReport is returned by Parse when the output holds neither JUnit XML nor TAP.
var ErrNoReport = errors.New("no JUnit XML or TAP found in the test output: make `test:integration` report TAP (`node --test --test-reporter=tap`) or JUnit XML (jest with the jest-junit reporter, read through CommandRunner.ReportFile)")

// Parse reads a test report, detecting its format: JUnit XML (jest-junit,
// node --test's junit reporter) or TAP 13/14 (node --test's tap reporter,
// nested subtests). Lines around the report, such as npm's
// `> pkg@1.0.0 test:integration` banner, are ignored.
func Parse(raw []byte) (*Suite, error) {
	if start := junitStart(raw); start >= 0 {
		return parseJUnit(raw[start:])
	}
	s, found := parseTAP(raw)
	if !found {
		return nil, ErrNoReport
	}
	return s, nil
}

// junitStart returns where the XML report begins, or -1.
func junitStart(raw []byte) int {
	i := bytes.Index(raw, []byte("<testsuite"))
	if i < 0 {
		return -1
	}
	if x := bytes.Index(raw[:i], []byte("<?xml")); x >= 0 {
		return x
	}
	return i
}

// Evaluate decides the verdict of a run from its exit code and parsed suite.
// A run fails when the report cannot be parsed, when it holds no tests, when
// any test failed, or when the command exited non-zero (even with no parsed
// failure: a crash after the report, or a reporter that hides failures).
func Evaluate(out Output, s *Suite, parseErr error) (ok bool, problems []string) {
	if parseErr != nil {
		problems = append(problems, "could not read the test report: "+parseErr.Error())
	}
	if s != nil {
		if s.Total == 0 {
			problems = append(problems, "the suite ran no tests: check the test:integration script's file pattern")
		}
		for _, f := range s.Failures {
			msg := "failed: " + f.Name
			if f.Message != "" {
				msg += ": " + firstLine(f.Message)
			}
			problems = append(problems, msg)
		}
		if s.Failed > len(s.Failures) {
			problems = append(problems, fmt.Sprintf("%d more test(s) failed", s.Failed-len(s.Failures)))
		}
	}
	if out.ExitCode != 0 && (s == nil || s.Failed == 0) {
		problems = append(problems, fmt.Sprintf("the test command exited %d although no test failure was reported: see its output", out.ExitCode))
	}
	return len(problems) == 0, problems
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		return s[:i]
	}
	return s
}

// shortMessage keeps the first lines of a failure message, up to its stack trace.
func shortMessage(s string) string {
	const maxLines, maxChars = 6, 600
	var lines []string
	for _, l := range strings.Split(strings.TrimSpace(s), "\n") {
		if len(lines) == maxLines || strings.HasPrefix(strings.TrimSpace(l), "at ") {
			break
		}
		lines = append(lines, strings.TrimRight(l, " \t\r"))
	}
	out := strings.TrimSpace(strings.Join(lines, "\n"))
	if len(out) > maxChars {
		out = out[:maxChars] + "…"
	}
	return out
}
