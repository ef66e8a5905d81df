package testbed

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"github.com/great-sun-group/credex-ci/internal/ecssim"
	"github.com/great-sun-group/credex-ci/internal/rollout"
)

// DetectionGoal is the longest a rollout's outcome may take to be reported
// after ECS settles it (the AWS CLI waiter polls every 15 s).
const DetectionGoal = 3 * time.Second

// DetectionScenarios are the scenarios MeasureOutcomeDetection runs: a
// success, a slow success (3 s between changes, so the watcher backs off to
// its cap) and the two ways the circuit breaker fails a rollout.
var DetectionScenarios = []string{"healthy", "slow", "rollback", "breaker-failed"}

// DetectionStep is the scripted rollouts' step the measurement uses by
// default: real time, so the watcher's cadence (500 ms backing off to 2 s,
// jittered) plays out as in production. The slow rollout's steps are 3
// steps long (ecssim.SlowFactor times the step given to it), so the watcher
// backs off to its cap.
const DetectionStep = time.Second

// DetectionOptions configure MeasureOutcomeDetection; zero fields take the
// production-like defaults.
type DetectionOptions struct {
	// Runs per scenario (default 1), all in parallel, each on its own service.
	Runs int
	// Step is the rollouts' step (default DetectionStep). A test that only
	// checks the verdicts shrinks it, and the watcher's cadence with it, to
	// finish in well under a second; the figures are only meaningful at the
	// default (credex-bench).
	Step time.Duration
	// MinInterval and MaxInterval are the watcher's cadence (default the
	// watcher's own, rollout.DefaultMinInterval and DefaultMaxInterval).
	MinInterval, MaxInterval time.Duration
}

func (o DetectionOptions) stepFor(scenario string) time.Duration {
	step := o.Step
	if step <= 0 {
		step = DetectionStep
	}
	if scenario == "slow" {
		return step * 3 / ecssim.SlowFactor
	}
	return step
}

// DetectionSample is one measured rollout.
type DetectionSample struct {
	Scenario string
	// Outcome is what the watcher reported (and the simulator settled).
	Outcome string
	// Latency is from the simulator settling the rollout to the watcher
	// reporting it.
	Latency time.Duration
}

// MeasureOutcomeDetection runs each of DetectionScenarios o.Runs times on a
// fresh bed (the runs in parallel, each on its own service) and returns one
// sample per run. It fails if the watcher's verdict differs from the
// simulator's.
func MeasureOutcomeDetection(ctx context.Context, o DetectionOptions) ([]DetectionSample, error) {
	if o.Runs < 0 || o.Step < 0 || o.MinInterval < 0 || o.MaxInterval < 0 {
		return nil, fmt.Errorf("measure outcome detection: runs and durations must not be negative (0 means the default), got %+v", o)
	}
	runsPerScenario := max(o.Runs, 1)
	b, err := Start(ctx)
	if err != nil {
		return nil, err
	}
	defer b.Close()
	var (
		wg      sync.WaitGroup
		mu      sync.Mutex
		samples []DetectionSample
		errs    []error
	)
	for _, name := range DetectionScenarios {
		for run := range runsPerScenario {
			wg.Go(func() {
				sample, err := b.measureOnce(ctx, o, name, run)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					errs = append(errs, err)
					return
				}
				samples = append(samples, sample)
			})
		}
	}
	wg.Wait()
	return samples, errors.Join(errs...)
}

func (b *Bed) measureOnce(ctx context.Context, o DetectionOptions, name string, run int) (DetectionSample, error) {
	setup, err := Preset(name, o.stepFor(name))
	if err != nil {
		return DetectionSample{}, err
	}
	setup.Service = fmt.Sprintf("credex-core-service-staging-%s-%d", name, run)
	d, err := b.Deploy(ctx, setup)
	if err != nil {
		return DetectionSample{}, err
	}
	ctx, cancel := context.WithTimeout(ctx, time.Minute)
	defer cancel()
	w := d.Watcher(b)
	w.MinInterval, w.MaxInterval = o.MinInterval, o.MaxInterval
	res, err := w.Watch(ctx)
	if err != nil {
		return DetectionSample{}, fmt.Errorf("%s run %d: %w", name, run, err)
	}
	settled, ok := b.Sim.Settlement(d.Cluster, d.Service, d.TaskDefinition)
	if !ok {
		return DetectionSample{}, fmt.Errorf("%s run %d: the watcher reported %s (%s) but the simulator never settled the rollout", name, run, res.Outcome, res.Reason)
	}
	if string(res.Outcome) != settled.Outcome {
		return DetectionSample{}, fmt.Errorf("%s run %d: the watcher reported %s, the simulator settled %s", name, run, res.Outcome, settled.Outcome)
	}
	return DetectionSample{Scenario: name, Outcome: settled.Outcome, Latency: res.Finished.Sub(settled.At)}, nil
}

// Watcher returns a rollout watcher for the deployment, with the bed's
// clients and default cadence.
func (d *Deployment) Watcher(b *Bed) *rollout.Watcher {
	return &rollout.Watcher{
		ECS: b.ECS(), Logs: b.Logs(),
		Cluster: d.Cluster, Service: d.Service, TaskDefinition: d.TaskDefinition,
		ContainerName: d.ContainerName, LogGroup: d.LogGroup, LogStreamPrefix: d.LogStreamPrefix,
	}
}
