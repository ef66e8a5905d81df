package deploy

import (
	"context"
	"encoding/json"
	"errors"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/great-sun-group/credex-ci/internal/awsconf"
	"github.com/great-sun-group/credex-ci/internal/ecssim"
	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/report"
	"github.com/great-sun-group/credex-ci/internal/rollout"
	"github.com/great-sun-group/credex-ci/internal/testbed"
	"github.com/great-sun-group/credex-ci/internal/tfplan"
	"github.com/great-sun-group/credex-ci/internal/tfrun"
	"github.com/great-sun-group/credex-ci/internal/verify"
)

// A deploy whose Terraform stages are the real terraform binary with the
// AWS provider (internal/tfrun) applying the test bed's stack
// (internal/testbed/stack) to the bed, as the Dagger module runs them in
// containers: init with the S3 backend, plan with the published digest,
// show -json, apply exactly that plan, output -json, read through the same
// functions (ReadDeployed, PlanOf, ReadApplied). The unit tests, the build
// and publish are stand-ins (the bed's ECS runs no container, so no image
// is needed); the verification is internal/verify's.

// tfSteps implements Steps with Terraform on the bed.
type tfSteps struct {
	t    *testing.T
	bed  *testbed.Bed
	env  envs.Environment
	tf   *tfrun.Terraform
	dir  string                 // a private copy of the bed's stack
	next string                 // the image publish returns
	kind map[string]ecssim.Kind // how each image's rollout goes
	// driftBeforeRollback is the drift check run when the deploy's own
	// verification failed, before any rollback.
	driftBeforeRollback *tfplan.Drift
}

// terraform runs a command in the stack (sub: "" or registry) and returns
// its stdout.
func (s *tfSteps) terraform(ctx context.Context, sub string, args ...string) (string, error) {
	r, err := s.tf.Run(ctx, filepath.Join(s.dir, sub), s.bed.TerraformEnv(), args...)
	return r.Stdout, err
}

func (s *tfSteps) Preflight(ctx context.Context) (string, error) {
	id, err := awsconf.Preflight(ctx, s.bed.Config(), s.env)
	if err != nil {
		return "", err
	}
	return id.ARN, nil
}

func (s *tfSteps) UnitTests(ctx context.Context) error { return nil }
func (s *tfSteps) Build(ctx context.Context) error     { return nil }

// Registry is the repository the test made (the registry stack's own apply
// against the bed is internal/testbed's TestStackAppliesAgainstTheBed).
func (s *tfSteps) Registry(ctx context.Context) (string, error) { return repo, nil }

func (s *tfSteps) Publish(ctx context.Context) (string, error) { return s.next, nil }

func (s *tfSteps) Init(ctx context.Context) (Deployed, error) {
	args, _ := s.env.TerraformInit(envs.StackMain, testbed.StateBucket, true)
	if _, err := s.terraform(ctx, "", args[1:]...); err != nil {
		return Deployed{}, err
	}
	js, err := s.terraform(ctx, "", "output", "-json")
	if err != nil {
		return Deployed{}, err
	}
	d, _, err := ReadDeployed(s.env, []byte(js))
	return d, err
}

func (s *tfSteps) Plan(ctx context.Context, image string) (Plan, error) {
	if _, err := s.terraform(ctx, "", "plan", "-input=false", "-var-file="+s.env.TFVarsFile, "-var=image="+image, "-out=tfplan"); err != nil {
		return Plan{}, err
	}
	js, err := s.terraform(ctx, "", "show", "-json", "tfplan")
	if err != nil {
		return Plan{}, err
	}
	p, err := tfplan.Parse([]byte(js))
	if err != nil {
		return Plan{}, err
	}
	if err := tfplan.GuardData(p); err != nil {
		return Plan{}, err
	}
	return PlanOf(image, tfplan.Summarize(p)), nil
}

// Apply scripts the bed's rollout of the plan's image, then applies the
// saved plan.
func (s *tfSteps) Apply(ctx context.Context, p Plan) (Applied, error) {
	s.bed.Sim.SetScenario(s.env.ClusterName(), s.env.ServiceName(), ecssim.Scenario{Kind: s.kind[p.Image], Step: step})
	if _, err := s.terraform(ctx, "", "apply", "-input=false", "tfplan"); err != nil {
		return Applied{}, err
	}
	js, err := s.terraform(ctx, "", "output", "-json")
	if err != nil {
		return Applied{}, err
	}
	a, _, err := ReadApplied(s.env, []byte(js))
	return a, err
}

func (s *tfSteps) Verify(ctx context.Context, t Target, checks []string) (*report.Report, error) {
	rep, err := verifyOnBed(ctx, s.bed.Config(), s.env, t, checks)
	if err != nil {
		return nil, err
	}
	if !rep.OK() && t.Revision != "" {
		// The deploy's own verification failed: before any rollback, what
		// does Terraform see?
		d := s.drift(s.next)
		s.driftBeforeRollback = &d
	}
	return rep, nil
}

func (s *tfSteps) Previous(ctx context.Context, current Deployed) (string, string, error) {
	return PreviousImage(ctx, s.bed.ECS(), current.TaskDefinition, current.Container)
}

