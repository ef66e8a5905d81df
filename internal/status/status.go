// Package status checks that an ECS service is actually serving: as many
// tasks running as desired and none pending, every task RUNNING and, where
// its container has a health check, HEALTHY, and every target of the
// service's ALB target groups healthy. It reports every problem it finds,
// each naming what to look at next.
package status

import (
	"context"
	"fmt"
	"strings"

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
}

// OK reports whether the check found no problem.
func (r *Result) OK() bool { return r != nil && len(r.Problems) == 0 }

// Task is a running task of the service.
type Task struct {
	ARN            string      `json:"arn"`
	TaskDefinition string      `json:"taskDefinition"`
	LastStatus     string      `json:"lastStatus"`
	HealthStatus   string      `json:"healthStatus"`
	Containers     []Container `json:"containers"`
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
}

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
	task := Task{ARN: aws.ToString(t.TaskArn), TaskDefinition: aws.ToString(t.TaskDefinitionArn), LastStatus: aws.ToString(t.LastStatus), HealthStatus: string(t.HealthStatus)}
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

// checkTargets requires at least one target, all healthy.
func (c Checker) checkTargets(ctx context.Context, r *Result, targetGroupARN string) error {
	out, err := c.ELB.DescribeTargetHealth(ctx, &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(targetGroupARN)})
	if err != nil {
		return fmt.Errorf("the targets of target group %s: %w", targetGroupARN, awsconf.Concise(err))
	}
	name := targetGroupName(targetGroupARN)
	if len(out.TargetHealthDescriptions) == 0 {
		r.problem("target group %s has no registered targets: the load balancer sends no traffic to the service", name)
	}
	for _, d := range out.TargetHealthDescriptions {
		t := Target{TargetGroupARN: targetGroupARN}
		if d.Target != nil {
			t.ID, t.Port = aws.ToString(d.Target.Id), aws.ToInt32(d.Target.Port)
		}
		if h := d.TargetHealth; h != nil {
			t.State, t.Reason, t.Description = string(h.State), string(h.Reason), aws.ToString(h.Description)
		}
		if t.State != "healthy" {
			detail := ""
			if t.Reason != "" || t.Description != "" {
				detail = " (" + strings.Trim(t.Reason+": "+t.Description, ": ") + ")"
			}
			r.problem("target %s:%d in target group %s is %s%s: check the health check path and the app's /health", t.ID, t.Port, name, orUnknown(t.State), detail)
		}
		r.Targets = append(r.Targets, t)
	}
	return nil
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
