package deploy

import (
	"bytes"
	"context"
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/great-sun-group/credex-ci/internal/report"
)

// clock records the order stages start and finish in.
type clock struct {
	mu     sync.Mutex
	events []string
}

func (c *clock) add(e string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.events = append(c.events, e)
}

func (c *clock) index(e string) int {
	c.mu.Lock()
	defer c.mu.Unlock()
	for i, x := range c.events {
		if x == e {
			return i
		}
	}
	return -1
}

// sleeper is a stage that takes d and records its start and end.
func sleeper(c *clock, name string, d time.Duration, needs ...string) Stage {
	return Stage{Name: name, Needs: needs, Run: func(ctx context.Context) error {
		c.add("start " + name)
		select {
		case <-time.After(d):
		case <-ctx.Done():
			c.add("cancelled " + name)
			return ctx.Err()
		}
		c.add("end " + name)
		return nil
	}}
}

func TestAStageStartsOnlyAfterEverythingItNeeds(t *testing.T) {
	c := &clock{}
	res := Graph{Stages: []Stage{
		sleeper(c, "preflight", 5*time.Millisecond),
		sleeper(c, "tests", 30*time.Millisecond, "preflight"),
		sleeper(c, "build", 10*time.Millisecond, "preflight"),
		sleeper(c, "publish", 5*time.Millisecond, "tests", "build"),
		sleeper(c, "plan", 5*time.Millisecond, "publish"),
	}}.Run(context.Background())
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	for _, order := range [][2]string{
		{"end preflight", "start tests"}, {"end preflight", "start build"},
		{"end tests", "start publish"}, {"end build", "start publish"}, {"end publish", "start plan"},
	} {
		if c.index(order[0]) > c.index(order[1]) {
			t.Errorf("%q came after %q: %v", order[0], order[1], c.events)
		}
	}
	for _, s := range res.Stages {
		if s.Outcome != Passed {
			t.Errorf("%s: %s", s.Name, s.Outcome)
		}
	}
}

