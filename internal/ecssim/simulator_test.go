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

// What the Terraform AWS provider reads back is what it wrote: tags,
// cluster settings, a task definition's platform and a service's network
// configuration; a deregistered revision stays describable.
func TestTagsDescribeClustersAndTheEchoOfWhatWasSet(t *testing.T) {
	ctx := t.Context()
	client := newClient(t, ecssim.New(ecssim.Options{}))
	tags := []types.Tag{{Key: aws.String("Project"), Value: aws.String("credex-core")}}
	cl, err := client.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String("c"), Tags: tags,
		Settings: []types.ClusterSetting{{Name: types.ClusterSettingNameContainerInsights, Value: aws.String("enabled")}}})
	if err != nil {
		t.Fatal(err)
	}
	clusters, err := client.DescribeClusters(ctx, &ecs.DescribeClustersInput{Clusters: []string{"c", "missing"}, Include: []types.ClusterField{types.ClusterFieldTags}})
	if err != nil || len(clusters.Clusters) != 1 || len(clusters.Failures) != 1 || aws.ToString(clusters.Clusters[0].Status) != "ACTIVE" ||
		aws.ToString(clusters.Clusters[0].Settings[0].Value) != "enabled" || len(clusters.Clusters[0].Tags) != 1 {
		t.Fatalf("DescribeClusters = %+v, %v", clusters, err)
	}
	td, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String("app"), NetworkMode: types.NetworkModeAwsvpc, Cpu: aws.String("512"), Memory: aws.String("1024"),
		RequiresCompatibilities: []types.Compatibility{types.CompatibilityFargate},
		RuntimePlatform:         &types.RuntimePlatform{OperatingSystemFamily: types.OSFamilyLinux, CpuArchitecture: types.CPUArchitectureX8664},
		ContainerDefinitions:    []types.ContainerDefinition{{Name: aws.String("app"), Image: aws.String("app@sha256:1")}},
		Tags:                    tags,
	})
	if err != nil || len(td.Tags) != 1 {
		t.Fatalf("RegisterTaskDefinition = %+v, %v", td, err)
	}
	arn := td.TaskDefinition.TaskDefinitionArn
	got, err := client.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: arn, Include: []types.TaskDefinitionField{types.TaskDefinitionFieldTags}})
	if err != nil || got.TaskDefinition.RuntimePlatform == nil || got.TaskDefinition.RuntimePlatform.CpuArchitecture != types.CPUArchitectureX8664 ||
		len(got.TaskDefinition.RequiresCompatibilities) != 1 || len(got.Tags) != 1 {
		t.Fatalf("DescribeTaskDefinition = %+v, %v", got, err)
	}
	svc, err := client.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: cl.Cluster.ClusterArn, ServiceName: aws.String("s"), TaskDefinition: arn, DesiredCount: aws.Int32(1),
		LaunchType: types.LaunchTypeFargate, PropagateTags: types.PropagateTagsService, Tags: tags,
		NetworkConfiguration: &types.NetworkConfiguration{AwsvpcConfiguration: &types.AwsVpcConfiguration{Subnets: []string{"subnet-1"}}},
		DeploymentConfiguration: &types.DeploymentConfiguration{MinimumHealthyPercent: aws.Int32(50),
			DeploymentCircuitBreaker: &types.DeploymentCircuitBreaker{Enable: true, Rollback: true}},
	})
	if err != nil {
		t.Fatal(err)
	}
	services, err := client.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String("c"), Services: []string{"s"}, Include: []types.ServiceField{types.ServiceFieldTags}})
	if err != nil || len(services.Services) != 1 {
		t.Fatalf("DescribeServices = %+v, %v", services, err)
	}
	s := services.Services[0]
	dc := s.DeploymentConfiguration
	if s.PropagateTags != types.PropagateTagsService || s.NetworkConfiguration.AwsvpcConfiguration.Subnets[0] != "subnet-1" || len(s.Tags) != 1 ||
		aws.ToInt32(dc.MinimumHealthyPercent) != 50 || aws.ToInt32(dc.MaximumPercent) != 200 || !dc.DeploymentCircuitBreaker.Rollback ||
		s.SchedulingStrategy != types.SchedulingStrategyReplica || s.DeploymentController.Type != types.DeploymentControllerTypeEcs {
		t.Fatalf("service = %+v", s)
	}
	if _, err := client.TagResource(ctx, &ecs.TagResourceInput{ResourceArn: svc.Service.ServiceArn, Tags: []types.Tag{{Key: aws.String("Owner"), Value: aws.String("ops")}}}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.UntagResource(ctx, &ecs.UntagResourceInput{ResourceArn: svc.Service.ServiceArn, TagKeys: []string{"Project"}}); err != nil {
		t.Fatal(err)
	}
	listed, err := client.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: svc.Service.ServiceArn})
	if err != nil || len(listed.Tags) != 1 || aws.ToString(listed.Tags[0].Key) != "Owner" {
		t.Fatalf("ListTagsForResource = %+v, %v", listed, err)
	}
	if _, err := client.ListTagsForResource(ctx, &ecs.ListTagsForResourceInput{ResourceArn: aws.String("arn:aws:ecs:af-south-1:000000000000:service/c/nope")}); err == nil {
		t.Fatal("ListTagsForResource of an unknown resource succeeded")
	}
	dereg, err := client.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: arn})
	if err != nil || dereg.TaskDefinition.Status != types.TaskDefinitionStatusInactive || dereg.TaskDefinition.DeregisteredAt == nil {
		t.Fatalf("DeregisterTaskDefinition = %+v, %v", dereg, err)
	}
	if _, err := client.DeregisterTaskDefinition(ctx, &ecs.DeregisterTaskDefinitionInput{TaskDefinition: aws.String("app")}); err == nil {
		t.Fatal("DeregisterTaskDefinition without a revision succeeded")
	}
	// A family alone names its latest ACTIVE revision: none is left.
	if _, err := client.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String("app")}); err == nil {
		t.Fatal("DescribeTaskDefinition of a family whose only revision is deregistered succeeded")
	}
	// A deregistered revision cannot be deployed again; the service keeps
	// running it.
	_, err = client.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String("c"), Service: aws.String("s"), TaskDefinition: arn, ForceNewDeployment: true})
	if err == nil || !strings.Contains(err.Error(), "TaskDefinition is inactive") {
		t.Fatalf("UpdateService to a deregistered revision: %v, want ClientException TaskDefinition is inactive", err)
	}
	_, err = client.CreateService(ctx, &ecs.CreateServiceInput{Cluster: aws.String("c"), ServiceName: aws.String("s2"), TaskDefinition: arn})
	if err == nil || !strings.Contains(err.Error(), "TaskDefinition is inactive") {
		t.Fatalf("CreateService with a deregistered revision: %v, want ClientException TaskDefinition is inactive", err)
	}
}
