package testbed_test

import (
	"io"
	"net"
	"net/http"
	"os"
	"strings"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/great-sun-group/credex-ci/internal/envs"
	"github.com/great-sun-group/credex-ci/internal/testbed"
)

func TestStartWithListensWhereAsked(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	bed, err := testbed.StartWith(t.Context(), testbed.Options{Addr: addr})
	if err != nil {
		t.Fatal(err)
	}
	defer bed.Close()
	if bed.URL != "http://"+addr {
		t.Fatalf("URL = %s, want http://%s", bed.URL, addr)
	}
	if _, err := testbed.StartWith(t.Context(), testbed.Options{Addr: addr}); err == nil || !strings.Contains(err.Error(), "pick another host:port") {
		t.Fatalf("second bed on %s: %v", addr, err)
	}
}

func TestDemoServesTheAppAndTheAccount(t *testing.T) {
	demo, err := testbed.StartDemo(t.Context(), testbed.DemoOptions{Scenario: "healthy"})
	if err != nil {
		t.Fatal(err)
	}
	env, err := envs.Load(os.DirFS(demo.TerraformDir), "stage")
	if err != nil || env.AccountID != testbed.AccountID {
		t.Fatalf("the demo's terraform dir: %+v, %v", env, err)
	}
	res, err := http.Get(demo.App.URL + "/health")
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if res.StatusCode != 200 || !strings.Contains(string(body), testbed.Revision) || demo.App.Requests() != 1 {
		t.Fatalf("GET /health: %d %s (%d requests)", res.StatusCode, body, demo.App.Requests())
	}
	if !strings.Contains(strings.Join(demo.VerifyArgs(), " "), "--task-definition=credex-core-staging:2") {
		t.Errorf("verify args %v", demo.VerifyArgs())
	}
	// Through Dagger, the bed and the app are services on the user's machine.
	_, awsPort, _ := strings.Cut(strings.TrimPrefix(demo.Bed.URL, "http://"), ":")
	_, appPort, _ := strings.Cut(strings.TrimPrefix(demo.App.URL, "http://"), ":")
	howTo := demo.Instructions("credex-ci")
	for _, want := range []string{
		"dagger call --source=examples/ledger-api",
		"--aws-endpoint=tcp://localhost:" + awsPort,
		"verify --env=stage --task-definition=credex-core-staging:2",
		"--api=tcp://localhost:" + appPort + " --revision=" + testbed.Revision,
		"--checks=rollout,status,health,bench",
	} {
		if !strings.Contains(howTo, want) {
			t.Errorf("instructions lack %q:\n%s", want, howTo)
		}
	}
	if strings.Contains(howTo, "--api-url=http://127.0.0.1") && strings.Count(howTo, "--api-url=") > 1 {
		t.Errorf("the Dagger form passes the app as a loopback URL:\n%s", howTo)
	}
	// A client's first DescribeServices stages the deployment before it
	// is answered: it sees the new task definition rolling out.
	out, err := demo.Bed.ECS().DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String("credex-cluster-staging"), Services: []string{"credex-core-service-staging"}})
	if err != nil || len(out.Services) != 1 || !strings.HasSuffix(aws.ToString(out.Services[0].TaskDefinition), "/"+demo.TaskDefinition) {
		t.Fatalf("first DescribeServices: %+v, %v", out, err)
	}
	d, err := demo.Deploy(t.Context())
	if err != nil || !strings.HasSuffix(d.TaskDefinition, "/"+demo.TaskDefinition) {
		t.Fatalf("Deploy: %+v, %v", d, err)
	}
	demo.Close()
	if _, err := os.Stat(demo.TerraformDir); !os.IsNotExist(err) {
		t.Errorf("Close left %s: %v", demo.TerraformDir, err)
	}
}

func TestDemoRefusesAnUnknownScenario(t *testing.T) {
	if _, err := testbed.StartDemo(t.Context(), testbed.DemoOptions{Scenario: "explode"}); err == nil || !strings.Contains(err.Error(), "rollback") {
		t.Fatalf("err = %v", err)
	}
}
