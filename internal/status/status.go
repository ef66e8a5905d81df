// Package status checks that an ECS service is actually serving: as many
// tasks running as desired and none pending, every task RUNNING and, where
// its container has a health check, HEALTHY, and the targets of the
// service's running tasks in its ALB target groups healthy. It reports
// every problem it finds, each naming what to look at next.
//
// It does not cry wolf over what a rolling deploy leaves behind for a
// while: targets of tasks outside the service's current deployment that
// are draining (the target group's deregistration delay) are noted, not
// failed; new targets still "initial" (the load balancer's health checks
// warming up) are waited for, within a bound, and fail only if they stay
// initial or turn unhealthy.
package status

import (
	"context"
	"fmt"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	ecstypes "github.com/aws/aws-sdk-go-v2/service/ecs/types"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/great-sun-group/credex-ci/internal/awsconf"
)

// ECSClient is the part of the ECS API the check uses; *ecs.Client
// satisfies it.
type ECSClient interface {
	DescribeServices(ctx context.Context, in *ecs.DescribeServicesInput, opts ...func(*ecs.Options)) (*ecs.DescribeServicesOutput, error)
	ListTasks(ctx context.Context, in *ecs.ListTasksInput, opts ...func(*ecs.Options)) (*ecs.ListTasksOutput, error)
	DescribeTasks(ctx context.Context, in *ecs.DescribeTasksInput, opts ...func(*ecs.Options)) (*ecs.DescribeTasksOutput, error)
	DescribeTaskDefinition(ctx context.Context, in *ecs.DescribeTaskDefinitionInput, opts ...func(*ecs.Options)) (*ecs.DescribeTaskDefinitionOutput, error)
}

// ELBClient reads target health; *elasticloadbalancingv2.Client satisfies
// it.
type ELBClient interface {
	DescribeTargetHealth(ctx context.Context, in *elb.DescribeTargetHealthInput, opts ...func(*elb.Options)) (*elb.DescribeTargetHealthOutput, error)
}

// Checker checks one service. ELB is needed when the service has a load
// balancer.
type Checker struct {
	ECS              ECSClient
	ELB              ELBClient
	Cluster, Service string
	// WarmupWait bounds the wait for targets in "initial" to become
	// healthy. Zero: the target group's own warm-up, the health check
	// interval × the healthy threshold + the check's timeout (35 s for the
	// stack's 15 s × 2 + 5 s; DescribeTargetGroups), DefaultWarmupWait when
	// it cannot be read; never more than MaxWarmupWait.
	WarmupWait time.Duration
	// PollInterval is the time between two reads of the target health while
	// waiting (default 2 s).
	PollInterval time.Duration
}

// Bounds of the wait for initial targets.
const (
	// DefaultWarmupWait is the stack's warm-up (15 s × 2 + 5 s), for a
	// target group whose health check settings cannot be read.
	DefaultWarmupWait = 35 * time.Second
	// MaxWarmupWait caps the wait so that the status check's own timeout
	// (2 minutes in every environment's policy) is not what ends it.
	MaxWarmupWait = 90 * time.Second
	// DefaultPollInterval is how often target health is read while waiting.
	DefaultPollInterval = 2 * time.Second
)

// ELBTargetGroupReader reads a target group's health check settings and
// attributes, to size the wait and word the notes; an ELBClient that also
// has these methods (*elasticloadbalancingv2.Client does) is asked.
type ELBTargetGroupReader interface {
	DescribeTargetGroups(ctx context.Context, in *elb.DescribeTargetGroupsInput, opts ...func(*elb.Options)) (*elb.DescribeTargetGroupsOutput, error)
	DescribeTargetGroupAttributes(ctx context.Context, in *elb.DescribeTargetGroupAttributesInput, opts ...func(*elb.Options)) (*elb.DescribeTargetGroupAttributesOutput, error)
}

