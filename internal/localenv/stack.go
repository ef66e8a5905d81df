package localenv

import (
	"github.com/great-sun-group/credex-ci/internal/redact"

	"errors"
	"fmt"
	"regexp"
	"strings"
	"sync"
	"time"
)

// Parts of a local stack, in the order they are reported. The unit tests,
// the image and the databases are made concurrently; the app starts when
// they are ready.
const (
	PartUnitTests = "unit tests"
	PartImage     = "image"
	PartApp       = "app"
)

// Parts lists every part's name in report order.
func Parts() []string {
	ps := []string{PartUnitTests, PartImage}
	for _, d := range Databases() {
		ps = append(ps, d.Name)
	}
	return append(ps, PartApp)
}

// PartState is how far a part got.
type PartState string

// States of a part.
const (
	Ready      PartState = "ready"
	Failed     PartState = "failed"
	NotReached PartState = "not reached"
)

var partIcons = map[PartState]string{Ready: "✅", Failed: "❌", NotReached: "⏭️"}

// Part is one part's outcome.
type Part struct {
	Name  string
	State PartState
	// Summary says what it is or what went wrong, in one line.
	Summary string
	// Evidence is what a person needs to see to believe a failure: an exit
	// code, the last lines of a log.
	Evidence []string
	Took     time.Duration
}

// Stack records how each part of a local deploy went, safely from
// concurrent goroutines, and renders it. Secret values registered with
// Redact never appear in what it renders.
type Stack struct {
	mu      sync.Mutex
	parts   map[string]*Part
	secrets redact.Values
}

// NewStack is a stack with every part not reached yet.
func NewStack() *Stack {
	s := &Stack{parts: map[string]*Part{}}
	for _, n := range Parts() {
		s.parts[n] = &Part{Name: n, State: NotReached}
	}
	return s
}

// Redact registers values (passwords, keys) to replace by *** wherever the
// stack is rendered, longest first (a value inside another is not left
// half-shown).
func (s *Stack) Redact(values ...string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.secrets.Add(values...)
}

// Ready marks a part ready.
func (s *Stack) Ready(name, summary string, took time.Duration) {
	s.set(Part{Name: name, State: Ready, Summary: summary, Took: took})
}

// Skip leaves a part out on purpose, saying why.
func (s *Stack) Skip(name, summary string) {
	s.set(Part{Name: name, State: NotReached, Summary: summary})
}

// Fail marks a part failed, with its evidence.
func (s *Stack) Fail(name, summary string, took time.Duration, evidence ...string) {
	s.set(Part{Name: name, State: Failed, Summary: summary, Took: took, Evidence: evidence})
}

func (s *Stack) set(p Part) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if _, ok := s.parts[p.Name]; !ok {
		panic("localenv: unknown part " + p.Name)
	}
	s.parts[p.Name] = &p
}

// Part returns a copy of a part's outcome.
func (s *Stack) Part(name string) Part {
	s.mu.Lock()
	defer s.mu.Unlock()
	return *s.parts[name]
}

// Failed lists the failed parts' names in report order.
func (s *Stack) Failed() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var names []string
	for _, n := range Parts() {
		if s.parts[n].State == Failed {
			names = append(names, n)
		}
	}
	return names
}

func (s *Stack) mask(text string) string { return s.secrets.Replace(text) }

// Markdown renders the stack: a table of parts, then each failure's
// evidence.
func (s *Stack) Markdown() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var b strings.Builder
	b.WriteString("## Local stack\n\n| Part | State | Took | Summary |\n| --- | --- | --- | --- |\n")
	for _, n := range Parts() {
		p := s.parts[n]
		took := "–"
		if p.Took > 0 {
			took = p.Took.Round(100 * time.Millisecond).String()
		}
		fmt.Fprintf(&b, "| %s | %s %s | %s | %s |\n", p.Name, partIcons[p.State], p.State, took, cell(s.mask(p.Summary)))
	}
	for _, n := range Parts() {
		if p := s.parts[n]; p.State == Failed {
			s.writeFailure(&b, p)
		}
	}
	return b.String()
}

// writeFailure renders a failed part's summary and evidence.
func (s *Stack) writeFailure(b *strings.Builder, p *Part) {
	fmt.Fprintf(b, "\n### ❌ %s\n\n%s\n", p.Name, s.mask(p.Summary))
	if len(p.Evidence) > 0 {
		b.WriteString("\n```text\n")
		for _, e := range p.Evidence {
			b.WriteString(strings.ReplaceAll(s.mask(e), "```", "'''"))
			b.WriteString("\n")
		}
		b.WriteString("```\n")
	}
}

// ErrOf is Err for some parts only (e.g. the databases, when nothing else
// was started): nil when none of them failed, otherwise their failures.
func (s *Stack) ErrOf(names ...string) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	var failed []string
	var b strings.Builder
	for _, n := range names {
		if p := s.parts[n]; p != nil && p.State == Failed {
			failed = append(failed, n)
			s.writeFailure(&b, p)
		}
	}
	if len(failed) == 0 {
		return nil
	}
	return errors.New(strings.Join(failed, ", ") + " failed:\n" + b.String())
}

// Err is nil when no part failed; otherwise an error that names the failed
// parts first and carries the whole rendering.
func (s *Stack) Err() error {
	failed := s.Failed()
	if len(failed) == 0 {
		return nil
	}
	return errors.New("the local stack failed at " + strings.Join(failed, ", ") + ":\n\n" + s.Markdown())
}

func cell(text string) string {
	text = strings.ReplaceAll(text, "|", `\|`)
	return strings.ReplaceAll(text, "\n", "<br>")
}

// Tail is the last n non-empty lines of a process's output (stdout, then
// stderr), for evidence.
func Tail(n int, outputs ...string) []string {
	var lines []string
	for _, o := range outputs {
		for _, l := range strings.Split(o, "\n") {
			if l = strings.TrimRight(l, "\r "); l != "" {
				lines = append(lines, l)
			}
		}
	}
	if len(lines) > n {
		lines = lines[len(lines)-n:]
	}
	return lines
}

// testCount finds the number of tests in node --test's summary (TAP's
// "# tests 34" or the spec reporter's "ℹ tests 34").
var testCount = regexp.MustCompile(`(?m)^\S* ?tests (\d+)\s*$`)

// UnitTestsSummary is the unit-tests part's summary of a passing run's
// output: "34 tests passed" when node --test's summary gives the count,
// else "passed".
func UnitTestsSummary(output string) string {
	if n := testCount.FindStringSubmatch(output); n != nil {
		return n[1] + " tests passed"
	}
	return "passed"
}

// CheckPassword refuses a chosen database password Neo4j would refuse at
// start-up, or one NEO4J_AUTH cannot carry.
func CheckPassword(p string) error {
	switch {
	case len(p) < 8:
		return errors.New("--neo4j-password: Neo4j needs at least 8 characters")
	case strings.ContainsAny(p, "\n\r"):
		return errors.New("--neo4j-password: must be one line")
	}
	return nil
}
