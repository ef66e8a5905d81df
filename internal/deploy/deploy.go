// Package deploy is credex-ci's deploy as one graph: preflight first; then
// the unit tests, the image build, the environment's ECR repository and
// `terraform init` concurrently; publish once the image is built and
// tested; plan with the published digest; apply; verify; and, when
// verification fails after an apply, a rollback to the image deployed
// before, through the same plan and apply. A failing stage cancels what
// still runs and stops what comes after; the result says which stage
// failed, what was changed in AWS and what was not, with per-stage timings
// and the critical path, as Markdown for people (and GitHub's step summary).
//
// The stages themselves are the caller's (Steps): the Dagger module runs
// them in containers, the tests run them against the local test bed or as
// fakes. This package holds only the orchestration, and imports no Dagger.
package deploy

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/report"
	"github.com/great-sun-group/credex-ci/internal/source"
	"github.com/great-sun-group/credex-ci/internal/tfplan"
	"github.com/great-sun-group/credex-ci/internal/verify"
)

// Stage names, as progress lines, the summary and errors print them.
const (
	StagePreflight      = "preflight"
	StageTests          = "unit-tests"
	StageBuild          = "build"
	StageRegistry       = "registry"
	StageInit           = "terraform-init"
	StagePublish        = "publish"
	StagePlan           = "plan"
	StageApply          = "apply"
	StageVerify         = "verify"
	StageRollbackPlan   = "rollback-plan"
	StageRollbackApply  = "rollback-apply"
	StageRollbackVerify = "rollback-verify"
)

// Stack is what a deploy and a rollback both do: check the credentials,
// read what the stack deployed, plan and apply an image, verify.
type Stack interface {
	// Preflight checks the credentials (STS: the account must be the
	// environment's) and the inputs, and says who is deploying.
	Preflight(ctx context.Context) (caller string, err error)
	// Init initialises the Terraform stack and returns what it deployed
	// last (its outputs): the image a rollback returns to.
	Init(ctx context.Context) (Deployed, error)
	// Plan plans the stack with image deployed.
	Plan(ctx context.Context, image string) (Plan, error)
	// Apply applies exactly that plan and returns what the service runs.
	Apply(ctx context.Context, p Plan) (Applied, error)
	// Verify runs the named verification checks against the target.
	Verify(ctx context.Context, t Target, checks []string) (*report.Report, error)
}

// Steps are a deploy's stages as the caller implements them. Run calls
// each at most once (Plan, Apply and Verify once more for a rollback), in
// the graph's order, never before the stages it needs have passed.
type Steps interface {
	Stack
	// UnitTests runs the app's unit tests.
	UnitTests(ctx context.Context) error
	// Build builds the production image.
	Build(ctx context.Context) error
	// Registry makes sure the environment's ECR repository exists (a no-op
	// when it does) and returns its URL.
	Registry(ctx context.Context) (repository string, err error)
	// Publish pushes the built, tested image and returns it pinned by
	// digest (<repository>@sha256:<digest>).
	Publish(ctx context.Context) (image string, err error)
}

// Deployed is what the stack deployed before this deploy (its outputs);
// Image is empty before an environment's first apply.
type Deployed struct {
	Image, TaskDefinition, URL string
	// Container is the app's container in the task definition.
	Container string
}

// Plan is a saved plan's summary.
type Plan struct {
	// Image is the image the plan deploys.
	Image string
	// Changes counts the resources to add, change, replace or destroy;
	// zero means nothing to apply.
	Changes int
	// Summary is one line, e.g. "0 to add, 1 to change, 0 to destroy".
	Summary string
	// Markdown lists the changed resources (tfplan.Summary.Markdown).
	Markdown string
}

// Applied is what the service runs after an apply (the stack's outputs).
type Applied struct {
	TaskDefinition, URL string
}

// Target is what a verification checks.
type Target struct {
	TaskDefinition, URL string
	// Revision is the git SHA the app must report ("" skips that check).
	Revision string
}