// drift is what `drift --env --image` reports: a plan of the image the
// stack deployed last, with -detailed-exitcode.
func (s *tfSteps) drift(image string) tfplan.Drift {
	s.t.Helper()
	ctx := context.Background()
	r, _ := s.tf.Run(ctx, s.dir, s.bed.TerraformEnv(), "plan", "-input=false", "-detailed-exitcode", "-var-file="+s.env.TFVarsFile, "-var=image="+image, "-out=drift.tfplan")
	var planJSON []byte
	if r.ExitCode == 2 {
		js, err := s.terraform(ctx, "", "show", "-json", "drift.tfplan")
		if err != nil {
			s.t.Fatal(err)
		}
		planJSON = []byte(js)
	}
	d, err := tfplan.DetectDrift(r.ExitCode, planJSON, r.Stderr)
	if err != nil {
		s.t.Fatal(err)
	}
	return d
}

// runningImage is the image of the task definition ECS runs.
func (s *tfSteps) runningImage(t *testing.T) (string, string) {
	svc, err := s.bed.ECS().DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String(s.env.ClusterName()), Services: []string{s.env.ServiceName()}})
	if err != nil {
		t.Fatal(err)
	}
	arn := aws.ToString(svc.Services[0].TaskDefinition)
	td, err := s.bed.ECS().DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(arn)})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(td.TaskDefinition.ContainerDefinitions[0].Image), rollout.ShortTaskDefinition(arn)
}

// After a rollout that ECS's circuit breaker rolled back, ECS runs the old
// task definition while Terraform's state names the new one: drift. The
// deploy's rollback goes through Terraform (plan and apply of the previous
// image), so afterwards the state and AWS agree and drift is clean.
func TestThroughTerraformACircuitBreakerRollbackLeavesNoDrift(t *testing.T) {
	tf, err := tfrun.ForStack("../../terraform/.terraform.lock.hcl", t.TempDir())
	if err != nil {
		t.Skip(err) // make test-terraform fails on it instead
	}
	isolateAWS(t)
	bed, err := testbed.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bed.Close)
	dir := t.TempDir()
	if err := tfrun.CopyStack("../testbed/stack", dir); err != nil {
		t.Fatal(err)
	}
	// The stand-in app the health check asks: it reports the revision.
	app := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		_ = json.NewEncoder(w).Encode(map[string]any{"status": "ok", "build": map[string]string{"commit": revision}})
	}))
	t.Cleanup(app.Close)
	vars, err := os.OpenFile(filepath.Join(dir, "environments", "staging.tfvars"), os.O_APPEND|os.O_WRONLY, 0)
	if err != nil {
		t.Fatal(err)
	}
	_, err = vars.WriteString("api_url = \"" + app.URL + "\"\n")
	if err := errors.Join(err, vars.Close()); err != nil {
		t.Fatal(err)
	}
	env, err := envs.Load(os.DirFS(dir), "stage")
	if err != nil {
		t.Fatal(err)
	}
	if err := bed.ResetStack(t.Context(), env); err != nil {
		t.Fatal(err)
	}
	// The stack looks its repository up, as the real one does.
	if _, err := ecr.NewFromConfig(bed.Config()).CreateRepository(t.Context(), &ecr.CreateRepositoryInput{RepositoryName: aws.String(env.RepositoryName())}); err != nil {
		t.Fatal(err)
	}
	image1 := repo + "@sha256:" + strings.Repeat("1", 64)
	image2 := repo + "@sha256:" + strings.Repeat("2", 64)
	s := &tfSteps{t: t, bed: bed, env: env, tf: tf, dir: dir,
		kind: map[string]ecssim.Kind{image1: ecssim.Healthy, image2: ecssim.CircuitBreakerRollback}}
	checks := []string{verify.CheckRollout, verify.CheckStatus, verify.CheckHealth}
	deploy := func(image string) *Result {
		s.next = image
		ctx, cancel := context.WithTimeout(t.Context(), 3*time.Minute)
		defer cancel()
		res := Run(ctx, Options{Env: env, Revision: revision, RollbackOnFailure: true, Checks: checks}, s)
		t.Logf("deploy of %s:\n%s", image, res.Markdown())
		return res
	}

	// The environment's first deploy.
	if res := deploy(image1); res.Err != nil {
		t.Fatal(res.Err)
	}

	// A deploy whose rollout the circuit breaker rolls back.
	res := deploy(image2)
	if res.FailedStage() != StageVerify || !res.RolledBack() {
		t.Fatalf("want verify to fail and the deploy rolled back: err %v, rollback %+v", res.Err, res.Rollback)
	}
	if c := res.Report.Find(verify.CheckRollout); c == nil || c.Outcome != "rolled-back" {
		t.Errorf("rollout: %+v", c)
	}
	// Before the rollback, the state named image2's revision (2) while ECS
	// ran revision 1 again: Terraform saw it.
	if d := s.driftBeforeRollback; d == nil || !d.Drifted || !strings.Contains(d.Text(), "aws_ecs_service.this") {
		t.Errorf("before the rollback, drift should name the service the circuit breaker moved back: %+v", d)
	}
	// The rollback planned and applied image1 again: a new revision (3).
	if got := res.RollbackApplied; got == nil || !strings.HasSuffix(got.TaskDefinition, "task-definition/credex-core-staging:3") {
		t.Errorf("the rollback applied %+v, want revision 3", got)
	}
	if image, td := s.runningImage(t); image != image1 || td != "credex-core-staging:3" {
		t.Errorf("ECS runs %s (%s), want %s in revision 3", image, td, image1)
	}
	if d := s.drift(image1); d.Drifted {
		t.Errorf("after the rollback, state and AWS disagree:\n%s", d.Text())
	}
	if md := res.Markdown(); !strings.Contains(md, "Rolled back: Terraform applied the previous image `"+image1+"` (task definition `credex-core-staging:3`) and its rollout completed; state and AWS agree.") {
		t.Errorf("the summary does not say what the rollback did:\n%s", md)
	}
}
