package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/great-sun-group/credex-ci/internal/awsconf"
	"github.com/great-sun-group/credex-ci/internal/ecssim"
	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/report"
	"github.com/great-sun-group/credex-ci/internal/testbed"
	"github.com/great-sun-group/credex-ci/internal/verify"
)

// These tests run the deploy against the local test bed (kumo and the ECS
// simulator behind one endpoint, reached by the real aws-sdk-go-v2) with
// real stages wherever the stage is plain Go: the preflight asks STS, the
// apply registers a task definition and updates the service, the
// verification is internal/verify's (rollout watcher, status, GET /health of
// a local app), and the rollback takes the same real path back. What needs
// containers (tests, build, publish) or Terraform is a stand-in here (the
// real terraform applying the bed's stack is terraform_test.go's); the
// Dagger wiring of those is covered by ci/e2e.

// step is the simulator's rollout step: a rollout settles in a few steps.
const step = 60 * time.Millisecond

// image behaviours on the bed: how its rollout goes and how its /health
// answers.
type behaviour struct {
	rollout ecssim.Kind
	health  int // HTTP status of /health
}

// bedSteps implements Steps and RollbackSteps on the test bed.
type bedSteps struct {
	t    *testing.T
	bed  *testbed.Bed
	env  envs.Environment
	app  *httptest.Server
	cfg  aws.Config
	ecs  *ecs.Client
	tags map[string]behaviour // by image

	mu sync.Mutex
	// state is what the stack applied last (Terraform's state).
	state    struct{ image, taskDefinition string }
	running  string // the image /health answers for
	revision map[string]string
	calls    []string
}

func (s *bedSteps) called(name string) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.calls = append(s.calls, name)
}

func (s *bedSteps) Preflight(ctx context.Context) (string, error) {
	s.called(StagePreflight)
	id, err := awsconf.Preflight(ctx, s.cfg, s.env)
	if err != nil {
		return "", err
	}
	return id.ARN, nil
}

// UnitTests stands in for the tests and takes a few milliseconds, longer
// than the other stand-ins, so the summary's critical path (the example in
// docs/deploy.md) goes through the same stages every run.
func (s *bedSteps) UnitTests(ctx context.Context) error {
	s.called(StageTests)
	time.Sleep(5 * time.Millisecond)
	return nil
}
func (s *bedSteps) Build(ctx context.Context) error { s.called(StageBuild); return nil }
func (s *bedSteps) Registry(ctx context.Context) (string, error) {
	s.called(StageRegistry)
	return repo, nil
}

// Init reads what the stack applied last, as its outputs would say.
func (s *bedSteps) Init(ctx context.Context) (Deployed, error) {
	s.called(StageInit)
	s.mu.Lock()
	defer s.mu.Unlock()
	return Deployed{Image: s.state.image, TaskDefinition: s.state.taskDefinition, URL: s.app.URL, Container: s.env.ContainerName()}, nil
}

func (s *bedSteps) current(ctx context.Context) (*ecstypes.TaskDefinition, error) {
	svc, err := s.ecs.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(s.env.ClusterName()), Services: []string{s.env.ServiceName()}})
	if err != nil {
		return nil, err
	}
	out, err := s.ecs.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: svc.Services[0].TaskDefinition})
	if err != nil {
		return nil, err
	}
	return out.TaskDefinition, nil
}

func (s *bedSteps) Publish(ctx context.Context) (string, error) {
	s.called(StagePublish)
	return newImage, nil
}

// Plan has changes when the stack last applied another image, as
// Terraform's plan compares the configuration with its state (not with
// what ECS runs: after a circuit-breaker rollback they differ).
func (s *bedSteps) Plan(ctx context.Context, image string) (Plan, error) {
	s.called(StagePlan)
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.state.image == image {
		return Plan{Image: image, Summary: "no changes"}, nil
	}
	return Plan{Image: image, Changes: 2, Summary: "1 to add, 1 to change, 1 to destroy"}, nil
}

// Apply registers the current task definition again with the plan's
// image and deploys it to the service, as Terraform's apply does.
func (s *bedSteps) Apply(ctx context.Context, p Plan) (Applied, error) {
	s.called(StageApply)
	arn, err := s.deployImage(ctx, p.Image)
	return Applied{TaskDefinition: arn, URL: s.app.URL}, err
}

