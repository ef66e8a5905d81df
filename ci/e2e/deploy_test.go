//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/great-sun-group/credex-ci/internal/testbed"
)

// The boundary between Dagger and the user's machine: a test bed and an
// API on the host are reached as services (tcp://localhost:PORT), from the
// function's own code and from the containers it runs; a loopback URL is
// refused with that fix.

// hostApp is the stand-in credex-core on a host port, reporting revision.
func hostApp(t *testing.T, revision string) (*testbed.App, string) {
	t.Helper()
	app, err := testbed.StartApp("127.0.0.1:0", revision)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(app.Close)
	_, port, err := net.SplitHostPort(strings.TrimPrefix(app.URL, "http://"))
	if err != nil {
		t.Fatal(err)
	}
	return app, port
}

// `verify` of a rollout on a test bed on the user's machine, with the app
// there too: the AWS endpoint and the API are services; the rollout, the
// status, /health and the benchmark all reach them through Dagger.
func TestVerifyReachesATestBedOnYourMachine(t *testing.T) {
	bed := startTestbed(t)
	ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
	defer cancel()
	setup, err := testbed.Preset("healthy", 500*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	d, err := bed.Deploy(ctx, setup)
	if err != nil {
		t.Fatal(err)
	}
	app, appPort := hostApp(t, revision)
	dir := t.TempDir()
	if err := testbed.WriteTerraformDir(dir, testbed.AccountID, bed.Region); err != nil {
		t.Fatal(err)
	}
	taskDefinition := d.TaskDefinition[strings.LastIndex(d.TaskDefinition, "/")+1:]
	args := append(append([]string{}, bed.Flags...), "--terraform="+dir,
		"verify", "--env=stage", "--task-definition="+taskDefinition, "--api=tcp://localhost:"+appPort, "--revision="+revision,
		"--checks=rollout,status,health,bench", "--bench-duration=3s", "--bench-rate=10", "--rollout-timeout=3m", "--health-attempts=5")
	r := callWith(t, opts{Env: bed.Env}, args...)
	if r.ExitCode != 0 {
		t.Fatalf("verify against the test bed:\n%s", r)
	}
	for _, want := range []string{
		"| preflight | ✅ pass |", "AWS account " + testbed.AccountID + " is staging's",
		"| rollout | ✅ pass |", "completed: " + taskDefinition,
		"| status | ✅ pass |", "| health | ✅ pass |", "build " + revision, "| bench | ✅ pass |",
	} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("the report lacks %q\n%s", want, r)
		}
	}
	if n := app.Requests(); n < 20 {
		t.Errorf("the app on the host answered %d requests; the health check and a 3 s benchmark at 10 req/s reach it through Dagger", n)
	}
	if strings.Contains(r.Output(), testbed.SecretAccessKey) {
		t.Error("the secret access key reached the CLI's output")
	}
}

// An API on the user's machine given as a loopback URL is refused before
// anything runs, with the fix: pass it as a service.
func TestVerifyRefusesALoopbackAPIURLWithTheFix(t *testing.T) {
	r := call(t, "verify", "--env=stage", "--checks=health", "--api-url=http://127.0.0.1:5055")
	if r.ExitCode == 0 || !strings.Contains(r.Output(), "pass the API as a service instead, --api=tcp://localhost:5055") {
		t.Fatalf("want the loopback URL refused with the --api fix\n%s", r)
	}
}

// The integration suite runs in the app's test container against the API
// given as a service: bound into that container as "api", API_URL
// http://api:PORT. The API is the example service itself, served on a host
// port by `build as-service up`.
func TestTheIntegrationSuiteReachesAnAPIServiceOnYourMachine(t *testing.T) {
	port := freePort(t)
	up := start(t, opts{}, example, "build", "--revision="+revision, "as-service", "up", fmt.Sprintf("--ports=%d:5000", port))
	waitForHealth(t, up, fmt.Sprintf("http://127.0.0.1:%d/health", port))
	r := call(t, example, "verify", "--env=stage", "--checks=health,integration",
		fmt.Sprintf("--api=tcp://localhost:%d", port), "--revision="+revision)
	if r.ExitCode != 0 {
		t.Fatalf("verify of health and integration against the --api service:\n%s", r)
	}
	for _, want := range []string{"| health | ✅ pass |", "build " + revision, "| integration | ✅ pass |", "tests passed"} {
		if !strings.Contains(r.Stdout, want) {
			t.Errorf("the report lacks %q\n%s", want, r)
		}
	}
}