// Options configure a deploy.
type Options struct {
	// Env is the environment (envs.Load: account and region filled).
	Env envs.Environment
	// Revision is the git commit SHA deployed: the image's tag and what
	// /health must report.
	Revision string
	// Confirm is --confirm; prod needs --confirm=prod (see Guard).
	Confirm string
	// RollbackOnFailure rolls back when verification fails after an apply
	// (see RollbackOnFailure for its default).
	RollbackOnFailure bool
	// Checks are the verification checks (default all); a rollback's
	// verification runs those of rollout, status and health among them.
	Checks []string
	// Image is, for an on-demand rollback, the image to return to; empty
	// means the one deployed before the current one (PreviousImage).
	Image string
	// Progress receives a line per stage start and end; nil discards.
	Progress io.Writer
	// Redact lists values (credentials) no output may print.
	Redact []string
}

// Result is a deploy: what each stage did and what it changed.
type Result struct {
	Env      envs.Environment
	Revision string
	// Caller is who deployed (preflight); Repository the ECR repository.
	Caller, Repository string
	// Previous is what the stack deployed before; Image what this deploy
	// published.
	Previous Deployed
	Image    string
	Plan     *Plan
	Applied  *Applied
	// Report is the verification's report.
	Report *report.Report
	// Rollback is the decision taken after verification, and what the
	// rollback did when there was one.
	Rollback        Decision
	RollbackPlan    *Plan
	RollbackApplied *Applied
	RollbackReport  *report.Report
	Timeline        *Timeline
	Err             error
	// OnDemand marks an on-demand rollback (Rollback), not a deploy.
	OnDemand bool
	// RollbackFrom is where an on-demand rollback's image came from.
	RollbackFrom   string
	mask           func(string) string
	rollbackChecks []string
}

// OK reports whether the deploy succeeded.
func (r *Result) OK() bool { return r.Err == nil }

// Decision is whether a failed verification is rolled back, and why.
type Decision struct {
	Do bool
	// Image is the image the rollback returns to.
	Image string
	// Reason says why there is, or is no, rollback ("" when verification
	// did not fail).
	Reason string
}

// Run deploys: the guard, then the graph, then the rollback when one is
// decided. It never panics on a stage's panic; the result's Err is nil
// only when every stage passed (or was skipped).
func Run(ctx context.Context, o Options, steps Steps) *Result {
	d := newDeployment(o, steps)
	d.steps = steps
	res := d.res
	if err := Guard(o.Env, o.Confirm); err != nil {
		res.Err = err
		return res
	}
	res.Timeline = Graph{Stages: d.stages(), Progress: d.progress}.Run(ctx)
	res.Err = res.Timeline.Err
	res.Rollback = d.decide(ctx)
	if res.Rollback.Do {
		later := Graph{Stages: d.rollbackStages(), Progress: d.progress}.Run(ctx)
		res.Timeline.Then(later, StageVerify)
	}
	return res
}

func newDeployment(o Options, stack Stack) *deployment {
	masker := &report.Report{}
	masker.Redact(o.Redact...)
	if len(o.Checks) == 0 {
		o.Checks = verify.AllChecks
	}
	res := &Result{Env: o.Env, Revision: o.Revision, mask: masker.Mask}
	for _, c := range rollbackCheckNames {
		if slices.Contains(o.Checks, c) {
			res.rollbackChecks = append(res.rollbackChecks, c)
		}
	}
	if len(res.rollbackChecks) == 0 {
		res.rollbackChecks = []string{verify.CheckRollout}
	}
	return &deployment{o: o, stack: stack, res: res, progress: report.NewProgress(o.Progress, res.mask)}
}

// deployment is one Run's state. Stages write their results into res;
// a stage reads only what the stages it needs wrote, which the graph
// orders before it.
type deployment struct {
	o           Options
	stack       Stack
	steps       Steps // nil for an on-demand rollback
	res         *Result
	progress    *report.Progress
	testsPassed bool
}

