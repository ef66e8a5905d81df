package testbed

import (
	"context"
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	logtypes "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	elbtypes "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2/types"

	"github.com/great-sun-group/credex-ci/internal/ecssim"
	"github.com/great-sun-group/credex-ci/internal/envs"
)

// ContainerPort is the port credex-core listens on.
const ContainerPort = 5000

// Setup describes a deployment to stage on the bed.
type Setup struct {
	// Env names the resources; zero means stage.
	Env envs.Environment
	// Cluster and Service override the environment's names (so one bed can
	// hold several services).
	Cluster, Service string
	// Scenario scripts the rollout of the new task definition.
	Scenario ecssim.Scenario
	// DesiredCount of the service; zero means 2.
	DesiredCount int32
	// Missing skips creating the service: the watcher finds it MISSING.
	Missing bool
	// Draining deletes the service right after the deployment starts.
	Draining bool
	// Superseded has someone else deploy a newer revision right after ours
	// (Deployment.NewerTaskDefinition), before ours completes.
	Superseded bool
	// TargetWarmup is how long a new target stays "initial" before the
	// bed's load balancer reports it healthy (its health checks warming
	// up); zero means half a step, so new targets are healthy before the
	// old ones are deregistered, as ECS waits for. Negative: none.
	TargetWarmup time.Duration
	// DeregistrationDelay is how long a deregistered target stays
	// "draining" before it is gone; zero means two steps, so the previous
	// deployment's targets still drain when the rollout completes (the
	// stack's delay is 30 s). Negative: none.
	DeregistrationDelay time.Duration
}

// Deployment is what a staged deployment gives the watcher and the checks.
type Deployment struct {
	Cluster, Service string
	// TaskDefinition is the ARN just deployed; PreviousTaskDefinition the
	// one the service ran before (what a rollback returns to).
	TaskDefinition, PreviousTaskDefinition string
	// NewerTaskDefinition is the revision someone else deployed after ours
	// (Setup.Superseded).
	NewerTaskDefinition                      string
	ContainerName, LogGroup, LogStreamPrefix string
	TargetGroupARN                           string
}

// Scenario presets by name, for tests and the bench.
var presets = map[string]Setup{
	"healthy":        {Scenario: ecssim.Scenario{Kind: ecssim.Healthy}},
	"slow":           {Scenario: ecssim.Scenario{Kind: ecssim.Slow}},
	"rollback":       {Scenario: ecssim.Scenario{Kind: ecssim.CircuitBreakerRollback}},
	"breaker-failed": {Scenario: ecssim.Scenario{Kind: ecssim.CircuitBreakerFailed}},
	"crash-loop":     {Scenario: ecssim.Scenario{Kind: ecssim.CrashLoop}},
	"throttled":      {Scenario: ecssim.Scenario{Kind: ecssim.Healthy, Throttle: 2}},
	"unhealthy":      {Scenario: ecssim.Scenario{Kind: ecssim.Healthy, UnhealthyContainers: true}},
	"missing":        {Missing: true},
	"draining":       {Draining: true},
	"superseded":     {Scenario: ecssim.Scenario{Kind: ecssim.Slow}, Superseded: true},
}