// stageDeploy is the AWS test bed with its state bucket and an app on the
// host, and the constructor flags that point the module at the bed, its
// registry (standing in for ECR's) and its Terraform stack
// (internal/testbed/stack, which honours the outputs contract).
func stageDeploy(t *testing.T, appRevision string) (*awsTestbed, []string, string) {
	t.Helper()
	bed := startTestbed(t)
	if err := bed.CreateStateBucket(t.Context()); err != nil {
		t.Fatal(err)
	}
	_, appPort := hostApp(t, appRevision)
	flags := append(append([]string{}, bed.Flags...), example, "--terraform=internal/testbed/stack", "--registry="+bed.Registry().Service())
	return bed, flags, "--api=tcp://localhost:" + appPort
}

// runningImage is the image of the task definition the bed's staging
// service runs.
func runningImage(t *testing.T, bed *awsTestbed) string {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	svc, err := bed.ECS().DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("credex-cluster-staging"), Services: []string{"credex-core-service-staging"}})
	if err != nil || len(svc.Services) != 1 {
		t.Fatalf("DescribeServices: %+v, %v", svc, err)
	}
	td, err := bed.ECS().DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: svc.Services[0].TaskDefinition})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(td.TaskDefinition.ContainerDefinitions[0].Image)
}

// publishedImage is the image line of a deploy summary.
func publishedImage(t *testing.T, r run) string {
	t.Helper()
	for _, line := range strings.Split(r.Stdout+r.Stderr, "\n") {
		if rest, ok := strings.CutPrefix(line, "| Image | `"); ok {
			return strings.TrimSuffix(rest, "` |")
		}
	}
	t.Fatalf("no image in the summary\n%s", r)
	return ""
}

// `deploy --env=stage` against the test bed through a real engine: the
// registry stack creates the repository, the image is tested, built and
// published to the bed's registry, the stack is planned and applied with
// its digest, and the rollout, status and health are verified. The same
// deploy again changes nothing. A deploy whose health check fails (the app
// still reports the old revision) is rolled back through the stack, and
// drift is clean afterwards.
func TestDeployToTheTestBed(t *testing.T) {
	bed, flags, api := stageDeploy(t, revision)
	deploy := func(rev string, extra ...string) run {
		args := append(append([]string{}, flags...), "deploy", "--env=stage", "--revision="+rev, api,
			"--checks=rollout,status,health", "--rollout-timeout=5m", "--health-attempts=3")
		return callWith(t, opts{Env: bed.Env}, append(args, extra...)...)
	}

	first := deploy(revision)
	if first.ExitCode != 0 {
		t.Fatalf("deploy:\n%s", first)
	}
	image := publishedImage(t, first)
	for _, want := range []string{"## ✅ Deployed to stage (staging)", "- Image published to ECR: `" + image + "`", "- Terraform applied (", "| rollout | ✅ pass |", "| health | ✅ pass |", "★ critical path"} {
		if !strings.Contains(first.Stdout, want) {
			t.Errorf("the summary lacks %q\n%s", want, first)
		}
	}
	if got := runningImage(t, bed); got != image {
		t.Fatalf("the service runs %s, want the published %s", got, image)
	}
	pushes := bed.Registry().Pushes("credex-core-staging")

	again := deploy(revision)
	if again.ExitCode != 0 || !strings.Contains(again.Stdout, "| apply | plan | ↷ skipped: the plan has no changes") {
		t.Fatalf("an identical deploy should apply nothing\n%s", again)
	}
	if bed.Registry().Pushes("credex-core-staging") != pushes || runningImage(t, bed) != image {
		t.Errorf("the identical deploy pushed or changed the service")
	}

	// A new revision whose health check fails: the app still reports the
	// first revision. Rolled back through Terraform.
	const second = "89abcdef0123456789abcdef0123456789abcdef"
	failed := deploy(second, "--rollback-on-failure=true")
	if failed.ExitCode == 0 || !strings.Contains(failed.Output(), "failed at verify and was rolled back") {
		t.Fatalf("want the deploy to fail at verify and roll back\n%s", failed)
	}
	if got := runningImage(t, bed); got != image {
		t.Errorf("after the rollback the service runs %s, want %s", got, image)
	}
	drift := callWith(t, opts{Env: bed.Env}, append(append([]string{}, flags...), "drift", "--env=stage")...)
	if drift.ExitCode != 0 {
		t.Errorf("drift after the rollback: state and AWS should agree\n%s", drift)
	}
}

// Production is refused without its confirmation, before anything runs.
func TestDeployToProductionNeedsItsConfirmation(t *testing.T) {
	r := call(t, example, "deploy", "--env=prod", "--revision="+revision)
	if r.ExitCode == 0 || !strings.Contains(r.Output(), "needs an explicit confirmation: pass --confirm=prod") {
		t.Fatalf("want prod refused with the fix\n%s", r)
	}
}