// Result is what the check saw.
type Result struct {
	Desired        int32    `json:"desired"`
	Running        int32    `json:"running"`
	Pending        int32    `json:"pending"`
	TaskDefinition string   `json:"taskDefinition,omitempty"`
	Tasks          []Task   `json:"tasks,omitempty"`
	Targets        []Target `json:"targets,omitempty"`
	// Problems is empty when the service is healthy.
	Problems []string `json:"problems,omitempty"`
	// Notes are what a rolling deploy leaves behind for a while and the
	// check accepted: targets draining, targets that warmed up.
	Notes []string `json:"notes,omitempty"`
}

// OK reports whether the check found no problem.
func (r *Result) OK() bool { return r != nil && len(r.Problems) == 0 }

// Task is a running task of the service.
type Task struct {
	ARN            string `json:"arn"`
	TaskDefinition string `json:"taskDefinition"`
	LastStatus     string `json:"lastStatus"`
	HealthStatus   string `json:"healthStatus"`
	// PrivateIP is the task's address (awsvpc), its target's ID.
	PrivateIP  string      `json:"privateIp,omitempty"`
	Containers []Container `json:"containers"`
}

// Container is a task's container.
type Container struct {
	Name         string `json:"name"`
	LastStatus   string `json:"lastStatus"`
	HealthStatus string `json:"healthStatus"`
	// HasHealthCheck says whether the task definition gives the container a
	// health check (only then must it be HEALTHY).
	HasHealthCheck bool `json:"hasHealthCheck"`
}

// Target is a target of one of the service's target groups.
type Target struct {
	TargetGroupARN string `json:"targetGroupArn"`
	ID             string `json:"id"`
	Port           int32  `json:"port"`
	State          string `json:"state"`
	Reason         string `json:"reason,omitempty"`
	Description    string `json:"description,omitempty"`
	// Task is the ID of the running task of the current deployment the
	// target is; empty for a target of no such task (the previous
	// deployment's, draining).
	Task string `json:"task,omitempty"`
}

// Current reports whether the target is a running task of the service's
// current deployment.
func (t Target) Current() bool { return t.Task != "" }

func (r *Result) problem(format string, args ...any) {
	r.Problems = append(r.Problems, fmt.Sprintf(format, args...))
}

// Check looks at the service, its tasks and its targets once. The error is
// for failures to look (AWS errors); what is wrong with the service is in
// Result.Problems.
func (c Checker) Check(ctx context.Context) (*Result, error) {
	if c.ECS == nil || c.Cluster == "" || c.Service == "" {
		return nil, fmt.Errorf("status check: give it an ECS client, the cluster and the service")
	}
	out, err := c.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(c.Cluster), Services: []string{c.Service}})
	if err != nil {
		return nil, fmt.Errorf("service %s in cluster %s: %w (check the AWS credentials, region and endpoint)", c.Service, c.Cluster, awsconf.Concise(err))
	}
	r := &Result{}
	if len(out.Services) == 0 || aws.ToString(out.Services[0].Status) != "ACTIVE" {
		state := "MISSING"
		if len(out.Services) > 0 {
			state = aws.ToString(out.Services[0].Status)
		}
		r.problem("service %s in cluster %s is %s: create it (terraform apply) or check the environment", c.Service, c.Cluster, state)
		return r, nil
	}
	svc := out.Services[0]
	r.Desired, r.Running, r.Pending, r.TaskDefinition = svc.DesiredCount, svc.RunningCount, svc.PendingCount, aws.ToString(svc.TaskDefinition)
	if r.Running != r.Desired {
		r.problem("%d of %d desired tasks are running: read the service events (aws ecs describe-services) and the stopped tasks' stoppedReason", r.Running, r.Desired)
	}
	if r.Pending > 0 {
		r.problem("%d tasks are still pending: the service has not settled; wait for the rollout to finish", r.Pending)
	}
	if err := c.checkTasks(ctx, r); err != nil {
		return r, err
	}
	if len(svc.LoadBalancers) > 0 && c.ELB == nil {
		return r, fmt.Errorf("status check: service %s sits behind a load balancer; give the checker an ELBv2 client", c.Service)
	}
	for _, lb := range svc.LoadBalancers {
		if arn := aws.ToString(lb.TargetGroupArn); arn != "" {
			if err := c.checkTargets(ctx, r, arn); err != nil {
				return r, err
			}
		}
	}
	return r, nil
}

