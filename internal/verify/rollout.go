package verify

import (
	"context"
	"fmt"
	"path"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/great-sun-group/credex-ci/internal/report"
	"github.com/great-sun-group/credex-ci/internal/rollout"
)

// waitingEvery is how often an unchanged "waiting" line is repeated.
const waitingEvery = 10 * time.Second

// rollout watches the service roll out the task definition just deployed.
func (v *verification) rollout(ctx context.Context, c *report.Check) error {
	t := v.cfg.Target
	var lastLine string
	var lastAt time.Time
	w := &rollout.Watcher{
		ECS: ecs.NewFromConfig(v.cfg.AWS), Logs: cloudwatchlogs.NewFromConfig(v.cfg.AWS),
		Cluster: t.Cluster, Service: t.Service, TaskDefinition: t.TaskDefinition,
		ContainerName: v.cfg.ContainerName, LogGroup: v.cfg.LogGroup, LogStreamPrefix: v.cfg.LogStreamPrefix,
		Progress: func(p rollout.Progress) {
			for _, e := range p.NewEvents {
				v.progress.Printf(CheckRollout, "event: %s", e.Message)
			}
			for _, st := range p.NewStoppedTasks {
				v.progress.Printf(CheckRollout, "%s", describeStopped(st))
			}
			if line := waitingLine(p.Deployments); line != lastLine || time.Since(lastAt) >= waitingEvery {
				v.progress.Printf(CheckRollout, "%s", line)
				lastLine, lastAt = line, time.Now()
			}
		},
	}
	res, err := w.Watch(ctx)
	if res == nil {
		if err == nil {
			err = fmt.Errorf("the rollout watcher returned no result")
		}
		return err
	}
	c.Evidence = rolloutEvidence(res)
	polls := "polls"
	if res.Polls == 1 {
		polls = "poll"
	}
	c.Evidence = append(c.Evidence, fmt.Sprintf("%d %s over %s", res.Polls, polls, res.Finished.Sub(res.Started).Round(time.Millisecond)))
	if err != nil {
		return err // the watch could not go on (an AWS error the SDK did not retry away): the check's error, with what was seen
	}
	c.Outcome = string(res.Outcome)
	switch {
	case res.OK():
		c.Verdict = report.Pass
		c.Summary = "completed: " + rollout.ShortTaskDefinition(t.TaskDefinition)
		if d := res.Deployment; d != nil {
			c.Summary += fmt.Sprintf(" runs %d/%d tasks", d.Running, d.Desired)
		}
	default:
		c.Verdict = report.Fail
		c.TimedOut = res.Outcome == rollout.TimedOut
		c.Summary = string(res.Outcome) + ": " + res.Reason
	}
	return nil
}

// rolloutEvidence lists the final deployment, the service events and every
// stopped task with its containers' exit codes and last log lines.
func rolloutEvidence(res *rollout.Result) []string {
	var ev []string
	if d := res.Deployment; d != nil {
		ev = append(ev, "deployment: "+describeDeployment(*d))
	}
	for _, e := range res.Events {
		ev = append(ev, fmt.Sprintf("event %s: %s", e.At.UTC().Format("15:04:05"), e.Message))
	}
	for _, st := range res.StoppedTasks {
		ev = append(ev, describeStopped(st))
		for _, ce := range st.Containers {
			ev = append(ev, "  "+describeContainer(ce))
		}
		if st.LogError != "" {
			ev = append(ev, "  logs: "+st.LogError)
		}
		for _, l := range st.LastLogLines {
			ev = append(ev, "  log: "+l)
		}
	}
	return ev
}

func describeDeployment(d rollout.Deployment) string {
	s := fmt.Sprintf("%s %s %d/%d running, %d pending", d.Status, rollout.ShortTaskDefinition(d.TaskDefinition), d.Running, d.Desired, d.Pending)
	if d.Failed > 0 {
		s += fmt.Sprintf(", %d failed", d.Failed)
	}
	if d.RolloutState != "" {
		s += ", rollout " + d.RolloutState
		if d.RolloutStateReason != "" {
			s += " (" + d.RolloutStateReason + ")"
		}
	}
	return s
}

func describeStopped(st rollout.StoppedTask) string {
	s := fmt.Sprintf("task %s (%s) stopped: %s", path.Base(st.ARN), rollout.ShortTaskDefinition(st.TaskDefinition), st.StoppedReason)
	if st.StopCode != "" {
		s += " [" + st.StopCode + "]"
	}
	var exits []string
	for _, ce := range st.Containers {
		if ce.ExitCode != nil {
			exits = append(exits, fmt.Sprintf("%s exit code %d", ce.Name, *ce.ExitCode))
		}
	}
	if len(exits) > 0 {
		s += "; " + strings.Join(exits, ", ")
	}
	return s
}

func describeContainer(ce rollout.ContainerExit) string {
	s := "container " + ce.Name
	if ce.ExitCode != nil {
		s += fmt.Sprintf(" exited %d", *ce.ExitCode)
	}
	if ce.Reason != "" {
		s += ": " + ce.Reason
	}
	return s
}

// waitingLine summarises the deployments: "waiting: credex-core-staging:7
// 1/2 running, 1 pending (PRIMARY, IN_PROGRESS); credex-core-staging:6 2/2
// running (ACTIVE)".
func waitingLine(ds []rollout.Deployment) string {
	if len(ds) == 0 {
		return "waiting: no deployment yet"
	}
	parts := make([]string, 0, len(ds))
	for _, d := range ds {
		state := d.Status
		if d.RolloutState != "" {
			state += ", " + d.RolloutState
		}
		p := fmt.Sprintf("%s %d/%d running", rollout.ShortTaskDefinition(d.TaskDefinition), d.Running, d.Desired)
		if d.Pending > 0 {
			p += fmt.Sprintf(", %d pending", d.Pending)
		}
		if d.Failed > 0 {
			p += fmt.Sprintf(", %d failed", d.Failed)
		}
		parts = append(parts, p+" ("+state+")")
	}
	return "waiting: " + strings.Join(parts, "; ")
}
