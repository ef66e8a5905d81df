package rollout

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"

	"github.com/great-sun-group/credex-ci/internal/awsconf"
)

// Watch polls the service until the rollout of w.TaskDefinition settles or
// ctx ends (Outcome TimedOut, with the last deployment state). The error is
// for failures to watch at all (bad input, AWS errors the SDK did not retry
// away); a failed rollout is a Result whose OK is false.
func (w *Watcher) Watch(ctx context.Context) (*Result, error) {
	if err := w.validate(); err != nil {
		return nil, err
	}
	minInterval, maxInterval := w.intervals()
	st := &watchState{w: w, seenEvents: map[string]bool{}, seenStopped: map[string]bool{}}
	r := &Result{Started: time.Now()}
	st.result = r
	interval := minInterval
	for {
		r.Polls++
		p, verdict, err := st.poll(ctx)
		if err != nil {
			if ctx.Err() != nil {
				return st.timedOut(ctx), nil
			}
			r.Finished = time.Now()
			return r, err
		}
		if verdict != nil {
			r.Outcome, r.Reason, r.Finished = verdict.outcome, verdict.reason, time.Now()
			w.report(p)
			return r, nil
		}
		if p.changed {
			interval = minInterval
		} else {
			interval = min(interval*3/2, maxInterval)
		}
		wait := time.Duration(float64(interval) * (0.8 + 0.4*rand.Float64()))
		p.NextPoll = wait
		w.report(p)
		timer := time.NewTimer(wait)
		select {
		case <-ctx.Done():
			timer.Stop()
			return st.timedOut(ctx), nil
		case <-timer.C:
		}
	}
}

func (w *Watcher) validate() error {
	var missing []string
	if w.ECS == nil {
		missing = append(missing, "an ECS client")
	}
	if w.Cluster == "" {
		missing = append(missing, "the cluster")
	}
	if w.Service == "" {
		missing = append(missing, "the service")
	}
	if w.TaskDefinition == "" {
		missing = append(missing, "the task definition just deployed")
	}
	if len(missing) > 0 {
		return fmt.Errorf("rollout watcher: give it %s", strings.Join(missing, ", "))
	}
	if !strings.Contains(ShortTaskDefinition(w.TaskDefinition), ":") {
		return fmt.Errorf("rollout watcher: task definition %q has no revision: pass the family:revision or the ARN that RegisterTaskDefinition returned", w.TaskDefinition)
	}
	return nil
}

func (w *Watcher) intervals() (time.Duration, time.Duration) {
	lo, hi := w.MinInterval, w.MaxInterval
	if lo <= 0 {
		lo = DefaultMinInterval
	}
	if hi <= 0 {
		hi = DefaultMaxInterval
	}
	return lo, max(lo, hi)
}

func (w *Watcher) report(p *pollNews) {
	if w.Progress != nil {
		w.Progress(p.Progress)
	}
}

// watchState is what the watcher remembers between polls.
type watchState struct {
	w           *Watcher
	result      *Result
	seenEvents  map[string]bool
	seenStopped map[string]bool
	last        []Deployment
	since       time.Time
	failedSeen  int32
	evidenceErr error       // the last failure to read the stopped tasks
	ours        *Deployment // our deployment as last seen, if ever
}

type pollNews struct {
	Progress
	changed bool
}

type verdict struct {
	outcome Outcome
	reason  string
}

