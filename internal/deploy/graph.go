package deploy

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/sourcegraph/conc"
	"github.com/sourcegraph/conc/panics"

	"github.com/great-sun-group/credex-ci/internal/report"
)

// Stage is one named step of a graph: the stages it needs (which must pass,
// or be skipped, before it starts) and its work.
type Stage struct {
	Name  string
	Needs []string
	Run   func(ctx context.Context) error
}

// Outcome is how a stage ended.
type Outcome string

// Outcomes. A stage that never started is NotRun: a stage it needs failed,
// or the graph was stopped first.
const (
	Passed    Outcome = "passed"
	Failed    Outcome = "failed"
	Skipped   Outcome = "skipped"
	Cancelled Outcome = "cancelled"
	NotRun    Outcome = "not run"
)

// Ran reports whether the stage started.
func (o Outcome) Ran() bool { return o != NotRun }

// SkipError is returned by a stage that decided there is nothing to do (an
// apply of an empty plan): the stages that need it still run.
type SkipError struct{ Reason string }

func (e *SkipError) Error() string { return "skipped: " + e.Reason }

// Skip returns a SkipError.
func Skip(format string, args ...any) error { return &SkipError{Reason: fmt.Sprintf(format, args...)} }

// StageError is a graph's error: the stage that failed first, and why.
type StageError struct {
	Stage string
	Err   error
}

func (e *StageError) Error() string { return e.Stage + ": " + e.Err.Error() }
func (e *StageError) Unwrap() error { return e.Err }

// StageResult is one stage's outcome and timing. Start and End are offsets
// from the graph's start.
type StageResult struct {
	Name       string
	Needs      []string
	Outcome    Outcome
	Start, End time.Duration
	// Err is the stage's error (Failed, Cancelled) or, for NotRun, why it
	// did not start; Note is a skipped stage's reason.
	Err  error
	Note string
}

// Duration is how long the stage ran.
func (s StageResult) Duration() time.Duration { return s.End - s.Start }

// Timeline is a graph's run: every stage's outcome and timing.
type Timeline struct {
	Started time.Time
	// Wall is the time from the graph's start to its last stage's end.
	Wall   time.Duration
	Stages []StageResult
	// Err is nil when every stage passed or was skipped; else a
	// *StageError naming the stage that failed first (or, when the caller
	// cancelled, the first stage the cancellation interrupted).
	Err error
}

// Stage returns the named stage's result, or nil.
func (r *Timeline) Stage(name string) *StageResult {
	for i := range r.Stages {
		if r.Stages[i].Name == name {
			return &r.Stages[i]
		}
	}
	return nil
}

// Outcome is the named stage's outcome; NotRun when it is not in the graph.
func (r *Timeline) Outcome(name string) Outcome {
	if s := r.Stage(name); s != nil {
		return s.Outcome
	}
	return NotRun
}

// SerialSum is the time the stages took added up: what running them one
// after the other would have taken.
func (r *Timeline) SerialSum() time.Duration {
	var sum time.Duration
	for _, s := range r.Stages {
		sum += s.Duration()
	}
	return sum
}

// CriticalPath is the chain of stages, each needing the one before, whose
// durations add up to the most: no scheduler could finish the graph sooner
// than their sum. It returns the names in order and the sum.
func (r *Timeline) CriticalPath() ([]string, time.Duration) {
	// Stages are kept in an order where needs come first (checked by Run).
	best := map[string]time.Duration{}
	prev := map[string]string{}
	end, endAt := "", time.Duration(-1)
	for _, s := range r.Stages {
		var from string
		var longest time.Duration
		for _, n := range s.Needs {
			if d, ok := best[n]; ok && (from == "" || d > longest) {
				from, longest = n, d
			}
		}
		best[s.Name] = longest + s.Duration()
		prev[s.Name] = from
		if best[s.Name] > endAt {
			end, endAt = s.Name, best[s.Name]
		}
	}
	var path []string
	for n := end; n != ""; n = prev[n] {
		path = append(path, n)
	}
	slices.Reverse(path)
	return path, max(endAt, 0)
}

// Then appends a later graph's stages (a rollback run after the main
// graph), their times shifted to this timeline's start; the later graph's
// first stages are shown as needing after. The first error wins.
func (r *Timeline) Then(later *Timeline, after string) {
	shift := later.Started.Sub(r.Started)
	for _, s := range later.Stages {
		s.Start += shift
		s.End += shift
		if len(s.Needs) == 0 && after != "" {
			s.Needs = []string{after}
		}
		r.Stages = append(r.Stages, s)
	}
	r.Wall = max(r.Wall, later.Wall+shift)
	if r.Err == nil {
		r.Err = later.Err
	}
}

// Graph runs stages concurrently, each as soon as the stages it needs have
// passed. The first stage to fail cancels the context of those still running
// and stops those not yet started.
type Graph struct {
	Stages []Stage
	// Progress receives a line when a stage starts and ends (masked: an
	// error may hold a credential); nil discards.
	Progress *report.Progress
}