func (s *bedSteps) deployImage(ctx context.Context, image string) (string, error) {
	td, err := s.current(ctx)
	if err != nil {
		return "", err
	}
	containers := td.ContainerDefinitions
	containers[0].Image = aws.String(image)
	reg, err := s.ecs.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: td.Family, ContainerDefinitions: containers, NetworkMode: td.NetworkMode,
		Cpu: td.Cpu, Memory: td.Memory, RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
	})
	if err != nil {
		return "", err
	}
	b := s.tags[image]
	s.bed.Sim.SetScenario(s.env.ClusterName(), s.env.ServiceName(), ecssim.Scenario{Kind: b.rollout, Step: step})
	arn := aws.ToString(reg.TaskDefinition.TaskDefinitionArn)
	time.Sleep(2 * time.Millisecond) // ECS timestamps are in ms: ours follow the last event
	if _, err := s.ecs.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(s.env.ClusterName()), Service: aws.String(s.env.ServiceName()), TaskDefinition: aws.String(arn)}); err != nil {
		return "", err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.state.image, s.state.taskDefinition = image, arn
	if b.rollout == ecssim.Healthy {
		s.running = image
	}
	return arn, nil
}

func (s *bedSteps) Verify(ctx context.Context, t Target, checks []string) (*report.Report, error) {
	s.called(StageVerify)
	return verifyOnBed(ctx, s.cfg, s.env, t, checks)
}

// verifyOnBed is internal/verify's verification of a target on the bed,
// with the environment's policy cut to a test's waits.
func verifyOnBed(ctx context.Context, cfg aws.Config, env envs.Environment, t Target, checks []string) (*report.Report, error) {
	p, err := verify.PolicyFor(env.Name)
	if err != nil {
		return nil, err
	}
	p.RolloutTimeout, p.HealthAttempts, p.HealthMaxBackoff = 30*time.Second, 2, 50*time.Millisecond
	return verify.Run(ctx, verify.Config{
		Env: env, AWS: cfg, Policy: p, Checks: checks,
		Target: report.Target{TaskDefinition: t.TaskDefinition, URL: t.URL, Revision: t.Revision},
	}), nil
}

func (s *bedSteps) Previous(ctx context.Context, current Deployed) (string, string, error) {
	s.called(StagePrevious)
	return PreviousImage(ctx, s.ecs, current.TaskDefinition, current.Container)
}

// health answers for the image the service runs: its revision, or its
// failure.
func (s *bedSteps) health(w http.ResponseWriter, r *http.Request) {
	s.mu.Lock()
	image := s.running
	status, rev := s.tags[image].health, s.revision[image]
	s.mu.Unlock()
	if status != http.StatusOK {
		http.Error(w, `{"status":"error","error":"LedgerSpace unavailable"}`, status)
		return
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(map[string]any{"status": "ok", "build": map[string]string{"commit": rev}})
}

// newBed starts a bed whose service runs oldImage (healthy), with
// newImage behaving as given.
func newBed(t *testing.T, next behaviour) *bedSteps {
	t.Helper()
	isolateAWS(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	bed, err := testbed.Start(ctx)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bed.Close)
	env := stage(t)
	env.AccountID, env.Region = testbed.AccountID, bed.Region
	s := &bedSteps{t: t, bed: bed, env: env, cfg: bed.Config(), ecs: bed.ECS(),
		tags: map[string]behaviour{
			oldImage: {ecssim.Healthy, http.StatusOK},
			newImage: next,
		},
		revision: map[string]string{oldImage: strings.Repeat("0", 40), newImage: revision},
	}
	s.app = httptest.NewServer(http.HandlerFunc(s.health))
	t.Cleanup(s.app.Close)
	// The service as the bed stages it, then the old image deployed and settled.
	d, err := bed.Deploy(ctx, testbed.Setup{Env: env, Scenario: ecssim.Scenario{Kind: ecssim.Healthy, Step: step}})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := bed.WaitSettled(ctx, d); err != nil {
		t.Fatal(err)
	}
	arn, err := s.deployImage(ctx, oldImage)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := bed.WaitSettled(ctx, &testbed.Deployment{Cluster: d.Cluster, Service: d.Service, TaskDefinition: arn}); err != nil || st.Outcome != "completed" {
		t.Fatalf("the old image did not settle: %+v %v", st, err)
	}
	return s
}

func isolateAWS(t *testing.T) {
	for _, k := range []string{"AWS_PROFILE", "AWS_ENDPOINT_URL", "AWS_ROLE_ARN", "AWS_WEB_IDENTITY_TOKEN_FILE"} {
		t.Setenv(k, "")
	}
}

// runningImage is the image of the service's task definition, from ECS.
func (s *bedSteps) runningImage(t *testing.T) string {
	td, err := s.current(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(td.ContainerDefinitions[0].Image)
}

func deployOn(t *testing.T, s *bedSteps, rollback bool) *Result {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	res := Run(ctx, Options{Env: s.env, Revision: revision, RollbackOnFailure: rollback,
		Checks: []string{verify.CheckRollout, verify.CheckStatus, verify.CheckHealth}}, s)
	t.Logf("deploy summary:\n%s", res.Markdown())
	if path := os.Getenv("CREDEX_DEPLOY_EXAMPLE_DIR"); path != "" {
		_ = os.WriteFile(path+"/"+strings.ReplaceAll(t.Name(), "/", "_")+".md", []byte(res.Markdown()), 0o644)
	}
	return res
}

func TestOnTheTestBedAHealthyDeployRollsOutTheNewImage(t *testing.T) {
	s := newBed(t, behaviour{ecssim.Healthy, http.StatusOK})
	res := deployOn(t, s, true)
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if got := s.runningImage(t); got != newImage {
		t.Errorf("the service runs %s, want %s", got, newImage)
	}
	if c := res.Report.Find(verify.CheckHealth); c == nil || !strings.Contains(c.Summary, "build "+revision) {
		t.Errorf("health: %+v", c)
	}
	if c := res.Report.Find(verify.CheckPreflight); c == nil || c.Verdict != report.Pass {
		t.Errorf("verify's preflight: %+v", c)
	}
	md := res.Markdown()
	for _, want := range []string{"## ✅ Deployed to stage (staging)", "| Task definition | `credex-core-staging:4` |", "| rollout | ✅ pass |", "★ critical path"} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q", want)
		}
	}

	// The same deploy again changes nothing and verifies what runs.
	again := deployOn(t, s, true)
	if again.Err != nil || again.Timeline.Outcome(StageApply) != Skipped {
		t.Fatalf("re-run: err %v, apply %s", again.Err, again.Timeline.Outcome(StageApply))
	}
	if td, _ := s.current(context.Background()); aws.ToString(td.TaskDefinitionArn) != res.Applied.TaskDefinition {
		t.Errorf("the re-run registered %s", aws.ToString(td.TaskDefinitionArn))
	}
}