func (d *deployment) stages() []Stage {
	r := d.res
	return []Stage{
		{Name: StagePreflight, Run: func(ctx context.Context) (err error) {
			if err := source.ValidateRevision(d.o.Revision); err != nil {
				return fmt.Errorf("%w; it tags the image and /health must report it", err)
			}
			r.Caller, err = d.stack.Preflight(ctx)
			return err
		}},
		{Name: StageTests, Needs: []string{StagePreflight}, Run: func(ctx context.Context) error {
			if err := d.steps.UnitTests(ctx); err != nil {
				return err
			}
			d.testsPassed = true
			return nil
		}},
		{Name: StageBuild, Needs: []string{StagePreflight}, Run: d.steps.Build},
		{Name: StageRegistry, Needs: []string{StagePreflight}, Run: func(ctx context.Context) (err error) {
			r.Repository, err = d.steps.Registry(ctx)
			return err
		}},
		{Name: StageInit, Needs: []string{StagePreflight}, Run: func(ctx context.Context) (err error) {
			r.Previous, err = d.stack.Init(ctx)
			return err
		}},
		{Name: StagePublish, Needs: []string{StageTests, StageBuild, StageRegistry}, Run: func(ctx context.Context) error {
			image, err := d.steps.Publish(ctx)
			if err != nil {
				return err
			}
			if !tfplan.Pinned(image) {
				return fmt.Errorf("publish returned %q, not an image pinned by digest (<repository>@sha256:<digest>)", image)
			}
			r.Image = image
			return nil
		}},
		{Name: StagePlan, Needs: []string{StagePublish, StageInit}, Run: func(ctx context.Context) error {
			// Deploy only the image built and tested in this run.
			if !d.testsPassed || r.Image == "" {
				return errors.New("refusing to plan an image whose unit tests did not pass in this run")
			}
			p, err := d.stack.Plan(ctx, r.Image)
			if err != nil {
				return err
			}
			if p.Image != "" && p.Image != r.Image {
				return fmt.Errorf("the plan deploys %s, not %s, the image this run built, tested and published", p.Image, r.Image)
			}
			p.Image = r.Image
			r.Plan = &p
			return nil
		}},
		{Name: StageApply, Needs: []string{StagePlan}, Run: func(ctx context.Context) error {
			return d.apply(ctx, r.Plan, &r.Applied)
		}},
		{Name: StageVerify, Needs: []string{StageApply}, Run: func(ctx context.Context) (err error) {
			r.Report, err = d.stack.Verify(ctx, d.target(r.Applied, d.o.Revision), d.o.Checks)
			return verdict(r.Report, err)
		}},
	}
}

// rollbackStages plan and apply the image of the rollback decision
// (decided before they run) and wait for its rollout.
func (d *deployment) rollbackStages() []Stage {
	r := d.res
	return []Stage{
		{Name: StageRollbackPlan, Run: func(ctx context.Context) error {
			p, err := d.stack.Plan(ctx, r.Rollback.Image)
			if err != nil {
				return err
			}
			p.Image = r.Rollback.Image
			r.RollbackPlan = &p
			return nil
		}},
		{Name: StageRollbackApply, Needs: []string{StageRollbackPlan}, Run: func(ctx context.Context) error {
			return d.apply(ctx, r.RollbackPlan, &r.RollbackApplied)
		}},
		{Name: StageRollbackVerify, Needs: []string{StageRollbackApply}, Run: func(ctx context.Context) (err error) {
			// The previous image's git SHA is not known here: no revision check.
			r.RollbackReport, err = d.stack.Verify(ctx, d.target(r.RollbackApplied, ""), r.rollbackChecks)
			return verdict(r.RollbackReport, err)
		}},
	}
}