// Check refuses a graph with a stage named twice, a need that names no
// stage, or a need that comes after its stage (which also rules out
// cycles): the stages must be listed in an order where needs come first.
func (g Graph) Check() error {
	seen := map[string]bool{}
	for _, s := range g.Stages {
		if s.Name == "" || s.Run == nil {
			return fmt.Errorf("deploy graph: a stage has no name or no work")
		}
		if seen[s.Name] {
			return fmt.Errorf("deploy graph: stage %q is listed twice", s.Name)
		}
		for _, n := range s.Needs {
			if !seen[n] {
				return fmt.Errorf("deploy graph: stage %q needs %q, which is not listed before it", s.Name, n)
			}
		}
		seen[s.Name] = true
	}
	return nil
}

// Run runs the graph and returns every stage's outcome. A panic in a stage
// is its failure, not the process's.
func (g Graph) Run(ctx context.Context) *Timeline {
	res := &Timeline{Started: time.Now(), Stages: make([]StageResult, len(g.Stages))}
	for i, s := range g.Stages {
		res.Stages[i] = StageResult{Name: s.Name, Needs: s.Needs, Outcome: NotRun}
	}
	if err := g.Check(); err != nil {
		res.Err = err
		return res
	}
	r := &run{g: g, res: res, done: map[string]chan struct{}{}}
	for _, s := range g.Stages {
		r.done[s.Name] = make(chan struct{})
	}
	var cancel context.CancelCauseFunc
	r.ctx, cancel = context.WithCancelCause(ctx)
	defer cancel(nil)
	r.cancel = cancel

	var wg conc.WaitGroup
	for i := range g.Stages {
		wg.Go(func() { r.stage(i) })
	}
	wg.Wait()

	for _, s := range res.Stages {
		res.Wall = max(res.Wall, s.End)
	}
	if res.Err == nil && ctx.Err() != nil {
		res.Err = &StageError{Stage: r.interrupted(), Err: context.Cause(ctx)}
	}
	return res
}

// run is one Graph.Run's shared state.
type run struct {
	g      Graph
	res    *Timeline
	ctx    context.Context
	cancel context.CancelCauseFunc
	done   map[string]chan struct{}

	mu sync.Mutex // guards res.Err
}

func (r *run) stage(i int) {
	s := r.g.Stages[i]
	out := &r.res.Stages[i]
	defer close(r.done[s.Name])
	for _, n := range s.Needs {
		select {
		case <-r.done[n]:
		case <-r.ctx.Done():
			out.Err = r.stoppedBy()
			return
		}
		// The need's result is final once its channel is closed.
		switch need := r.res.Stage(n); need.Outcome {
		case Passed, Skipped:
		case NotRun:
			out.Err = need.Err // the same reason, back to the stage that failed
			return
		default:
			out.Err = fmt.Errorf("%s %s", n, need.Outcome)
			return
		}
	}
	if r.ctx.Err() != nil {
		out.Err = r.stoppedBy()
		return
	}
	out.Start = time.Since(r.res.Started)
	r.printf("▶ %s", s.Name)
	var err error
	if p := panics.Try(func() { err = s.Run(r.ctx) }); p != nil {
		err = fmt.Errorf("panic: %v", p.Value)
	}
	out.End = time.Since(r.res.Started)
	took := out.Duration().Round(time.Millisecond)
	var skip *SkipError
	switch {
	case err == nil:
		out.Outcome = Passed
		r.printf("✔ %s (%s)", s.Name, took)
	case errors.As(err, &skip):
		out.Outcome, out.Note = Skipped, skip.Reason
		r.printf("↷ %s skipped: %s (%s)", s.Name, skip.Reason, took)
	case r.ctx.Err() != nil:
		// Interrupted by another stage's failure or the caller: whatever
		// the stage says, it did not fail on its own.
		out.Outcome, out.Err = Cancelled, err
		r.printf("■ %s cancelled after %s (%v)", s.Name, took, r.stoppedBy())
	default:
		out.Outcome, out.Err = Failed, err
		r.fail(&StageError{Stage: s.Name, Err: err})
		first, _, _ := strings.Cut(err.Error(), "\n")
		r.printf("✖ %s failed after %s: %s", s.Name, took, first)
	}
}

// fail records the first failure and cancels the rest of the graph.
func (r *run) fail(err *StageError) {
	r.mu.Lock()
	defer r.mu.Unlock()
	if r.res.Err == nil {
		r.res.Err = err
		r.cancel(err)
	}
}

// stoppedBy says why a stage was stopped: the failed stage, or the
// caller's cancellation.
func (r *run) stoppedBy() error {
	cause := context.Cause(r.ctx)
	var se *StageError
	if errors.As(cause, &se) {
		return fmt.Errorf("%s failed", se.Stage)
	}
	return fmt.Errorf("cancelled: %w", cause)
}

// interrupted names the first stage the caller's cancellation cut short.
func (r *run) interrupted() string {
	for _, s := range r.res.Stages {
		if s.Outcome == Cancelled {
			return s.Name
		}
	}
	for _, s := range r.res.Stages {
		if s.Outcome == NotRun {
			return s.Name
		}
	}
	return "deploy"
}

func (r *run) printf(format string, args ...any) {
	r.g.Progress.Printf("deploy", format, args...)
}