func TestOnTheTestBedARolloutTheCircuitBreakerRollsBackIsRolledBackThroughTheStack(t *testing.T) {
	s := newBed(t, behaviour{ecssim.CircuitBreakerRollback, http.StatusOK})
	res := deployOn(t, s, true)
	if res.FailedStage() != StageVerify {
		t.Fatalf("err = %v, want verify to fail", res.Err)
	}
	if c := res.Report.Find(verify.CheckRollout); c == nil || c.Verdict != report.Fail || !strings.Contains(c.Summary, "rolled") {
		t.Errorf("rollout: %+v", c)
	}
	if !res.RolledBack() {
		t.Fatalf("not rolled back: %+v; rollback-verify %s", res.Rollback, res.Timeline.Outcome(StageRollbackVerify))
	}
	// The circuit breaker had put ECS back on the old revision; the
	// rollback registers the old image anew, so what Terraform last applied
	// is what runs.
	if got := s.runningImage(t); got != oldImage {
		t.Errorf("the service runs %s, want the previous image", got)
	}
	if td := res.RollbackApplied.TaskDefinition; !strings.HasSuffix(td, ":5") {
		t.Errorf("the rollback applied %s, want a new revision (5)", td)
	}
	md := res.Markdown()
	checkDocExample(t, md)
	for _, want := range []string{
		"failed at verify and was rolled back",
		"- Rolled back: Terraform applied the previous image `" + oldImage + "` (task definition `credex-core-staging:5`) and its rollout completed",
		"### ↩️ Rollback to the previous image",
	} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q", want)
		}
	}
}

func TestOnTheTestBedAFailingHealthCheckIsRolledBack(t *testing.T) {
	s := newBed(t, behaviour{ecssim.Healthy, http.StatusServiceUnavailable})
	res := deployOn(t, s, true)
	if res.FailedStage() != StageVerify || !strings.Contains(res.Err.Error(), "health: GET "+s.app.URL+"/health") {
		t.Fatalf("err = %v, want the health check to fail", res.Err)
	}
	if c := res.Report.Find(verify.CheckRollout); c == nil || c.Verdict != report.Pass {
		t.Errorf("the rollout itself completed: %+v", c)
	}
	if !res.RolledBack() || s.runningImage(t) != oldImage {
		t.Fatalf("rolled back %t, running %s", res.RolledBack(), s.runningImage(t))
	}
	if c := res.RollbackReport.Find(verify.CheckHealth); c == nil || c.Verdict != report.Pass {
		t.Errorf("after the rollback, health: %+v", c)
	}
}