// checkTasks requires every running task RUNNING and its health-checked
// containers HEALTHY.
func (c Checker) checkTasks(ctx context.Context, r *Result) error {
	var arns []string
	var next *string
	for {
		out, err := c.ECS.ListTasks(ctx, &ecs.ListTasksInput{Cluster: aws.String(c.Cluster), ServiceName: aws.String(c.Service), DesiredStatus: ecstypes.DesiredStatusRunning, NextToken: next})
		if err != nil {
			return fmt.Errorf("the tasks of service %s: %w", c.Service, awsconf.Concise(err))
		}
		arns = append(arns, out.TaskArns...)
		if next = out.NextToken; next == nil {
			break
		}
	}
	checks := map[string]map[string]bool{} // task definition ARN -> container -> has a health check
	for start := 0; start < len(arns); start += 100 {
		out, err := c.ECS.DescribeTasks(ctx, &ecs.DescribeTasksInput{Cluster: aws.String(c.Cluster), Tasks: arns[start:min(start+100, len(arns))]})
		if err != nil {
			return fmt.Errorf("the tasks of service %s: %w", c.Service, awsconf.Concise(err))
		}
		for _, t := range out.Tasks {
			tdARN := aws.ToString(t.TaskDefinitionArn)
			if checks[tdARN] == nil {
				if checks[tdARN], err = c.healthChecks(ctx, tdARN); err != nil {
					return err
				}
			}
			r.Tasks = append(r.Tasks, c.checkTask(r, t, checks[tdARN]))
		}
	}
	return nil
}

func (c Checker) checkTask(r *Result, t ecstypes.Task, checks map[string]bool) Task {
	task := Task{ARN: aws.ToString(t.TaskArn), TaskDefinition: aws.ToString(t.TaskDefinitionArn), LastStatus: aws.ToString(t.LastStatus), HealthStatus: string(t.HealthStatus), PrivateIP: privateIP(t)}
	id := task.ARN[strings.LastIndex(task.ARN, "/")+1:]
	if task.LastStatus != "RUNNING" {
		r.problem("task %s is %s, not RUNNING: it is still starting or is stopping; run the check again once the service is stable", id, task.LastStatus)
	}
	for _, ct := range t.Containers {
		cont := Container{Name: aws.ToString(ct.Name), LastStatus: aws.ToString(ct.LastStatus), HealthStatus: string(ct.HealthStatus)}
		cont.HasHealthCheck = checks[cont.Name]
		if cont.HasHealthCheck && task.LastStatus == "RUNNING" && cont.HealthStatus != "HEALTHY" {
			r.problem("task %s: container %s is %s: its health check is not passing; read its logs", id, cont.Name, orUnknown(cont.HealthStatus))
		}
		task.Containers = append(task.Containers, cont)
	}
	return task
}

// healthChecks tells which containers of a task definition have a health
// check.
func (c Checker) healthChecks(ctx context.Context, taskDefinition string) (map[string]bool, error) {
	out, err := c.ECS.DescribeTaskDefinition(ctx, &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(taskDefinition)})
	if err != nil {
		return nil, fmt.Errorf("task definition %s: %w", taskDefinition, awsconf.Concise(err))
	}
	checks := map[string]bool{}
	for _, cd := range out.TaskDefinition.ContainerDefinitions {
		checks[aws.ToString(cd.Name)] = cd.HealthCheck != nil && len(cd.HealthCheck.Command) > 0
	}
	return checks, nil
}

// privateIP is a task's address on its ENI (awsvpc: Fargate).
func privateIP(t ecstypes.Task) string {
	for _, a := range t.Attachments {
		for _, d := range a.Details {
			if aws.ToString(d.Name) == "privateIPv4Address" {
				return aws.ToString(d.Value)
			}
		}
	}
	for _, c := range t.Containers {
		for _, n := range c.NetworkInterfaces {
			if ip := aws.ToString(n.PrivateIpv4Address); ip != "" {
				return ip
			}
		}
	}
	return ""
}