// ScenarioNames lists the presets Preset knows.
func ScenarioNames() []string {
	names := make([]string, 0, len(presets))
	for n := range presets {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Preset returns a named scenario with the given step (zero: one second).
func Preset(name string, step time.Duration) (Setup, error) {
	s, ok := presets[name]
	if !ok {
		return Setup{}, fmt.Errorf("test bed: no scenario %q; choose one of %v", name, ScenarioNames())
	}
	s.Scenario.Step = step
	return s, nil
}

// Deploy stages a deployment through real SDK calls: cluster, log group,
// target group, a service running the previous task definition, then
// UpdateService to the new one, whose rollout follows s.Scenario.
func (b *Bed) Deploy(ctx context.Context, s Setup) (*Deployment, error) {
	env := s.Env
	if env.Name == "" {
		var err error
		if env, err = envs.Lookup("stage"); err != nil {
			return nil, err
		}
	}
	d := &Deployment{
		Cluster: s.Cluster, Service: s.Service, ContainerName: env.ContainerName(),
		LogGroup: env.LogGroupName(), LogStreamPrefix: envs.LogStreamPrefix,
	}
	if d.Cluster == "" {
		d.Cluster = env.ClusterName()
	}
	if d.Service == "" {
		d.Service = env.ServiceName()
	}
	desired := s.DesiredCount
	if desired == 0 {
		desired = 2
	}
	b.Sim.SetScenario(d.Cluster, d.Service, s.Scenario)
	ecsClient, logs, elbClient := b.ECS(), b.Logs(), b.ELB()

	if _, err := ecsClient.CreateCluster(ctx, &ecs.CreateClusterInput{ClusterName: aws.String(d.Cluster)}); err != nil {
		return nil, fmt.Errorf("test bed: creating cluster %s: %w", d.Cluster, err)
	}
	_, err := logs.CreateLogGroup(ctx, &cloudwatchlogs.CreateLogGroupInput{LogGroupName: aws.String(d.LogGroup)})
	var exists *logtypes.ResourceAlreadyExistsException
	if err != nil && !errors.As(err, &exists) {
		return nil, fmt.Errorf("test bed: creating log group %s: %w", d.LogGroup, err)
	}
	for i, tag := range []string{"previous", "new"} {
		arn, err := b.registerTaskDefinition(ctx, ecsClient, env, d, tag)
		if err != nil {
			return nil, err
		}
		if i == 0 {
			d.PreviousTaskDefinition = arn
		} else {
			d.TaskDefinition = arn
		}
	}
	// The stack's target group (terraform/modules/service): its health
	// check and deregistration delay, in real seconds. The bed's load
	// balancer plays the states out on the scenario's clock (TargetWarmup,
	// DeregistrationDelay).
	tg, err := elbClient.CreateTargetGroup(ctx, &elb.CreateTargetGroupInput{
		Name: aws.String(b.targetGroupName()), Protocol: elbtypes.ProtocolEnumHttp, Port: aws.Int32(ContainerPort),
		TargetType: elbtypes.TargetTypeEnumIp, VpcId: aws.String("vpc-0123456789abcdef0"), HealthCheckPath: aws.String("/health"),
		HealthCheckIntervalSeconds: aws.Int32(15), HealthCheckTimeoutSeconds: aws.Int32(5), HealthyThresholdCount: aws.Int32(2), UnhealthyThresholdCount: aws.Int32(3),
	})
	if err != nil {
		return nil, fmt.Errorf("test bed: creating the target group: %w", err)
	}
	d.TargetGroupARN = aws.ToString(tg.TargetGroups[0].TargetGroupArn)
	_, err = elbClient.ModifyTargetGroupAttributes(ctx, &elb.ModifyTargetGroupAttributesInput{
		TargetGroupArn: aws.String(d.TargetGroupARN),
		Attributes:     []elbtypes.TargetGroupAttribute{{Key: aws.String("deregistration_delay.timeout_seconds"), Value: aws.String("30")}},
	})
	if err != nil {
		return nil, fmt.Errorf("test bed: setting the target group's deregistration delay: %w", err)
	}
	b.setTargetTiming(d.TargetGroupARN, s.targetTiming())
	if s.Missing {
		return d, nil
	}
	breaker := s.Scenario.Kind != ecssim.CrashLoop
	_, err = ecsClient.CreateService(ctx, &ecs.CreateServiceInput{
		Cluster: aws.String(d.Cluster), ServiceName: aws.String(d.Service), TaskDefinition: aws.String(d.PreviousTaskDefinition),
		DesiredCount: aws.Int32(desired), LaunchType: ecstypes.LaunchTypeFargate,
		LoadBalancers: []ecstypes.LoadBalancer{{TargetGroupArn: aws.String(d.TargetGroupARN), ContainerName: aws.String(d.ContainerName), ContainerPort: aws.Int32(ContainerPort)}},
		DeploymentConfiguration: &ecstypes.DeploymentConfiguration{
			DeploymentCircuitBreaker: &ecstypes.DeploymentCircuitBreaker{Enable: breaker, Rollback: breaker && s.Scenario.Kind != ecssim.CircuitBreakerFailed},
		},
	})
	if err != nil {
		return nil, fmt.Errorf("test bed: creating service %s: %w", d.Service, err)
	}
	b.targetsWarm(d.TargetGroupARN) // the service ran before the deployment: its targets are healthy
	// ECS timestamps carry milliseconds, and the watcher tells the previous
	// deployment's events from ours by time: deploy at least a millisecond
	// after the service was created, as with any real service (otherwise
	// its first "steady state" can pass for news of ours).
	time.Sleep(2 * time.Millisecond)
	_, err = ecsClient.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(d.Cluster), Service: aws.String(d.Service), TaskDefinition: aws.String(d.TaskDefinition)})
	if err != nil {
		return nil, fmt.Errorf("test bed: deploying %s to service %s: %w", d.TaskDefinition, d.Service, err)
	}
	if s.Superseded {
		if d.NewerTaskDefinition, err = b.registerTaskDefinition(ctx, ecsClient, env, d, "newer"); err != nil {
			return nil, err
		}
		_, err = ecsClient.UpdateService(ctx, &ecs.UpdateServiceInput{Cluster: aws.String(d.Cluster), Service: aws.String(d.Service), TaskDefinition: aws.String(d.NewerTaskDefinition)})
		if err != nil {
			return nil, fmt.Errorf("test bed: deploying the newer %s to service %s: %w", d.NewerTaskDefinition, d.Service, err)
		}
	}
	if s.Draining {
		_, err = ecsClient.DeleteService(ctx, &ecs.DeleteServiceInput{Cluster: aws.String(d.Cluster), Service: aws.String(d.Service), Force: aws.Bool(true)})
		if err != nil {
			return nil, fmt.Errorf("test bed: deleting service %s: %w", d.Service, err)
		}
	}
	return d, nil
}

