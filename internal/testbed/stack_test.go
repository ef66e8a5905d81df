package testbed_test

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecr"
	ecrtypes "github.com/aws/aws-sdk-go-v2/service/ecr/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/testbed"
	"github.com/great-sun-group/credex-ci/internal/tfoutputs"
)

// providerMirror holds the AWS provider 5.100.0 (registry.terraform.io/
// hashicorp/aws/5.100.0/...), the only provider the stack needs.
const providerMirror = "/opt/tf-plugins"

// terraform runs the real terraform binary in dir against the bed: the
// provider from the filesystem mirror, AWS_ENDPOINT_URL at the bed, the
// bed's static credentials. (A minimal harness: internal/tfrun, when it
// lands, does this for every stack.)
type terraform struct {
	t   *testing.T
	dir string
	env []string
}

func newTerraform(t *testing.T, bed *testbed.Bed, dir string) *terraform {
	t.Helper()
	if _, err := exec.LookPath("terraform"); err != nil {
		t.Skip("no terraform on PATH (Terraform 1.11 runs this test)")
	}
	if _, err := os.Stat(filepath.Join(providerMirror, "registry.terraform.io", "hashicorp", "aws", "5.100.0")); err != nil {
		t.Skipf("no AWS provider 5.100.0 in the filesystem mirror %s", providerMirror)
	}
	cli := filepath.Join(t.TempDir(), "terraform.rc")
	config := `provider_installation {
  filesystem_mirror {
    path    = "` + providerMirror + `"
    include = ["registry.terraform.io/hashicorp/aws"]
  }
}
`
	if err := os.WriteFile(cli, []byte(config), 0o644); err != nil {
		t.Fatal(err)
	}
	env := append(os.Environ(),
		"TF_CLI_CONFIG_FILE="+cli, "TF_IN_AUTOMATION=1", "TF_INPUT=0", "CHECKPOINT_DISABLE=1",
		"AWS_ENDPOINT_URL="+bed.URL, "AWS_ACCESS_KEY_ID="+testbed.AccessKeyID, "AWS_SECRET_ACCESS_KEY="+testbed.SecretAccessKey,
		"AWS_REGION="+bed.Region, "AWS_EC2_METADATA_DISABLED=true", "AWS_PROFILE=", "AWS_CONFIG_FILE=/dev/null", "AWS_SHARED_CREDENTIALS_FILE=/dev/null",
	)
	return &terraform{t: t, dir: dir, env: env}
}

// run runs terraform args... and returns its stdout; a failure ends the
// test with stderr.
func (tf *terraform) run(args ...string) string {
	tf.t.Helper()
	out, code, stderr := tf.exec(args...)
	if code != 0 {
		tf.t.Fatalf("terraform %s: exit %d\n%s\n%s", strings.Join(args, " "), code, out, stderr)
	}
	return out
}

func (tf *terraform) exec(args ...string) (stdout string, code int, stderr string) {
	tf.t.Helper()
	defer func(start time.Time) {
		tf.t.Logf("terraform %s: %s", args[0], time.Since(start).Round(time.Millisecond))
	}(time.Now())
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, "terraform", args...)
	cmd.Dir, cmd.Env = tf.dir, tf.env
	var out, errOut strings.Builder
	cmd.Stdout, cmd.Stderr = &out, &errOut
	err := cmd.Run()
	if exit, ok := err.(*exec.ExitError); ok {
		return out.String(), exit.ExitCode(), errOut.String()
	}
	if err != nil {
		tf.t.Fatalf("terraform %s: %v", strings.Join(args, " "), err)
	}
	return out.String(), 0, errOut.String()
}

// init initialises the stack with the S3 backend on the bed's S3, as the
// pipeline does (path-style with an endpoint).
func (tf *terraform) init(key string) {
	tf.t.Helper()
	tf.run("init", "-input=false", "-backend-config=bucket="+testbed.StateBucket, "-backend-config=key="+key,
		"-backend-config=region=af-south-1", "-backend-config=use_path_style=true")
}