// checkTargets requires the service's running tasks registered and
// healthy. Targets of other tasks that are draining are the previous
// deployment's: noted. Targets still initial are waited for (warmupWait),
// then judged.
func (c Checker) checkTargets(ctx context.Context, r *Result, targetGroupARN string) error {
	current := map[string]string{} // IP -> task ID, for the running tasks of the current deployment
	for _, t := range r.Tasks {
		if t.PrivateIP != "" && t.LastStatus == "RUNNING" && t.TaskDefinition == r.TaskDefinition {
			current[t.PrivateIP] = path.Base(t.ARN)
		}
	}
	targets, err := c.readTargets(ctx, targetGroupARN, current)
	if err != nil {
		return err
	}
	name := targetGroupName(targetGroupARN)
	warming := filter(targets, func(t Target) bool { return t.State == "initial" })
	var waited, bound time.Duration
	var boundWhy string
	if len(warming) > 0 {
		bound, boundWhy = c.warmupWait(ctx, targetGroupARN)
		start := time.Now()
		interval := c.PollInterval
		if interval <= 0 {
			interval = DefaultPollInterval
		}
		poll, deadline := time.NewTicker(interval), time.NewTimer(bound)
	wait:
		for slices.ContainsFunc(targets, func(t Target) bool { return t.State == "initial" }) {
			select {
			case <-ctx.Done():
				break wait
			case <-deadline.C:
				break wait
			case <-poll.C:
			}
			if targets, err = c.readTargets(ctx, targetGroupARN, current); err != nil {
				poll.Stop()
				return err
			}
		}
		poll.Stop()
		deadline.Stop()
		waited = time.Since(start)
	}

	if len(targets) == 0 {
		r.problem("target group %s has no registered targets: the load balancer sends no traffic to the service", name)
	} else if len(current) > 0 && !slices.ContainsFunc(targets, Target.Current) {
		r.problem("none of the service's running tasks is registered in target group %s: the load balancer sends them no traffic; read the service events (aws ecs describe-services)", name)
	}
	var draining, warmedUp []string
	for _, t := range targets {
		addr := fmt.Sprintf("%s:%d", t.ID, t.Port)
		switch {
		case t.State == "healthy":
			if slices.ContainsFunc(warming, func(w Target) bool { return w.ID == t.ID && w.Port == t.Port }) {
				warmedUp = append(warmedUp, addr)
			}
		case t.State == "draining" && !t.Current():
			draining = append(draining, addr)
		case t.State == "draining":
			r.problem("target %s (task %s, running in the current deployment) in target group %s is draining: the load balancer is taking it out of service; read the service events: ECS may be replacing the task", addr, t.Task, name)
		case t.State == "initial":
			r.problem("target %s in target group %s is still initial after %s%s: the load balancer's health checks have not passed yet; check the health check path and the app's /health, or run the check again", addr, name, round(waited), boundWhy)
		default:
			r.problem("target %s in target group %s is %s%s: check the health check path and the app's /health", addr, name, orUnknown(t.State), detail(t))
		}
	}
	if len(draining) > 0 {
		delay := c.deregistrationDelay(ctx, targetGroupARN)
		r.Notes = append(r.Notes, fmt.Sprintf("%d target(s) of the previous deployment draining in target group %s (%s): the load balancer lets their connections finish%s before ECS stops them; expected after a rolling deploy",
			len(draining), name, strings.Join(draining, ", "), delay))
	}
	if len(warmedUp) > 0 {
		r.Notes = append(r.Notes, fmt.Sprintf("%d target(s) in target group %s were initial, the load balancer's health checks warming up (%s), and were healthy %s later (waiting at most %s%s)",
			len(warmedUp), name, strings.Join(warmedUp, ", "), round(waited), round(bound), boundWhy))
	}
	r.Targets = append(r.Targets, targets...)
	return nil
}