func TestIndependentStagesRunAtTheSameTime(t *testing.T) {
	// Three stages that can only finish once all three are running.
	var running atomic.Int32
	all := make(chan struct{})
	meet := func(ctx context.Context) error {
		if running.Add(1) == 3 {
			close(all)
		}
		select {
		case <-all:
			return nil
		case <-ctx.Done():
			return ctx.Err()
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	res := Graph{Stages: []Stage{
		{Name: "tests", Run: meet}, {Name: "build", Run: meet}, {Name: "init", Run: meet},
	}}.Run(ctx)
	if res.Err != nil {
		t.Fatalf("the three stages never ran together: %v", res.Err)
	}
}

func TestAFailingStageCancelsWhatRunsAndStopsWhatFollows(t *testing.T) {
	c := &clock{}
	boom := errors.New("npm test: 2 failing")
	var progress bytes.Buffer
	var published atomic.Bool
	res := Graph{Progress: report.NewProgress(&progress, nil), Stages: []Stage{
		{Name: "tests", Run: func(ctx context.Context) error { time.Sleep(10 * time.Millisecond); return boom }},
		sleeper(c, "build", 10*time.Second),
		{Name: "publish", Needs: []string{"tests", "build"}, Run: func(context.Context) error { published.Store(true); return nil }},
	}}.Run(context.Background())

	var se *StageError
	if !errors.As(res.Err, &se) || se.Stage != "tests" || !errors.Is(res.Err, boom) {
		t.Fatalf("err = %v, want a StageError of tests wrapping the failure", res.Err)
	}
	if !strings.HasPrefix(res.Err.Error(), "tests: ") {
		t.Errorf("the error does not name the stage first: %q", res.Err)
	}
	if got := res.Outcome("build"); got != Cancelled || c.index("cancelled build") < 0 {
		t.Errorf("build = %s (%v), want cancelled", got, c.events)
	}
	if res.Wall > 5*time.Second {
		t.Errorf("the graph waited for the cancelled build: %s", res.Wall)
	}
	if published.Load() || res.Outcome("publish") != NotRun {
		t.Errorf("publish ran after tests failed: %s", res.Outcome("publish"))
	}
	if p := res.Stage("publish"); p.Err == nil || p.Err.Error() != "tests failed" {
		t.Errorf("publish's reason = %v, want `tests failed`", p.Err)
	}
	for _, want := range []string{"✖ tests failed after", "npm test: 2 failing", "■ build cancelled", "(tests failed)"} {
		if !strings.Contains(progress.String(), want) {
			t.Errorf("progress lacks %q:\n%s", want, progress.String())
		}
	}
}

func TestCancellingTheDeployInterruptsTheRunningStage(t *testing.T) {
	c := &clock{}
	ctx, cancel := context.WithCancel(context.Background())
	time.AfterFunc(20*time.Millisecond, cancel)
	res := Graph{Stages: []Stage{
		sleeper(c, "apply", 10*time.Second),
		sleeper(c, "verify", time.Millisecond, "apply"),
	}}.Run(ctx)
	var se *StageError
	if !errors.As(res.Err, &se) || se.Stage != "apply" || !errors.Is(res.Err, context.Canceled) {
		t.Fatalf("err = %v, want apply interrupted by the cancellation", res.Err)
	}
	if res.Outcome("apply") != Cancelled || res.Outcome("verify") != NotRun {
		t.Errorf("apply %s, verify %s", res.Outcome("apply"), res.Outcome("verify"))
	}
}

func TestASkippedStageLetsItsDependentsRun(t *testing.T) {
	c := &clock{}
	res := Graph{Stages: []Stage{
		{Name: "apply", Run: func(context.Context) error { return Skip("the plan has no changes") }},
		sleeper(c, "verify", time.Millisecond, "apply"),
	}}.Run(context.Background())
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if a := res.Stage("apply"); a.Outcome != Skipped || a.Note != "the plan has no changes" {
		t.Errorf("apply = %+v", a)
	}
	if res.Outcome("verify") != Passed {
		t.Errorf("verify %s", res.Outcome("verify"))
	}
}

func TestAPanickingStageFailsTheGraphNotTheProcess(t *testing.T) {
	res := Graph{Stages: []Stage{
		{Name: "plan", Run: func(context.Context) error { var m map[string]int; m["x"]++; return nil }},
	}}.Run(context.Background())
	if res.Outcome("plan") != Failed || res.Err == nil || !strings.Contains(res.Err.Error(), "plan: panic") {
		t.Fatalf("outcome %s, err %v", res.Outcome("plan"), res.Err)
	}
}

func TestABrokenGraphIsRefusedBeforeAnythingRuns(t *testing.T) {
	ran := false
	run := func(context.Context) error { ran = true; return nil }
	for name, stages := range map[string][]Stage{
		"unknown need": {{Name: "plan", Needs: []string{"publish"}, Run: run}},
		"need after":   {{Name: "plan", Needs: []string{"publish"}, Run: run}, {Name: "publish", Run: run}},
		"twice":        {{Name: "plan", Run: run}, {Name: "plan", Run: run}},
		"cycle":        {{Name: "a", Needs: []string{"b"}, Run: run}, {Name: "b", Needs: []string{"a"}, Run: run}},
	} {
		res := Graph{Stages: stages}.Run(context.Background())
		if res.Err == nil || !strings.HasPrefix(res.Err.Error(), "deploy graph: ") {
			t.Errorf("%s: err = %v", name, res.Err)
		}
	}
	if ran {
		t.Error("a stage of a refused graph ran")
	}
}

func TestCriticalPathAndSerialSum(t *testing.T) {
	ms := time.Millisecond
	res := &Timeline{Stages: []StageResult{
		{Name: "preflight", Start: 0, End: 1 * ms},
		{Name: "tests", Needs: []string{"preflight"}, Start: 1 * ms, End: 31 * ms},
		{Name: "build", Needs: []string{"preflight"}, Start: 1 * ms, End: 41 * ms},
		{Name: "init", Needs: []string{"preflight"}, Start: 1 * ms, End: 11 * ms},
		{Name: "publish", Needs: []string{"tests", "build"}, Start: 41 * ms, End: 46 * ms},
		{Name: "plan", Needs: []string{"publish", "init"}, Start: 46 * ms, End: 56 * ms},
	}}
	path, d := res.CriticalPath()
	if got := strings.Join(path, " → "); got != "preflight → build → publish → plan" || d != 56*ms {
		t.Errorf("critical path %s (%s)", got, d)
	}
	if s := res.SerialSum(); s != 96*ms {
		t.Errorf("serial sum %s", s)
	}
}