// targetTiming turns the setup's target timings into durations.
func (s Setup) targetTiming() targetTiming {
	step := s.Scenario.Step
	if step <= 0 {
		step = time.Second
	}
	if s.Scenario.Kind == ecssim.Slow {
		step *= ecssim.SlowFactor
	}
	pick := func(d, def time.Duration) time.Duration {
		switch {
		case d < 0:
			return 0
		case d == 0:
			return def
		}
		return d
	}
	return targetTiming{warmup: pick(s.TargetWarmup, step/2), deregistrationDelay: pick(s.DeregistrationDelay, 2*step)}
}

// registerTaskDefinition registers a credex-core task definition shaped
// like Terraform's: awsvpc, the app container with an HTTP health check and
// the awslogs driver.
func (b *Bed) registerTaskDefinition(ctx context.Context, client *ecs.Client, env envs.Environment, d *Deployment, tag string) (string, error) {
	out, err := client.RegisterTaskDefinition(ctx, &ecs.RegisterTaskDefinitionInput{
		Family: aws.String(env.TaskFamily()), NetworkMode: ecstypes.NetworkModeAwsvpc,
		RequiresCompatibilities: []ecstypes.Compatibility{ecstypes.CompatibilityFargate},
		Cpu:                     aws.String("512"), Memory: aws.String("1024"),
		ContainerDefinitions: []ecstypes.ContainerDefinition{{
			Name:         aws.String(d.ContainerName),
			Image:        aws.String(fmt.Sprintf("%s.dkr.ecr.%s.amazonaws.com/credex-core:%s", AccountID, b.Region, tag)),
			Essential:    aws.Bool(true),
			PortMappings: []ecstypes.PortMapping{{ContainerPort: aws.Int32(ContainerPort), Protocol: ecstypes.TransportProtocolTcp}},
			HealthCheck: &ecstypes.HealthCheck{
				Command:  []string{"CMD-SHELL", fmt.Sprintf("curl -f http://localhost:%d/health || exit 1", ContainerPort)},
				Interval: aws.Int32(30), Timeout: aws.Int32(5), Retries: aws.Int32(3), StartPeriod: aws.Int32(60),
			},
			LogConfiguration: &ecstypes.LogConfiguration{LogDriver: ecstypes.LogDriverAwslogs, Options: map[string]string{
				"awslogs-group": d.LogGroup, "awslogs-region": b.Region, "awslogs-stream-prefix": d.LogStreamPrefix,
			}},
		}},
	})
	if err != nil {
		return "", fmt.Errorf("test bed: registering the %s task definition of %s: %w", tag, env.TaskFamily(), err)
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn), nil
}

// targetGroupName is unique in the process: kumo's state is shared by
// every kumo server in it.
func (b *Bed) targetGroupName() string {
	b.mu.Lock()
	b.seq++
	n := b.seq
	b.mu.Unlock()
	return fmt.Sprintf("credex-%d-%d", time.Now().UnixNano()%1_000_000_000, n)
}

// WaitSettled waits until the simulator has settled the deployment's
// rollout and returns the settlement.
func (b *Bed) WaitSettled(ctx context.Context, d *Deployment) (ecssim.Settlement, error) {
	for {
		if st, ok := b.Sim.Settlement(d.Cluster, d.Service, d.TaskDefinition); ok {
			return st, nil
		}
		select {
		case <-ctx.Done():
			return ecssim.Settlement{}, fmt.Errorf("test bed: the rollout of %s did not settle: %w", d.TaskDefinition, ctx.Err())
		case <-time.After(5 * time.Millisecond):
		}
	}
}
