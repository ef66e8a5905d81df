//go:build e2e

package e2e

import (
	"context"
	"fmt"
	"net"
	"strings"
	"testing"
	"time"

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
