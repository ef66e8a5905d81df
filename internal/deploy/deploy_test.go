package deploy

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/report"
	"github.com/great-sun-group/credex-ci/internal/verify"
)

const (
	revision = "0123456789abcdef0123456789abcdef01234567"
	repo     = "000000000000.dkr.ecr.af-south-1.amazonaws.com/credex-core-staging"
	newImage = repo + "@sha256:1111111111111111111111111111111111111111111111111111111111111111"
	oldImage = repo + "@sha256:0000000000000000000000000000000000000000000000000000000000000000"
)

// fake implements Steps with recorded calls, per-stage errors and delays.
type fake struct {
	mu    sync.Mutex
	calls []string

	fail     map[string]error
	delay    map[string]time.Duration
	previous Deployed
	changes  int
	// verdicts are the verifications' outcomes in call order (default pass).
	verdicts []report.Verdict
	verified []Target
	checks   [][]string
	planned  []string
	// superseded makes the first verification's rollout superseded by a
	// newer deployment (someone else deployed meanwhile).
	superseded bool
}

func newFake() *fake {
	return &fake{
		fail: map[string]error{}, delay: map[string]time.Duration{}, changes: 2,
		previous: Deployed{Image: oldImage, TaskDefinition: "credex-core-staging:6", URL: "https://api.stage.example"},
	}
}

func (f *fake) step(ctx context.Context, name string) error {
	f.mu.Lock()
	f.calls = append(f.calls, name)
	d, err := f.delay[name], f.fail[name]
	f.mu.Unlock()
	select {
	case <-time.After(d):
	case <-ctx.Done():
		return ctx.Err()
	}
	return err
}

func (f *fake) called(name string) int {
	f.mu.Lock()
	defer f.mu.Unlock()
	n := 0
	for _, c := range f.calls {
		if c == name {
			n++
		}
	}
	return n
}

func (f *fake) Preflight(ctx context.Context) (string, error) {
	return "arn:aws:iam::000000000000:user/deployer", f.step(ctx, StagePreflight)
}
func (f *fake) UnitTests(ctx context.Context) error { return f.step(ctx, StageTests) }
func (f *fake) Build(ctx context.Context) error     { return f.step(ctx, StageBuild) }
func (f *fake) Registry(ctx context.Context) (string, error) {
	return repo, f.step(ctx, StageRegistry)
}
func (f *fake) Init(ctx context.Context) (Deployed, error) {
	return f.previous, f.step(ctx, StageInit)
}
func (f *fake) Publish(ctx context.Context) (string, error) {
	return newImage, f.step(ctx, StagePublish)
}
func (f *fake) Plan(ctx context.Context, image string) (Plan, error) {
	f.mu.Lock()
	f.planned = append(f.planned, image)
	f.mu.Unlock()
	return Plan{Image: image, Changes: f.changes, Summary: fmt.Sprintf("0 to add, %d to change, 0 to destroy", f.changes)}, f.step(ctx, StagePlan)
}
func (f *fake) Apply(ctx context.Context, p Plan) (Applied, error) {
	rev := 7
	if p.Image == oldImage {
		rev = 8
	}
	return Applied{TaskDefinition: fmt.Sprintf("arn:aws:ecs:af-south-1:000000000000:task-definition/credex-core-staging:%d", rev), URL: "https://api.stage.example"}, f.step(ctx, StageApply)
}
func (f *fake) Verify(ctx context.Context, t Target, checks []string) (*report.Report, error) {
	f.mu.Lock()
	n := len(f.verified)
	f.verified = append(f.verified, t)
	f.checks = append(f.checks, checks)
	v := report.Pass
	if n < len(f.verdicts) {
		v = f.verdicts[n]
	}
	f.mu.Unlock()
	if err := f.step(ctx, StageVerify); err != nil {
		return nil, err
	}
	rep := &report.Report{Environment: "stage", Target: report.Target{TaskDefinition: t.TaskDefinition, URL: t.URL}}
	for _, c := range checks {
		ch := report.Check{Name: c, Verdict: report.Pass, Summary: c + " ok", Duration: time.Millisecond}
		if c == verify.CheckHealth && v == report.Fail {
			ch.Verdict, ch.Summary = report.Fail, "GET https://api.stage.example/health: HTTP 503"
			ch.Evidence = []string{"# attempt 1: HTTP 503"}
		}
		if f.superseded && n == 0 {
			ch.Verdict, ch.Summary = report.Skip, "skipped: the rollout did not complete (superseded)"
			if c == verify.CheckRollout {
				ch.Verdict, ch.Outcome, ch.Summary = report.Fail, report.Superseded, "superseded: deployment ecs-svc/1 of credex-core-staging:9 replaced deployment ecs-svc/2 of credex-core-staging:7 before it completed"
			}
		}
		rep.Add(ch)
	}
	return rep, nil
}