// apply applies a plan, or skips an empty one, and records what the
// service runs.
func (d *deployment) apply(ctx context.Context, p *Plan, applied **Applied) error {
	if p.Changes == 0 {
		return Skip("the plan has no changes: the stack already deploys %s", p.Image)
	}
	a, err := d.stack.Apply(ctx, *p)
	if err != nil {
		return err
	}
	*applied = &a
	return nil
}

// target is what to verify: the applied stack, or (nothing applied) what
// the stack deployed before, which is then what runs.
func (d *deployment) target(a *Applied, revision string) Target {
	t := Target{TaskDefinition: d.res.Previous.TaskDefinition, URL: d.res.Previous.URL, Revision: revision}
	if a != nil {
		if a.TaskDefinition != "" {
			t.TaskDefinition = a.TaskDefinition
		}
		if a.URL != "" {
			t.URL = a.URL
		}
	}
	return t
}

// verdict turns a verification into a stage's error.
func verdict(rep *report.Report, err error) error {
	if err != nil {
		return err
	}
	if rep == nil {
		return errors.New("the verification returned no report")
	}
	if rep.OK() {
		return nil
	}
	var failed []string
	for _, c := range rep.Checks {
		if c.Verdict.Failed() {
			failed = append(failed, c.Name+": "+firstLine(rep.Mask(c.Summary)))
		}
	}
	return fmt.Errorf("verification failed: %s", strings.Join(failed, "; "))
}

// decide is the rollback decision, taken once the graph has run.
func (d *deployment) decide(ctx context.Context) Decision {
	t, r := d.res.Timeline, d.res
	prev := r.Previous.Image
	back := RollbackCommand(d.o.Env, prev)
	switch {
	case t.Outcome(StageApply) == Failed || t.Outcome(StageApply) == Cancelled:
		return Decision{Reason: "the apply stopped part-way, so nothing was verified; run plan to see what is left, or `" + back + "` to return to the previous image"}
	case t.Outcome(StageVerify) == Cancelled && t.Outcome(StageApply) == Passed:
		return Decision{Reason: fmt.Sprintf("no rollback: the deploy was cancelled while it verified, so the service runs %s unverified; to return to the previous image run `%s`", r.Image, back)}
	case t.Outcome(StageVerify) != Failed:
		return Decision{}
	case t.Outcome(StageApply) == Skipped:
		return Decision{Reason: "no rollback: this deploy changed nothing (the plan was empty), so what failed verification was already deployed before it"}
	case r.Report != nil && r.Report.SupersededBy() != nil:
		return Decision{Reason: "no rollback: a newer deployment replaced this one while it was verified (see the rollout check), and rolling back would undo it; verify the newer one, or deploy again"}
	case ctx.Err() != nil:
		return Decision{Reason: "no rollback: the deploy was cancelled; to return to the previous image run `" + back + "`"}
	case !d.o.RollbackOnFailure:
		return Decision{Reason: fmt.Sprintf("no rollback: --rollback-on-failure is off (the default for %s), so the service stays on %s for you to look at; to return to the previous image run `%s`", d.o.Env.Name, r.Image, back)}
	case prev == "":
		return Decision{Reason: "no rollback: this was the environment's first deploy, so there is no previous image to return to"}
	case prev == r.Image:
		return Decision{Reason: "no rollback: the image deployed before is this same image"}
	}
	return Decision{Do: true, Image: prev, Reason: "verification failed after the apply: rolling back to " + prev + ", the image deployed before"}
}

// RollbackCommand is the command that returns e to image (the one before
// the current one when empty), as the summary suggests it: production's
// needs --confirm=prod, like every rollback there (Guard).
func RollbackCommand(e envs.Environment, image string) string {
	cmd := "dagger call rollback --env=" + e.Name
	if e.Protected {
		cmd += " --confirm=" + e.Name
	}
	if image != "" {
		cmd += " --image=" + image
	}
	return cmd
}

func firstLine(s string) string {
	first, _, _ := strings.Cut(strings.TrimSpace(s), "\n")
	return first
}
