package deploy

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/great-sun-group/credex-ci/internal/tfplan"
	"github.com/great-sun-group/credex-ci/internal/verify"
)

// StagePrevious finds the image an on-demand rollback returns to.
const StagePrevious = "previous-image"

// RollbackSteps are an on-demand rollback's stages.
type RollbackSteps interface {
	Stack
	// Previous finds the image deployed before the current one (see
	// PreviousImage) and the task definition revision it came from.
	Previous(ctx context.Context, current Deployed) (image, from string, err error)
}

// Rollback returns an environment to an earlier image on demand, through
// the stack like any deploy, so state and AWS agree afterwards: preflight,
// terraform init, the image to return to (o.Image, or the one deployed
// before the current one), plan, apply, and the rollout's verification
// (rollout, status and health among o.Checks). Production needs its
// confirmation, as for a deploy.
func Rollback(ctx context.Context, o Options, steps RollbackSteps) *Result {
	d := newDeployment(o, steps)
	res := d.res
	res.OnDemand = true
	if err := CheckRollback(o); err != nil {
		res.Err = err
		return res
	}
	res.Rollback = Decision{Do: true, Image: o.Image, Reason: "on demand"}
	stages := []Stage{
		{Name: StagePreflight, Run: func(ctx context.Context) (err error) {
			res.Caller, err = steps.Preflight(ctx)
			return err
		}},
		{Name: StageInit, Needs: []string{StagePreflight}, Run: func(ctx context.Context) (err error) {
			res.Previous, err = steps.Init(ctx)
			return err
		}},
		{Name: StagePrevious, Needs: []string{StageInit}, Run: func(ctx context.Context) error {
			if res.Rollback.Image != "" {
				res.RollbackFrom = "--image"
				return Skip("--image=%s", res.Rollback.Image)
			}
			image, from, err := steps.Previous(ctx, res.Previous)
			if err != nil {
				return err
			}
			if image == res.Previous.Image {
				return fmt.Errorf("the image found, %s, is the one deployed now: pass --image=<repository>@sha256:<digest>", image)
			}
			res.Rollback.Image, res.RollbackFrom = image, "task definition "+from
			return nil
		}},
	}
	rollback := d.rollbackStages()
	rollback[0].Needs = []string{StagePrevious}
	res.Timeline = Graph{Stages: append(stages, rollback...), Progress: d.progress}.Run(ctx)
	res.Err = res.Timeline.Err
	return res
}

// CheckRollback refuses, before anything runs, what an on-demand rollback
// cannot do: production without its confirmation, checks it does not run,
// an image not pinned by digest. Rollback calls it first; a caller may call
// it earlier, before it prepares the stages.
func CheckRollback(o Options) error {
	if err := Guard(o.Env, o.Confirm); err != nil {
		return err
	}
	if err := CheckRollbackChecks(o.Checks); err != nil {
		return err
	}
	if o.Image != "" {
		return tfplan.CheckImage(o.Image)
	}
	return nil
}

// rollbackCheckNames are the checks a rollback's rollout is verified with:
// the integration suite and the benchmark judge a release, not a return to
// one already judged.
var rollbackCheckNames = []string{verify.CheckRollout, verify.CheckStatus, verify.CheckHealth}

// CheckRollbackChecks refuses, before anything runs, checks a rollback
// does not run, rather than passing over them in silence.
func CheckRollbackChecks(checks []string) error {
	for _, c := range checks {
		if !slices.Contains(rollbackCheckNames, c) {
			return fmt.Errorf("--checks: a rollback verifies its rollout with %s only, not %s; nothing was done", strings.Join(rollbackCheckNames, ","), c)
		}
	}
	return nil
}