func stage(t *testing.T) envs.Environment {
	e, err := envs.Lookup("stage")
	if err != nil {
		t.Fatal(err)
	}
	e.AccountID, e.Region = "000000000000", "af-south-1"
	return e
}

func prod(t *testing.T) envs.Environment {
	e, err := envs.Lookup("prod")
	if err != nil {
		t.Fatal(err)
	}
	e.AccountID, e.Region = "000000000000", "af-south-1"
	return e
}

func TestAHealthyDeployRunsTheWholeGraph(t *testing.T) {
	f := newFake()
	f.delay[StageTests], f.delay[StageBuild] = 30*time.Millisecond, 40*time.Millisecond
	res := Run(context.Background(), Options{Env: stage(t), Revision: revision}, f)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	for _, name := range []string{StagePreflight, StageTests, StageBuild, StageRegistry, StageInit, StagePublish, StagePlan, StageApply, StageVerify} {
		if got := res.Timeline.Outcome(name); got != Passed {
			t.Errorf("%s: %s", name, got)
		}
	}
	if f.calls[0] != StagePreflight {
		t.Errorf("preflight is not first: %v", f.calls)
	}
	order := []string{StagePublish, StagePlan, StageApply, StageVerify}
	if got := f.calls[len(f.calls)-4:]; !slices.Equal(got, order) {
		t.Errorf("calls end %v, want %v", got, order)
	}
	if v := f.verified[0]; v.TaskDefinition != "arn:aws:ecs:af-south-1:000000000000:task-definition/credex-core-staging:7" || v.Revision != revision {
		t.Errorf("verified %+v, want the applied task definition and this revision", v)
	}
	if !slices.Equal(f.checks[0], verify.AllChecks) {
		t.Errorf("checks %v", f.checks[0])
	}
	path, _ := res.Timeline.CriticalPath()
	if want := []string{StagePreflight, StageBuild, StagePublish, StagePlan, StageApply, StageVerify}; !slices.Equal(path, want) {
		t.Errorf("critical path %v, want %v (build is the longest of the concurrent four)", path, want)
	}

	md := res.Markdown()
	for _, want := range []string{
		"## ✅ Deployed to stage (staging)",
		"| Image | `" + newImage + "` |",
		"| Task definition | `credex-core-staging:7` |",
		"| URL | https://api.stage.example |",
		"| Previous image | `" + oldImage + "` |",
		"| Plan | 0 to add, 2 to change, 0 to destroy |",
		"| build | preflight | ✅ passed |",
		"★ critical path",
		"Critical path: preflight → build → publish → plan → apply → verify",
		"one stage after another it would take",
		"- Image published to ECR: `" + newImage + "`, tagged `" + revision + "` and `",
		"- Terraform applied (0 to add, 2 to change, 0 to destroy): the service runs task definition `credex-core-staging:7`",
		"### ✅ Verification passed: stage",
		"| health | ✅ pass |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
	// The star marks the critical path's stages only.
	_, stages, _ := strings.Cut(md, "### Stages\n")
	stages, _, _ = strings.Cut(stages, "\nCritical path:")
	for _, l := range strings.Split(strings.TrimSpace(stages), "\n")[2:] {
		name, _, _ := strings.Cut(strings.TrimPrefix(l, "| "), " |")
		if starred := strings.HasSuffix(l, "| ★ critical path |"); starred != slices.Contains(path, name) {
			t.Errorf("stage row %q: starred %t, but the critical path is %v", l, starred, path)
		}
	}
}

func TestFailingUnitTestsPublishNothingAndSayWhatChanged(t *testing.T) {
	f := newFake()
	f.fail[StageTests] = errors.New("the unit tests: `npm test` failed with exit code 1:\nnot ok 3 - transfer rejects a negative amount")
	f.delay[StageTests], f.delay[StageBuild] = 20*time.Millisecond, 5*time.Second
	res := Run(context.Background(), Options{Env: stage(t), Revision: revision}, f)
	if res.FailedStage() != StageTests || !strings.HasPrefix(res.Err.Error(), "unit-tests: ") {
		t.Fatalf("err = %v, want one naming unit-tests", res.Err)
	}
	for _, name := range []string{StagePublish, StagePlan, StageApply, StageVerify} {
		if f.called(name) != 0 || res.Timeline.Outcome(name) != NotRun {
			t.Errorf("%s ran after the unit tests failed (%s)", name, res.Timeline.Outcome(name))
		}
	}
	if res.Timeline.Outcome(StageBuild) != Cancelled || res.Timeline.Wall > 4*time.Second {
		t.Errorf("build %s, wall %s: want the build cancelled at once", res.Timeline.Outcome(StageBuild), res.Timeline.Wall)
	}
	md := res.Markdown()
	for _, want := range []string{
		"## ❌ Deploy to stage (staging) failed at unit-tests",
		"| publish | unit-tests, build, registry | – not run: unit-tests failed |",
		"| build | preflight | ■ cancelled |",
		"### ❌ unit-tests failed",
		"not ok 3 - transfer rejects a negative amount",
		"- No image was pushed.",
		"| verify | apply | – not run: unit-tests failed |",
		"- Terraform was not applied: the ECS service, its task definition and the rest of the stack are as they were (still `" + oldImage + "`).",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
}

func TestProductionNeedsItsConfirmation(t *testing.T) {
	for _, tc := range []struct {
		env     envs.Environment
		confirm string
		refused string
	}{
		{prod(t), "", "needs an explicit confirmation: pass --confirm=prod"},
		{prod(t), "stage", "--confirm=stage does not name the environment being deployed (--env=prod)"},
		{stage(t), "prod", "--confirm=prod does not name the environment being deployed (--env=stage)"},
		{prod(t), "prod", ""},
		{prod(t), "production", ""},
		{stage(t), "", ""},
	} {
		f := newFake()
		res := Run(context.Background(), Options{Env: tc.env, Revision: revision, Confirm: tc.confirm}, f)
		if tc.refused == "" {
			if res.Err != nil {
				t.Errorf("%s --confirm=%q: %v", tc.env.Name, tc.confirm, res.Err)
			}
			continue
		}
		if res.Err == nil || !strings.Contains(res.Err.Error(), tc.refused) || !strings.Contains(res.Err.Error(), "nothing was done") && !strings.Contains(res.Err.Error(), "Nothing was done") {
			t.Errorf("%s --confirm=%q: err = %v, want %q", tc.env.Name, tc.confirm, res.Err, tc.refused)
		}
		if len(f.calls) > 0 {
			t.Errorf("%s --confirm=%q: stages ran before the guard refused: %v", tc.env.Name, tc.confirm, f.calls)
		}
		if md := res.Markdown(); !strings.Contains(md, "refused") || !strings.Contains(md, tc.refused) {
			t.Errorf("summary:\n%s", md)
		}
	}
}

func TestABadRevisionStopsAtPreflight(t *testing.T) {
	f := newFake()
	res := Run(context.Background(), Options{Env: stage(t), Revision: "main"}, f)
	if res.FailedStage() != StagePreflight || !strings.Contains(res.Err.Error(), "--revision=$(git rev-parse HEAD)") {
		t.Fatalf("err = %v", res.Err)
	}
	if len(f.calls) != 0 {
		t.Errorf("stages ran: %v", f.calls)
	}
}

func TestAFailedVerificationRollsBackWhenAsked(t *testing.T) {
	f := newFake()
	f.verdicts = []report.Verdict{report.Fail, report.Pass}
	res := Run(context.Background(), Options{Env: prod(t), Confirm: "prod", Revision: revision, RollbackOnFailure: true}, f)
	if res.FailedStage() != StageVerify || !strings.Contains(res.Err.Error(), "verification failed: health: GET https://api.stage.example/health: HTTP 503") {
		t.Fatalf("err = %v", res.Err)
	}
	if !res.Rollback.Do || res.Rollback.Image != oldImage || !res.RolledBack() {
		t.Fatalf("rollback %+v, rolled back %t", res.Rollback, res.RolledBack())
	}
	if !slices.Equal(f.planned, []string{newImage, oldImage}) {
		t.Errorf("planned %v, want the new image then the previous one", f.planned)
	}
	if got := f.checks[1]; !slices.Equal(got, []string{verify.CheckRollout, verify.CheckStatus, verify.CheckHealth}) {
		t.Errorf("the rollback verified %v", got)
	}
	if v := f.verified[1]; !strings.HasSuffix(v.TaskDefinition, ":8") || v.Revision != "" {
		t.Errorf("the rollback verified %+v, want the rollback's task definition and no revision", v)
	}
	for _, name := range []string{StageRollbackPlan, StageRollbackApply, StageRollbackVerify} {
		if s := res.Timeline.Stage(name); s == nil || s.Outcome != Passed {
			t.Errorf("%s: %+v", name, s)
		}
	}
	if s := res.Timeline.Stage(StageRollbackPlan); !slices.Equal(s.Needs, []string{StageVerify}) || s.Start < res.Timeline.Stage(StageVerify).End {
		t.Errorf("rollback-plan %+v does not follow verify", s)
	}
	md := res.Markdown()
	for _, want := range []string{
		"## ❌ Deploy to prod (production) failed at verify and was rolled back",
		"- Image published to ECR: `" + newImage + "`, tagged `" + revision + "` and `",
		"- Terraform applied (0 to add, 2 to change, 0 to destroy): the service runs task definition `credex-core-staging:7`",
		"- Rolled back: Terraform applied the previous image `" + oldImage + "` (task definition `credex-core-staging:8`) and its rollout completed; state and AWS agree.",
		"### ❌ Verification failed: stage",
		"#### ❌ health: fail",
		"# attempt 1: HTTP 503", // evidence stays as it was
		"### ↩️ Rollback to the previous image\n\n#### ✅ Verification passed: stage",
		"| rollback-verify | rollback-apply | ✅ passed |",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
}

func TestWhenThereIsNoRollbackTheSummarySaysWhy(t *testing.T) {
	for name, tc := range map[string]struct {
		rollback bool
		previous string
		changes  int
		applyErr error
		reason   string
	}{
		"off (stage's default)": {false, oldImage, 2, nil, "no rollback: --rollback-on-failure is off (the default for stage), so the service stays on " + newImage + " for you to look at; to return to the previous image run `dagger call rollback --env=stage --image=" + oldImage + "`"},
		"first deploy":          {true, "", 2, nil, "no rollback: this was the environment's first deploy, so there is no previous image to return to"},
		"nothing applied":       {true, oldImage, 0, nil, "no rollback: this deploy changed nothing (the plan was empty)"},
		"apply failed":          {true, oldImage, 2, errors.New("terraform apply of staging: exit code 1"), "the apply stopped part-way, so nothing was verified"},
	} {
		t.Run(name, func(t *testing.T) {
			f := newFake()
			f.previous.Image, f.changes, f.fail[StageApply] = tc.previous, tc.changes, tc.applyErr
			f.verdicts = []report.Verdict{report.Fail}
			res := Run(context.Background(), Options{Env: stage(t), Revision: revision, RollbackOnFailure: tc.rollback}, f)
			if res.Err == nil || res.Rollback.Do || !strings.Contains(res.Rollback.Reason, tc.reason) {
				t.Fatalf("err %v, decision %+v, want no rollback because %q", res.Err, res.Rollback, tc.reason)
			}
			if len(f.planned) > 1 {
				t.Errorf("planned %v: a rollback ran", f.planned)
			}
			if md := res.Markdown(); !strings.Contains(md, "- Rollback: "+tc.reason) {
				t.Errorf("summary lacks the reason:\n%s", md)
			}
		})
	}
}

// Someone else deployed while this deploy was verified: rolling back would
// undo their deployment, so there is no rollback, whatever
// --rollback-on-failure says.
func TestASupersededVerificationIsNeverRolledBack(t *testing.T) {
	f := newFake()
	f.superseded = true
	res := Run(context.Background(), Options{Env: prod(t), Confirm: "prod", Revision: revision, RollbackOnFailure: true}, f)
	want := "no rollback: a newer deployment replaced this one while it was verified (see the rollout check), and rolling back would undo it; verify the newer one, or deploy again"
	if res.Err == nil || res.Rollback.Do || res.Rollback.Reason != want {
		t.Fatalf("err %v, decision %+v", res.Err, res.Rollback)
	}
	if len(f.planned) != 1 || f.called(StageVerify) != 1 {
		t.Errorf("planned %v, verified %d times: a rollback ran", f.planned, f.called(StageVerify))
	}
}

// Cancelled (Ctrl-C, the job's timeout) while it verified: the new image
// runs, unverified, and the summary says how to go back.
func TestACancelledVerificationSaysHowToRollBack(t *testing.T) {
	f := newFake()
	f.delay[StageVerify] = time.Minute
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	go func() {
		for f.called(StageVerify) == 0 {
			time.Sleep(time.Millisecond)
		}
		cancel()
	}()
	res := Run(ctx, Options{Env: prod(t), Confirm: "prod", Revision: revision, RollbackOnFailure: true}, f)
	if res.FailedStage() != StageVerify || res.Timeline.Outcome(StageVerify) != Cancelled || res.Rollback.Do {
		t.Fatalf("err %v, verify %s, decision %+v", res.Err, res.Timeline.Outcome(StageVerify), res.Rollback)
	}
	want := "- Rollback: no rollback: the deploy was cancelled while it verified, so the service runs " + newImage + " unverified; to return to the previous image run `dagger call rollback --env=prod --confirm=prod --image=" + oldImage + "`."
	if md := res.Markdown(); !strings.Contains(md, want) {
		t.Errorf("summary lacks %q:\n%s", want, md)
	}
}

func TestAnIdenticalRerunAppliesNothingAndVerifiesWhatRuns(t *testing.T) {
	f := newFake()
	f.changes = 0
	res := Run(context.Background(), Options{Env: stage(t), Revision: revision}, f)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if f.called(StageApply) != 0 || res.Timeline.Outcome(StageApply) != Skipped {
		t.Errorf("apply %s (called %d times), want skipped", res.Timeline.Outcome(StageApply), f.called(StageApply))
	}
	if v := f.verified[0]; v.TaskDefinition != "credex-core-staging:6" {
		t.Errorf("verified %+v, want what the stack deployed before", v)
	}
	md := res.Markdown()
	for _, want := range []string{
		"| apply | plan | ↷ skipped: the plan has no changes: the stack already deploys " + newImage,
		"| Task definition | `credex-core-staging:6` |",
		"| Plan | no changes |",
		"- Terraform: nothing to apply; the plan had no changes",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
}

func TestAFailedRollbackSaysWhatIsLeft(t *testing.T) {
	f := newFake()
	f.verdicts = []report.Verdict{report.Fail}
	// The deploy's apply passes; the rollback's fails.
	res := Run(context.Background(), Options{Env: stage(t), Revision: revision, RollbackOnFailure: true}, &failSecondApply{f})
	if res.Timeline.Outcome(StageRollbackApply) != Failed || res.RolledBack() {
		t.Fatalf("rollback-apply %s", res.Timeline.Outcome(StageRollbackApply))
	}
	if res.FailedStage() != StageVerify {
		t.Errorf("the first failure is verify's, got %v", res.Err)
	}
	md := res.Markdown()
	for _, want := range []string{
		"## ❌ Deploy to stage (staging) failed at verify\n",
		"- The rollback's apply stopped part-way: each resource its output reports complete was changed; run `dagger call rollback --env=stage --image=" + oldImage + "` once the error is fixed.",
		"### ❌ rollback-apply failed",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
}

type failSecondApply struct{ *fake }

func (f *failSecondApply) Apply(ctx context.Context, p Plan) (Applied, error) {
	a, err := f.fake.Apply(ctx, p)
	if p.Image == oldImage {
		return Applied{}, errors.New("terraform apply of staging: Error: updating ECS Service: AccessDeniedException")
	}
	return a, err
}

func TestCredentialsNeverReachTheSummaryOrProgress(t *testing.T) {
	const secret = "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY"
	f := newFake()
	f.fail[StagePlan] = errors.New("terraform plan: error configuring provider: secret_key " + secret + " rejected")
	var progress strings.Builder
	res := Run(context.Background(), Options{Env: stage(t), Revision: revision, Redact: []string{secret}, Progress: &syncWriter{w: &progress}}, f)
	if res.FailedStage() != StagePlan {
		t.Fatalf("err %v", res.Err)
	}
	for what, text := range map[string]string{"summary": res.Markdown(), "progress": progress.String()} {
		if strings.Contains(text, secret) {
			t.Errorf("%s leaks the secret:\n%s", what, text)
		}
	}
	// The lines docs/deploy.md shows, in verify's progress format.
	line := regexp.MustCompile(`^\d\d:\d\d:\d\d deploy      (▶|✔|↷|■|✖) `)
	for _, l := range strings.Split(strings.TrimSpace(progress.String()), "\n") {
		if !line.MatchString(l) {
			t.Errorf("progress line %q is not as docs/deploy.md shows", l)
		}
	}
	if !strings.Contains(progress.String(), "✖ plan failed after") {
		t.Errorf("progress:\n%s", progress.String())
	}
}

type syncWriter struct {
	mu sync.Mutex
	w  *strings.Builder
}

func (s *syncWriter) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.w.Write(p)
}

func TestPublishMustReturnADigest(t *testing.T) {
	f := &tagOnly{newFake()}
	res := Run(context.Background(), Options{Env: stage(t), Revision: revision}, f)
	if res.FailedStage() != StagePublish || !strings.Contains(res.Err.Error(), "not an image pinned by digest") || f.called(StagePlan) != 0 {
		t.Errorf("err %v", res.Err)
	}
}

type tagOnly struct{ *fake }

func (f *tagOnly) Publish(ctx context.Context) (string, error) {
	_, err := f.fake.Publish(ctx)
	return repo + ":" + revision, err
}

// The rollback the summary suggests runs as written: production's carries
// --confirm=prod, which rollback requires there.
func TestTheSuggestedRollbackPassesTheGuard(t *testing.T) {
	for _, e := range []envs.Environment{stage(t), prod(t)} {
		cmd := RollbackCommand(e, oldImage)
		confirm := ""
		if _, after, ok := strings.Cut(cmd, "--confirm="); ok {
			confirm, _, _ = strings.Cut(after, " ")
		}
		if err := Guard(e, confirm); err != nil || !strings.HasSuffix(cmd, " --image="+oldImage) {
			t.Errorf("%s: %q: %v", e.Name, cmd, err)
		}
	}
	if got := RollbackCommand(prod(t), ""); got != "dagger call rollback --env=prod --confirm=prod" {
		t.Errorf("without an image: %q", got)
	}
}

func TestARollbackRefusesChecksItDoesNotRun(t *testing.T) {
	for _, ok := range [][]string{nil, {verify.CheckRollout}, {verify.CheckRollout, verify.CheckStatus, verify.CheckHealth}} {
		if err := CheckRollbackChecks(ok); err != nil {
			t.Errorf("%v: %v", ok, err)
		}
	}
	err := CheckRollbackChecks([]string{verify.CheckRollout, verify.CheckBench})
	if err == nil || err.Error() != "--checks: a rollback verifies its rollout with rollout,status,health only, not bench; nothing was done" {
		t.Errorf("err = %v", err)
	}
	res := Rollback(context.Background(), Options{Env: stage(t), Checks: []string{verify.CheckIntegration}}, nil)
	if res.Err == nil || !strings.Contains(res.Err.Error(), "not integration") {
		t.Errorf("Rollback err = %v (it must refuse before calling any step: steps are nil)", res.Err)
	}
}
