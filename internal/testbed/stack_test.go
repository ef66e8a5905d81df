package testbed_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/testbed"
	"github.com/great-sun-group/credex-ci/internal/tfoutputs"
	"github.com/great-sun-group/credex-ci/internal/tfrun"
)

// bedStack is the bed's Terraform stack (a private copy) and the real
// terraform binary (internal/tfrun: the AWS provider from the mirror) run
// against the bed.
type bedStack struct {
	t   *testing.T
	tf  *tfrun.Terraform
	bed *testbed.Bed
	dir string
}

// newBedStack copies the stack (so no .terraform lands in the repository)
// and finds terraform with the provider the credex-core stack locks, which
// the bed's stack requires too; without them the test is skipped (make
// test-terraform fails on them instead).
func newBedStack(t *testing.T, bed *testbed.Bed) *bedStack {
	t.Helper()
	tf, err := tfrun.ForStack("../../terraform/.terraform.lock.hcl", t.TempDir())
	if err != nil {
		t.Skip(err)
	}
	dir := t.TempDir()
	if err := tfrun.CopyStack("stack", dir); err != nil {
		t.Fatal(err)
	}
	return &bedStack{t: t, tf: tf, bed: bed, dir: dir}
}

// run runs terraform args in the stack's directory sub ("" or registry)
// and returns the result, failing the test on an error.
func (s *bedStack) run(sub string, args ...string) tfrun.Result {
	s.t.Helper()
	start := time.Now()
	r, err := s.tf.Run(s.t.Context(), filepath.Join(s.dir, sub), s.bed.TerraformEnv(), args...)
	s.t.Logf("terraform %s: %s", args[0], time.Since(start).Round(time.Millisecond))
	if err != nil {
		s.t.Fatalf("%v\n%s", err, r.Stdout)
	}
	return r
}

// init initialises one of the stacks with its S3 backend on the bed's S3,
// as the pipeline does with an endpoint (envs.Environment.TerraformInit).
func (s *bedStack) init(env envs.Environment, stack string) {
	s.t.Helper()
	args, _ := env.TerraformInit(stack, testbed.StateBucket, true)
	s.run(stack, args[1:]...)
}

// planAndApply plans with an image and applies exactly that plan, as the
// pipeline does.
func (s *bedStack) planAndApply(image string) {
	s.t.Helper()
	s.run("", "plan", "-input=false", "-var-file=environments/staging.tfvars", "-var=image="+image, "-out=tfplan")
	s.run("", "apply", "-input=false", "tfplan")
}

// The test bed's stack, with the real terraform binary and AWS provider
// 5.100.0 against the bed: the registry stack creates the repository; the
// main stack applies the cluster, task definition and service, and its
// outputs honour the contract; a second apply with a new image registers a
// new revision that the simulator rolls out; a plan with nothing new
// changes nothing.
func TestStackAppliesAgainstTheBed(t *testing.T) {
	bed, err := testbed.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bed.Close)
	stack := newBedStack(t, bed)
	dir := stack.dir
	env, err := envs.Load(os.DirFS(dir), "stage")
	if err != nil || env.AccountID != testbed.AccountID {
		t.Fatalf("the stack's staging.tfvars: %+v, %v", env, err)
	}
	if err := bed.ResetStack(t.Context(), env); err != nil {
		t.Fatal(err)
	}

	// The registry stack, as `registry --env=stage` runs it.
	stack.init(env, envs.StackRegistry)
	stack.run(envs.StackRegistry, "apply", "-input=false", "-auto-approve", "-var=aws_account_id="+env.AccountID, "-var=aws_region="+env.Region, "-var=environment="+env.TerraformEnv)
	registry, err := tfoutputs.ParseRegistry([]byte(stack.run(envs.StackRegistry, "output", "-json").Stdout))
	if err != nil || registry.RepositoryName != env.RepositoryName() {
		t.Fatalf("registry outputs: %+v, %v", registry, err)
	}

	stack.init(env, envs.StackMain)
	image1 := registry.RepositoryURL + "@sha256:" + strings.Repeat("1", 64)
	stack.planAndApply(image1)
	out, err := tfoutputs.Parse([]byte(stack.run("", "output", "-json").Stdout))
	if err != nil {
		t.Fatalf("outputs: %v", err)
	}
	if err := out.Matches(env); err != nil {
		t.Fatal(err)
	}
	if out.Image != image1 || out.ECRRepositoryURL != registry.RepositoryURL || !strings.HasSuffix(out.TaskDefinitionARN, ":task-definition/credex-core-staging:1") {
		t.Fatalf("outputs = %+v", out)
	}
	svc := describeService(t, bed, env)
	if aws.ToString(svc.TaskDefinition) != out.TaskDefinitionARN || svc.DesiredCount != 2 || len(svc.LoadBalancers) != 1 || aws.ToString(svc.LoadBalancers[0].TargetGroupArn) != out.TargetGroupARN {
		t.Fatalf("service after the first apply: %+v", svc)
	}

	// A new image: a new revision, rolled out by the simulator.
	image2 := registry.RepositoryURL + "@sha256:" + strings.Repeat("2", 64)
	stack.planAndApply(image2)
	out2, err := tfoutputs.Parse([]byte(stack.run("", "output", "-json").Stdout))
	if err != nil || !strings.HasSuffix(out2.TaskDefinitionARN, ":task-definition/credex-core-staging:2") || out2.Image != image2 {
		t.Fatalf("outputs after the second apply: %+v, %v", out2, err)
	}
	td, err := bed.ECS().DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(out2.TaskDefinitionARN)})
	if err != nil || aws.ToString(td.TaskDefinition.ContainerDefinitions[0].Image) != image2 {
		t.Fatalf("task definition 2: %+v, %v", td, err)
	}
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	settled, err := bed.WaitSettled(ctx, &testbed.Deployment{Cluster: env.ClusterName(), Service: env.ServiceName(), TaskDefinition: out2.TaskDefinitionARN})
	if err != nil || settled.Outcome != "completed" {
		t.Fatalf("the rollout of revision 2: %+v, %v", settled, err)
	}
	if svc := describeService(t, bed, env); aws.ToString(svc.TaskDefinition) != out2.TaskDefinitionARN || svc.RunningCount != 2 {
		t.Fatalf("service after the rollout: %+v", svc)
	}

	// Nothing new: nothing to change (the simulator answers what the
	// provider wrote).
	if r, err := stack.tf.Run(t.Context(), dir, bed.TerraformEnv(), "plan", "-input=false", "-no-color", "-detailed-exitcode", "-var-file=environments/staging.tfvars", "-var=image="+image2); err != nil {
		t.Fatalf("a plan with the deployed image wants changes (exit %d):\n%s\n%s", r.ExitCode, r.Stdout, r.Stderr)
	}
}

func describeService(t *testing.T, bed *testbed.Bed, env envs.Environment) ecstypes.Service {
	t.Helper()
	out, err := bed.ECS().DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String(env.ClusterName()), Services: []string{env.ServiceName()}})
	if err != nil || len(out.Services) != 1 {
		t.Fatalf("DescribeServices: %+v, %v", out, err)
	}
	return out.Services[0]
}