// poll describes the service once, records the news and decides.
func (st *watchState) poll(ctx context.Context) (*pollNews, *verdict, error) {
	w, r := st.w, st.result
	out, err := w.ECS.DescribeServices(ctx, &ecs.DescribeServicesInput{Cluster: aws.String(w.Cluster), Services: []string{w.Service}})
	p := &pollNews{Progress: Progress{Poll: r.Polls, At: time.Now()}}
	if err != nil {
		var notFound *types.ClusterNotFoundException
		if errors.As(err, &notFound) {
			return p, &verdict{ServiceMissing, fmt.Sprintf("cluster %s does not exist in this account and region: check --env and the AWS region, or create it (terraform apply)", w.Cluster)}, nil
		}
		return p, nil, fmt.Errorf("service %s in cluster %s: %w (check the AWS credentials, region and endpoint)", w.Service, w.Cluster, awsconf.Concise(err))
	}
	if len(out.Services) == 0 {
		reason := "MISSING"
		if len(out.Failures) > 0 && out.Failures[0].Reason != nil {
			reason = *out.Failures[0].Reason
		}
		return p, &verdict{ServiceMissing, fmt.Sprintf("service %s not found in cluster %s (%s): create it (terraform apply) or check the service name for this environment", w.Service, w.Cluster, reason)}, nil
	}
	svc := out.Services[0]
	deployments := convertDeployments(svc.Deployments)
	p.Deployments = deployments
	p.changed = !equalDeployments(deployments, st.last)
	st.last = deployments
	ours, primary := st.find(deployments)
	if ours != nil {
		d := *ours
		r.Deployment = &d
		st.ours = &d
	} else if primary != nil {
		d := *primary
		r.Deployment = &d
	}
	if st.since.IsZero() {
		st.since = r.Started
		if d := findByTaskDef(svc.Deployments, w.TaskDefinition); d != nil && d.CreatedAt != nil {
			st.since = *d.CreatedAt
		}
	}
	p.NewEvents = st.newEvents(svc.Events)
	r.Events = append(r.Events, p.NewEvents...)
	p.changed = p.changed || len(p.NewEvents) > 0

	if status := aws.ToString(svc.Status); status != "ACTIVE" {
		return p, &verdict{ServiceMissing, fmt.Sprintf("service %s in cluster %s is %s: it is being deleted or was deleted; recreate it (terraform apply) before deploying", w.Service, w.Cluster, status)}, nil
	}
	if ours != nil && ours.Failed > st.failedSeen {
		stopped, err := st.collectStopped(ctx)
		if err != nil && ctx.Err() != nil {
			return p, nil, err
		}
		st.failedSeen = ours.Failed
		p.NewStoppedTasks = stopped
		p.changed = true
	}
	v := st.decide(svc, ours, primary)
	if v != nil && v.outcome != Completed && v.outcome != Superseded { // nothing of ours failed when superseded
		if len(st.result.StoppedTasks) == 0 {
			stopped, err := st.collectStopped(ctx)
			if err != nil && ctx.Err() != nil {
				return p, nil, err
			}
			p.NewStoppedTasks = append(p.NewStoppedTasks, stopped...)
		}
		v.reason += st.evidence()
	}
	return p, v, nil
}

// collectStopped reads the stopped tasks' evidence. Failing to read it
// (say, no ecs:ListTasks permission) does not stop the watch: the verdict
// comes from DescribeServices; the failure is kept for the reason.
func (st *watchState) collectStopped(ctx context.Context) ([]StoppedTask, error) {
	stopped, err := st.readStopped(ctx)
	if err != nil {
		st.evidenceErr = err
	}
	return stopped, err
}

// find returns the deployment of our task definition and the PRIMARY one.
func (st *watchState) find(ds []Deployment) (ours, primary *Deployment) {
	for i := range ds {
		d := &ds[i]
		if d.Status == "PRIMARY" && primary == nil {
			primary = d
		}
		if sameTaskDef(d.TaskDefinition, st.w.TaskDefinition) && (ours == nil || d.Status == "PRIMARY") {
			ours = d
		}
	}
	return ours, primary
}

// newEvents returns the events not seen before that belong to this rollout
// (none older than our deployment), oldest first.
func (st *watchState) newEvents(events []types.ServiceEvent) []ServiceEvent {
	var out []ServiceEvent
	for i := len(events) - 1; i >= 0; i-- {
		e := events[i]
		id := aws.ToString(e.Id)
		if st.seenEvents[id] {
			continue
		}
		st.seenEvents[id] = true
		at := aws.ToTime(e.CreatedAt)
		if at.Before(st.since) {
			continue
		}
		out = append(out, ServiceEvent{At: at, Message: aws.ToString(e.Message)})
	}
	return out
}

// timedOut is the verdict when ctx ends first.
func (st *watchState) timedOut(ctx context.Context) *Result {
	r := st.result
	r.Outcome, r.Finished = TimedOut, time.Now()
	state := "no deployment of it was seen"
	if d := r.Deployment; d != nil {
		state = fmt.Sprintf("deployment %s (%s) is %s %s with %d of %d tasks running, %d pending, %d failed", d.ID, ShortTaskDefinition(d.TaskDefinition), d.Status, orUnknown(d.RolloutState), d.Running, d.Desired, d.Pending, d.Failed)
	}
	why := "the watch was cancelled"
	if errors.Is(ctx.Err(), context.DeadlineExceeded) {
		why = "the timeout ran out"
	}
	r.Reason = fmt.Sprintf("the rollout of %s did not settle before %s: %s; read the service events, then wait longer (credex-ci's --rollout-timeout, or the environment's policy) or roll back", ShortTaskDefinition(st.w.TaskDefinition), why, state)
	return r
}

func orUnknown(s string) string {
	if s == "" {
		return "(no rollout state)"
	}
	return s
}