func TestOnTheTestBedWithoutRollbackTheFailedImageStays(t *testing.T) {
	s := newBed(t, behaviour{ecssim.Healthy, http.StatusServiceUnavailable})
	res := deployOn(t, s, false)
	if res.FailedStage() != StageVerify || res.Rollback.Do {
		t.Fatalf("err %v, rollback %+v", res.Err, res.Rollback)
	}
	if got := s.runningImage(t); got != newImage {
		t.Errorf("the service runs %s; without rollback it stays on the new image", got)
	}
	if !strings.Contains(res.Markdown(), "`dagger call rollback --env=stage --image="+oldImage+"`") {
		t.Errorf("the summary does not say how to roll back")
	}
}

func TestOnTheTestBedTheWrongAccountStopsEverythingAtPreflight(t *testing.T) {
	s := newBed(t, behaviour{ecssim.Healthy, http.StatusOK})
	s.env.AccountID = "111111111111"
	res := deployOn(t, s, true)
	if res.FailedStage() != StagePreflight || !errors.Is(res.Err, awsconf.ErrWrongAccount) {
		t.Fatalf("err = %v, want the preflight to refuse the account", res.Err)
	}
	if len(s.calls) != 1 {
		t.Errorf("stages ran after the preflight refused: %v", s.calls)
	}
	if got := s.runningImage(t); got != oldImage {
		t.Errorf("the service runs %s", got)
	}
	md := res.Markdown()
	for _, want := range []string{"are for AWS account 000000000000, but staging deploys to account 111111111111", "Nothing was changed in AWS.", "- No image was pushed."} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q:\n%s", want, md)
		}
	}
}

func TestOnTheTestBedRollbackOnDemandReturnsToThePreviousImage(t *testing.T) {
	s := newBed(t, behaviour{ecssim.Healthy, http.StatusOK})
	if res := deployOn(t, s, false); res.Err != nil {
		t.Fatal(res.Err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	res := Rollback(ctx, Options{Env: s.env, Checks: []string{verify.CheckRollout, verify.CheckStatus, verify.CheckHealth}}, s)
	t.Logf("rollback summary:\n%s", res.Markdown())
	if res.Err != nil {
		t.Fatal(res.Err)
	}
	if got := s.runningImage(t); got != oldImage {
		t.Errorf("the service runs %s, want %s", got, oldImage)
	}
	if res.RollbackFrom != "task definition credex-core-staging:3" {
		t.Errorf("image from %q", res.RollbackFrom)
	}
	md := res.Markdown()
	for _, want := range []string{"## ✅ Rolled back stage (staging) to " + oldImage, "| Image from | task definition credex-core-staging:3 |", "| Rolled back from | `" + newImage + "` |"} {
		if !strings.Contains(md, want) {
			t.Errorf("summary lacks %q", want)
		}
	}

	// Twice returns to where it started, like `git checkout -`.
	again := Rollback(ctx, Options{Env: s.env, Checks: []string{verify.CheckRollout}}, s)
	if again.Err != nil || s.runningImage(t) != newImage {
		t.Errorf("second rollback: %v, running %s", again.Err, s.runningImage(t))
	}
}

func TestPreviousImagePassesOverRevisionsOfTheSameImage(t *testing.T) {
	s := newBed(t, behaviour{ecssim.Healthy, http.StatusOK})
	ctx := context.Background()
	// Two more revisions of the old image (e.g. an environment change).
	for range 2 {
		if _, err := s.deployImage(ctx, oldImage); err != nil {
			t.Fatal(err)
		}
	}
	current, err := s.Init(ctx)
	if err != nil {
		t.Fatal(err)
	}
	image, from, err := PreviousImage(ctx, s.ecs, current.TaskDefinition, s.env.ContainerName())
	if err == nil || !strings.Contains(err.Error(), "not pinned by digest") || !strings.Contains(err.Error(), "credex-core-staging:2") {
		t.Errorf("got %s from %s (%v): want revision 2's tag-only image refused", image, from, err)
	}
	if _, _, err := PreviousImage(ctx, s.ecs, current.TaskDefinition, "sidecar"); err == nil || !strings.Contains(err.Error(), `has no container "sidecar"`) {
		t.Errorf("err = %v", err)
	}
}
