package ecssim_test

import (
	"context"
	"errors"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/great-sun-group/credex-ci/internal/ecssim"
)

// manualClock is a clock the test moves.
type manualClock struct {
	mu  sync.Mutex
	now time.Time
}

func (c *manualClock) Now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.now }
func (c *manualClock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

func newClient(t *testing.T, sim *ecssim.Simulator) *ecs.Client {
	t.Helper()
	srv := httptest.NewServer(sim)
	t.Cleanup(srv.Close)
	return ecs.New(ecs.Options{
		Region:       "af-south-1",
		BaseEndpoint: aws.String(srv.URL),
		Credentials:  credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", ""),
	})
}

// setUp creates a cluster, a service running revision 1 and registers
// revision 2.
func setUp(t *testing.T, ctx context.Context, client *ecs.Client, breaker bool) {
	t.Helper()
	if _, err := client.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("c")}); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		_, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
			Family: aws.String("app"),
			ContainerDefinitions: []types.ContainerDefinition{{
				Name: aws.String("app"), Image: aws.String("app:1"), Essential: aws.Bool(true),
				HealthCheck: &types.HealthCheck{Command: []string{"CMD-SHELL", "true"}},
			}},
		})
		if err != nil {
			t.Fatal(err)
		}
	}
	_, err := client.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String("c"), ServiceName: aws.String("s"), TaskDefinition: aws.String("app:1"), DesiredCount: aws.Int32(2),
		DeploymentConfiguration: &types.DeploymentConfiguration{DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: breaker, Rollback: breaker}},
	})
	if err != nil {
		t.Fatal(err)
	}
}

func describe(t *testing.T, ctx context.Context, client *ecs.Client) types.Service {
	t.Helper()
	out, err := client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("c"), Services: []string{"s"}})
	if err != nil {
		t.Fatal(err)
	}
	if len(out.Services) != 1 {
		t.Fatalf("services = %d, failures = %+v", len(out.Services), out.Failures)
	}
	return out.Services[0]
}

func TestHealthyRolloutOnManualClock(t *testing.T) {
	ctx := t.Context()
	clock := &manualClock{now: time.Unix(1_700_000_000, 0)}
	sim := ecssim.New(ecssim.Options{Now: clock.Now})
	client := newClient(t, sim)
	setUp(t, ctx, client, true)
	sim.SetScenario("c", "s", ecssim.Scenario{Step: time.Second})
	if _, err := client.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("c"), Service: aws.String("s"), TaskDefinition: aws.String("app:2")}); err != nil {
		t.Fatal(err)
	}
	start := clock.Now()
	svc := describe(t, ctx, client)
	if len(svc.Deployments) != 2 || svc.Deployments[0].RolloutState != types.DeploymentRolloutStateInProgress || *svc.Deployments[0].Status != "PRIMARY" {
		t.Fatalf("after update: %+v", svc.Deployments)
	}
	if got := *svc.Deployments[0].TaskDefinition; !strings.HasSuffix(got, "task-definition/app:2") {
		t.Fatalf("primary task definition = %s", got)
	}
	if !svc.Deployments[0].CreatedAt.Equal(start) {
		t.Fatalf("createdAt = %v, want %v", svc.Deployments[0].CreatedAt, start)
	}
	if _, ok := sim.Settlement("c", "s", "app:2"); ok {
		t.Fatal("settled before its time")
	}
	clock.Add(3 * time.Second)
	svc = describe(t, ctx, client)
	d := svc.Deployments
	if len(d) != 1 || d[0].RolloutState != types.DeploymentRolloutStateCompleted || d[0].RunningCount != 2 {
		t.Fatalf("after 3 steps: %+v", d)
	}
	if msg := *svc.Events[0].Message; msg != "(service s) has reached a steady state." {
		t.Fatalf("newest event = %q", msg)
	}
	st, ok := sim.Settlement("c", "s", "app:2")
	if !ok || st.Outcome != "completed" || !st.At.Equal(start.Add(3*time.Second)) {
		t.Fatalf("settlement = %+v, %v", st, ok)
	}
	running, err := client.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("c"), ServiceName: aws.String("s")})
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := client.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("c"), Tasks: running.TaskArns})
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks.Tasks) != 2 {
		t.Fatalf("running tasks = %d", len(tasks.Tasks))
	}
	for _, task := range tasks.Tasks {
		if *task.LastStatus != "RUNNING" || task.HealthStatus != types.HealthStatusHealthy || !strings.HasSuffix(*task.TaskDefinitionArn, "app:2") {
			t.Fatalf("task %s: %s %s %s", *task.TaskArn, *task.LastStatus, task.HealthStatus, *task.TaskDefinitionArn)
		}
	}
}

