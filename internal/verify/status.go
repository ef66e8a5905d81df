package verify

import (
	"context"
	"fmt"
	"path"
	"strings"

	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elbv2 "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"

	"github.com/great-sun-group/credex-ci/internal/report"
	"github.com/great-sun-group/credex-ci/internal/rollout"
	"github.com/great-sun-group/credex-ci/internal/status"
)

// status checks running == desired, every task RUNNING (and HEALTHY where
// the container has a health check) and the load balancer's targets of those
// tasks healthy; the previous deployment's draining targets and targets
// that warmed up are notes.
func (v *verification) status(ctx context.Context, c *report.Check) error {
	t := v.cfg.Target
	res, err := status.Checker{
		ECS: ecs.NewFromConfig(v.cfg.AWS), ELB: elbv2.NewFromConfig(v.cfg.AWS),
		Cluster: t.Cluster, Service: t.Service,
	}.Check(ctx)
	if err != nil {
		return err // it names the service and the call
	}
	counts := fmt.Sprintf("%d/%d running, %d pending", res.Running, res.Desired, res.Pending)
	c.Evidence = append(c.Evidence, counts+" ("+rollout.ShortTaskDefinition(res.TaskDefinition)+")")
	healthyTargets, servingTargets, drainingOld := 0, 0, 0
	for _, task := range res.Tasks {
		c.Evidence = append(c.Evidence, describeTask(task))
	}
	for _, target := range res.Targets {
		line := fmt.Sprintf("target %s:%d in %s: %s", target.ID, target.Port, path.Base(path.Dir(target.TargetGroupARN)), target.State)
		if target.Reason != "" || target.Description != "" {
			line += fmt.Sprintf(" (%s: %s)", target.Reason, target.Description)
		}
		if target.Current() {
			line += ", task " + target.Task
		} else {
			line += ", no running task of the current deployment"
		}
		switch {
		case target.State == "draining" && !target.Current():
			drainingOld++
		case target.State == "healthy":
			healthyTargets++
			servingTargets++
		default:
			servingTargets++
		}
		c.Evidence = append(c.Evidence, line)
	}
	c.Notes = append(c.Notes, res.Notes...)
	if !res.OK() {
		c.Verdict = report.Fail
		c.Summary = strings.Join(res.Problems, "; ")
		return nil
	}
	c.Verdict = report.Pass
	c.Summary = fmt.Sprintf("%s; %d task(s) RUNNING, %d/%d target(s) healthy", counts, len(res.Tasks), healthyTargets, servingTargets)
	if drainingOld > 0 {
		c.Summary += fmt.Sprintf(", %d of the previous deployment draining (see the notes)", drainingOld)
	}
	return nil
}

func describeTask(t status.Task) string {
	s := fmt.Sprintf("task %s (%s): %s", path.Base(t.ARN), rollout.ShortTaskDefinition(t.TaskDefinition), t.LastStatus)
	if t.HealthStatus != "" {
		s += ", " + t.HealthStatus
	}
	for _, ct := range t.Containers {
		s += fmt.Sprintf("; container %s %s", ct.Name, ct.LastStatus)
		if ct.HasHealthCheck {
			s += " " + ct.HealthStatus
		}
	}
	return s
}