// copyStack copies the bed's stack into a fresh directory (so no
// .terraform lands in the repository).
func copyStack(t *testing.T) string {
	t.Helper()
	dst := t.TempDir()
	err := filepath.WalkDir("stack", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("stack", path)
		if d.IsDir() {
			if d.Name() == ".terraform" {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !strings.HasSuffix(path, ".tf") && !strings.HasSuffix(path, ".tfvars") {
			return nil
		}
		data, err := os.ReadFile(path)
		if err != nil {
			return err
		}
		return os.WriteFile(filepath.Join(dst, rel), data, 0o644)
	})
	if err != nil {
		t.Fatal(err)
	}
	return dst
}

// planAndApply plans with an image and applies exactly that plan, as the
// pipeline does, and returns the plan's JSON.
func (tf *terraform) planAndApply(image string) []byte {
	tf.t.Helper()
	tf.run("plan", "-input=false", "-var-file=environments/staging.tfvars", "-var=image="+image, "-out=tfplan")
	plan := tf.run("show", "-json", "tfplan")
	tf.run("apply", "-input=false", "tfplan")
	return []byte(plan)
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
	dir := copyStack(t)
	tf := newTerraform(t, bed, filepath.Join(dir, "registry"))
	if err := bed.CreateStateBucket(t.Context()); err != nil {
		t.Fatal(err)
	}
	env, err := envs.Load(os.DirFS(dir), "stage")
	if err != nil || env.AccountID != testbed.AccountID {
		t.Fatalf("the stack's staging.tfvars: %+v, %v", env, err)
	}
	// kumo keeps ECR and S3 process-wide: start from a fresh account, with
	// no repository or state left by another test of this process.
	if _, err := ecr.NewFromConfig(bed.Config()).DeleteRepository(t.Context(), &ecr.DeleteRepositoryInput{RepositoryName: aws.String(env.RepositoryName()), Force: true}); err != nil {
		var missing *ecrtypes.RepositoryNotFoundException
		if !errors.As(err, &missing) {
			t.Fatal(err)
		}
	}
	_, err = bed.Logs().DeleteLogGroup(t.Context(), &cloudwatchlogs.DeleteLogGroupInput{LogGroupName: aws.String(env.LogGroupName())})
	var noGroup *logtypes.ResourceNotFoundException
	if err != nil && !errors.As(err, &noGroup) {
		t.Fatal(err)
	}
	state := s3.NewFromConfig(bed.Config(), func(o *s3.Options) { o.UsePathStyle = true })
	for _, key := range []string{env.StateKey, env.RegistryStateKey} {
		if _, err := state.DeleteObject(t.Context(), &s3.DeleteObjectInput{Bucket: aws.String(testbed.StateBucket), Key: aws.String(key)}); err != nil {
			t.Fatal(err)
		}
	}

	// The registry stack, as `registry --env=stage` runs it.
	tf.init(env.RegistryStateKey)
	tf.run("apply", "-input=false", "-auto-approve", "-var=aws_account_id="+env.AccountID, "-var=aws_region="+env.Region, "-var=environment="+env.TerraformEnv)
	registry, err := tfoutputs.ParseRegistry([]byte(tf.run("output", "-json")))
	if err != nil || registry.RepositoryName != env.RepositoryName() {
		t.Fatalf("registry outputs: %+v, %v", registry, err)
	}

	tf = newTerraform(t, bed, dir)
	tf.init(env.StateKey)
	image1 := registry.RepositoryURL + "@sha256:" + strings.Repeat("1", 64)
	tf.planAndApply(image1)
	out, err := tfoutputs.Parse([]byte(tf.run("output", "-json")))
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
	tf.planAndApply(image2)
	out2, err := tfoutputs.Parse([]byte(tf.run("output", "-json")))
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
	if _, code, stderr := tf.exec("plan", "-input=false", "-detailed-exitcode", "-var-file=environments/staging.tfvars", "-var=image="+image2); code != 0 {
		plan, _, _ := tf.exec("plan", "-input=false", "-no-color", "-var-file=environments/staging.tfvars", "-var=image="+image2)
		t.Fatalf("a plan with the deployed image wants changes (exit %d):\n%s\n%s", code, plan, stderr)
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
