// Package deploybench runs the deploy graph (internal/deploy) with simulated
// stages that take the seed pipeline's typical times, scaled down, so the
// orchestration's own cost can be measured: how close the deploy's wall time
// comes to its critical path, next to what the seed's script, one step after
// another, would take. Used by cmd/credex-bench and the package's Go
// benchmark.
package deploybench

import (
	"context"
	"fmt"
	"time"

	"github.com/sourcegraph/conc"

	"github.com/great-sun-group/credex-ci/internal/deploy"
	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/report"
	"github.com/great-sun-group/credex-ci/internal/verify"
)

// Goal is the most the deploy's wall time may exceed its critical path by.
const Goal = 1.1

// Times are how long each step takes.
type Times struct {
	Preflight, UnitTests, Build, Registry, Init, Publish, Plan, Apply time.Duration
	// The verification: the rollout, then the checks concurrently.
	Rollout, Status, Health, Integration, Bench time.Duration
}

// SeedTimes are the steps' typical times in credex-core's seed pipeline on
// a GitHub-hosted runner: the unit tests' cold run as measured on a real
// engine (60 s, issue 7); the others typical of a Node/TypeScript image
// build and ECR push, terraform init/plan/apply of the ECS stack (init with
// a warm provider cache), `aws ecs wait services-stable` through a Fargate
// rolling deployment (5 min), and the seed's checks (the status script,
// curl /health, the jest integration suite, a 30 s autocannon run). Only the
// ratios matter: Run scales them down.
var SeedTimes = Times{
	Preflight: 2 * time.Second, UnitTests: 60 * time.Second, Build: 90 * time.Second, Registry: 20 * time.Second,
	Init: 15 * time.Second, Publish: 30 * time.Second, Plan: 40 * time.Second, Apply: 60 * time.Second,
	Rollout: 300 * time.Second, Status: 2 * time.Second, Health: 5 * time.Second, Integration: 60 * time.Second, Bench: 30 * time.Second,
}

// SeedSerial is what the seed's script takes: every step one after the
// other (build, push, tests, init, plan, apply, wait for the rollout,
// status, health, integration tests, benchmark). It had no preflight and no
// registry step (the repository was made by hand).
func (t Times) SeedSerial() time.Duration {
	return t.Build + t.Publish + t.UnitTests + t.Init + t.Plan + t.Apply + t.Rollout + t.Status + t.Health + t.Integration + t.Bench
}

// Scaled divides every time by factor (e.g. 1000: a second becomes a
// millisecond).
func (t Times) Scaled(factor float64) Times {
	s := func(d time.Duration) time.Duration { return time.Duration(float64(d) / factor) }
	return Times{
		Preflight: s(t.Preflight), UnitTests: s(t.UnitTests), Build: s(t.Build), Registry: s(t.Registry),
		Init: s(t.Init), Publish: s(t.Publish), Plan: s(t.Plan), Apply: s(t.Apply),
		Rollout: s(t.Rollout), Status: s(t.Status), Health: s(t.Health), Integration: s(t.Integration), Bench: s(t.Bench),
	}
}

// Figures are one simulated deploy's timings.
type Figures struct {
	Wall, Critical, Serial, SeedSerial time.Duration
	Path                               []string
}

// Ratio is the wall time over the critical path.
func (f Figures) Ratio() float64 { return float64(f.Wall) / float64(f.Critical) }

// Run deploys once with stages sleeping t's times and returns the figures
// (SeedSerial from the same times).
func Run(ctx context.Context, t Times) (Figures, error) {
	env, err := envs.Lookup("stage")
	if err != nil {
		return Figures{}, err
	}
	env.AccountID, env.Region = "000000000000", envs.DefaultRegion
	res := deploy.Run(ctx, deploy.Options{Env: env, Revision: "0123456789abcdef0123456789abcdef01234567"}, steps{t})
	if res.Err != nil {
		return Figures{}, fmt.Errorf("the simulated deploy failed: %w", res.Err)
	}
	path, critical := res.Timeline.CriticalPath()
	return Figures{Wall: res.Timeline.Wall, Critical: critical, Serial: res.Timeline.SerialSum(), SeedSerial: t.SeedSerial(), Path: path}, nil
}

// steps are deploy.Steps that sleep.
type steps struct{ t Times }

const image = "000000000000.dkr.ecr.af-south-1.amazonaws.com/credex-core-staging@sha256:1111111111111111111111111111111111111111111111111111111111111111"

func sleep(ctx context.Context, d time.Duration) error {
	timer := time.NewTimer(d)
	defer timer.Stop()
	select {
	case <-timer.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func (s steps) Preflight(ctx context.Context) (string, error) {
	return "simulated", sleep(ctx, s.t.Preflight)
}
func (s steps) UnitTests(ctx context.Context) error { return sleep(ctx, s.t.UnitTests) }
func (s steps) Build(ctx context.Context) error     { return sleep(ctx, s.t.Build) }
func (s steps) Registry(ctx context.Context) (string, error) {
	return "simulated", sleep(ctx, s.t.Registry)
}
func (s steps) Init(ctx context.Context) (deploy.Deployed, error) {
	return deploy.Deployed{}, sleep(ctx, s.t.Init)
}
func (s steps) Publish(ctx context.Context) (string, error) { return image, sleep(ctx, s.t.Publish) }
func (s steps) Plan(ctx context.Context, image string) (deploy.Plan, error) {
	return deploy.Plan{Image: image, Changes: 1, Summary: "0 to add, 1 to change, 0 to destroy"}, sleep(ctx, s.t.Plan)
}
func (s steps) Apply(ctx context.Context, _ deploy.Plan) (deploy.Applied, error) {
	return deploy.Applied{TaskDefinition: "credex-core-staging:2"}, sleep(ctx, s.t.Apply)
}

// Verify waits for the rollout, then runs the checks concurrently, as
// internal/verify does.
func (s steps) Verify(ctx context.Context, _ deploy.Target, checks []string) (*report.Report, error) {
	rep := &report.Report{Environment: "stage"}
	if err := sleep(ctx, s.t.Rollout); err != nil {
		return nil, err
	}
	rep.Add(report.Check{Name: verify.CheckRollout, Verdict: report.Pass, Duration: s.t.Rollout})
	took := map[string]time.Duration{verify.CheckStatus: s.t.Status, verify.CheckHealth: s.t.Health, verify.CheckIntegration: s.t.Integration, verify.CheckBench: s.t.Bench}
	var results []report.Check
	for _, name := range checks {
		if d, ok := took[name]; ok {
			results = append(results, report.Check{Name: name, Duration: d, Verdict: report.Pass})
		}
	}
	var wg conc.WaitGroup
	for i := range results {
		wg.Go(func() {
			if sleep(ctx, results[i].Duration) != nil {
				results[i].Verdict = report.Error
			}
		})
	}
	wg.Wait()
	for _, c := range results {
		rep.Add(c)
	}
	return rep, nil
}