func TestCircuitBreakerRollbackOnManualClock(t *testing.T) {
	ctx := t.Context()
	clock := &manualClock{now: time.Unix(1_700_000_000, 0)}
	sim := ecssim.New(ecssim.Options{Now: clock.Now})
	client := newClient(t, sim)
	setUp(t, ctx, client, true)
	sim.SetScenario("c", "s", ecssim.Scenario{Kind: ecssim.CircuitBreakerRollback, Step: time.Second})
	if _, err := client.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("c"), Service: aws.String("s"), TaskDefinition: aws.String("app:2")}); err != nil {
		t.Fatal(err)
	}
	clock.Add(2500 * time.Millisecond) // a task starts every step and fails half a step later: the third fails at 2.5 s
	svc := describe(t, ctx, client)
	if len(svc.Deployments) != 2 {
		t.Fatalf("deployments = %+v", svc.Deployments)
	}
	primary, failed := svc.Deployments[0], svc.Deployments[1]
	if !strings.HasSuffix(*primary.TaskDefinition, "app:1") || failed.RolloutState != types.DeploymentRolloutStateFailed || failed.FailedTasks != 3 {
		t.Fatalf("primary %s, failed deployment %s %d", *primary.TaskDefinition, failed.RolloutState, failed.FailedTasks)
	}
	if got := *failed.RolloutStateReason; got != "ECS deployment circuit breaker: tasks failed to start." {
		t.Fatalf("reason = %q", got)
	}
	if msg := *svc.Events[0].Message; !strings.HasPrefix(msg, "(service s) rolling back to deployment ecs-svc/") {
		t.Fatalf("newest event = %q", msg)
	}
	stopped, err := client.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String("c"), ServiceName: aws.String("s"), DesiredStatus: types.DesiredStatusStopped})
	if err != nil {
		t.Fatal(err)
	}
	tasks, err := client.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String("c"), Tasks: stopped.TaskArns})
	if err != nil {
		t.Fatal(err)
	}
	if len(tasks.Tasks) != 3 {
		t.Fatalf("stopped tasks = %d", len(tasks.Tasks))
	}
	task := tasks.Tasks[0]
	if *task.StoppedReason != "Essential container in task exited" || task.StopCode != types.TaskStopCodeEssentialContainerExited || *task.Containers[0].ExitCode != 1 || task.StoppedAt == nil {
		t.Fatalf("stopped task: %+v", task)
	}
}

func TestErrorsAndThrottling(t *testing.T) {
	ctx := t.Context()
	sim := ecssim.New(ecssim.Options{})
	client := newClient(t, sim)
	_, err := client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("nope"), Services: []string{"s"}})
	var notFound *types.ClusterNotFoundException
	if !errors.As(err, &notFound) {
		t.Fatalf("err = %v, want ClusterNotFoundException", err)
	}
	setUp(t, ctx, client, false)
	out, err := client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("c"), Services: []string{"gone"}})
	if err != nil || len(out.Failures) != 1 || *out.Failures[0].Reason != "MISSING" {
		t.Fatalf("missing service: %+v, %v", out, err)
	}
	_, err = client.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("c"), Service: aws.String("gone")})
	var svcNotFound *types.ServiceNotFoundException
	if !errors.As(err, &svcNotFound) {
		t.Fatalf("err = %v, want ServiceNotFoundException", err)
	}
	sim.SetScenario("c", "s", ecssim.Scenario{Step: time.Millisecond, Throttle: 2})
	if _, err := client.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("c"), Service: aws.String("s"), TaskDefinition: aws.String("app:2")}); err != nil {
		t.Fatal(err)
	}
	// The SDK's standard retryer absorbs two throttles (three attempts).
	describe(t, ctx, client)
}