// readTargets reads a target group's targets, marking those of the current
// deployment's running tasks.
func (c Checker) readTargets(ctx context.Context, targetGroupARN string, current map[string]string) ([]Target, error) {
	out, err := c.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(targetGroupARN)})
	if err != nil {
		return nil, fmt.Errorf("the targets of target group %s: %w", targetGroupARN, awsconf.Concise(err))
	}
	targets := make([]Target, 0, len(out.TargetHealthDescriptions))
	for _, d := range out.TargetHealthDescriptions {
		t := Target{TargetGroupARN: targetGroupARN}
		if d.Target != nil {
			t.ID, t.Port = aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port)
		}
		if h := d.TargetHealth; h != nil {
			t.State, t.Reason, t.Description = string(h.State), string(h.Reason), aws.ToString(h.Description)
		}
		t.Task = current[t.ID]
		targets = append(targets, t)
	}
	return targets, nil
}

// warmupWait is how long initial targets are waited for, and why: the
// target group's health check interval × healthy threshold + timeout.
func (c Checker) warmupWait(ctx context.Context, targetGroupARN string) (time.Duration, string) {
	if c.WarmupWait > 0 {
		return c.WarmupWait, ""
	}
	reader, ok := c.ELB.(ELBTargetGroupReader)
	if !ok {
		return DefaultWarmupWait, ""
	}
	out, err := reader.DescribeTargetGroups(ctx, &elb.DescribeTargetGroupsInput{TargetGroupArns: []string{targetGroupARN}})
	if err != nil || len(out.TargetGroups) == 0 {
		return DefaultWarmupWait, "" // a caller without elasticloadbalancing:DescribeTargetGroups: the stack's own settings
	}
	tg := out.TargetGroups[0]
	interval, threshold, timeout := aws.ToInt32(tg.HealthCheckIntervalSeconds), aws.ToInt32(tg.HealthyThresholdCount), aws.ToInt32(tg.HealthCheckTimeoutSeconds)
	if interval <= 0 || threshold <= 0 {
		return DefaultWarmupWait, ""
	}
	d := time.Duration(interval*threshold+timeout) * time.Second
	why := fmt.Sprintf(": %ds health check interval × %d healthy checks + %ds timeout", interval, threshold, timeout)
	if d > MaxWarmupWait {
		return MaxWarmupWait, why + fmt.Sprintf(", capped at %s", MaxWarmupWait)
	}
	return d, why
}

// deregistrationDelay words the target group's deregistration delay for a
// note (" for up to 30s"), or nothing when it cannot be read.
func (c Checker) deregistrationDelay(ctx context.Context, targetGroupARN string) string {
	reader, ok := c.ELB.(ELBTargetGroupReader)
	if !ok {
		return ""
	}
	out, err := reader.DescribeTargetGroupAttributes(ctx, &elb.DescribeTargetGroupAttributesInput{TargetGroupArn: aws.String(targetGroupARN)})
	if err != nil {
		return ""
	}
	for _, a := range out.Attributes {
		if aws.ToString(a.Key) == "deregistration_delay.timeout_seconds" {
			if s, err := strconv.Atoi(aws.ToString(a.Value)); err == nil {
				return fmt.Sprintf(" for up to %s (the target group's deregistration delay)", time.Duration(s)*time.Second)
			}
		}
	}
	return ""
}

func detail(t Target) string {
	if t.Reason == "" && t.Description == "" {
		return ""
	}
	return " (" + strings.Trim(t.Reason+": "+t.Description, ": ") + ")"
}

func filter(targets []Target, keep func(Target) bool) []Target {
	var out []Target
	for _, t := range targets {
		if keep(t) {
			out = append(out, t)
		}
	}
	return out
}

func round(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}

func targetGroupName(arn string) string {
	parts := strings.Split(arn, "/")
	if len(parts) >= 2 {
		return parts[len(parts)-2]
	}
	return arn
}

func orUnknown(s string) string {
	if s == "" {
		return "UNKNOWN"
	}
	return s
}
