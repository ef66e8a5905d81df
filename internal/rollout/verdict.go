package rollout

import (
	"fmt"
	"strconv"
	"strings"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs/types"
)

// decide turns one look at the service into a verdict, or nil to keep
// watching. Failure reasons get the stopped tasks' evidence appended by the
// caller.
func (st *watchState) decide(svc types.Service, ours, primary *Deployment) *verdict {
	w := st.w
	want := ShortTaskDefinition(w.TaskDefinition)
	if ours != nil && ours.RolloutState == "FAILED" {
		if primary != nil && primary != ours {
			return &verdict{RolledBack, fmt.Sprintf("the circuit breaker rolled back to %s: deployment %s of %s failed (%s)", ShortTaskDefinition(primary.TaskDefinition), ours.ID, want, ours.RolloutStateReason)}
		}
		return &verdict{Failed, fmt.Sprintf("deployment %s of %s failed (%s) and was not rolled back: the service still runs the failed task definition; fix it and deploy again, or deploy the previous revision", ours.ID, want, ours.RolloutStateReason)}
	}
	if primary != nil && !sameTaskDef(primary.TaskDefinition, w.TaskDefinition) {
		if why := st.rollbackSign(primary); why != "" {
			// Ours failed and ECS dropped it between two polls.
			return &verdict{RolledBack, fmt.Sprintf("the circuit breaker rolled back to %s: %s failed (%s)", ShortTaskDefinition(primary.TaskDefinition), st.oursName(), why)}
		}
		if st.supersededBy(primary) {
			return st.superseded(primary)
		}
		return &verdict{RolledBack, fmt.Sprintf("the PRIMARY deployment %s runs %s, not %s: the rollout was rolled back, or replaced before this watch began; read the service events", primary.ID, ShortTaskDefinition(primary.TaskDefinition), want)}
	}
	if primary == nil || primary != ours {
		return nil
	}
	if ours.RolloutState == "COMPLETED" || (ours.RolloutState == "" && len(st.last) == 1 && ours.Running == ours.Desired) {
		return &verdict{Completed, fmt.Sprintf("deployment %s of %s completed: %d of %d tasks running", ours.ID, want, ours.Running, ours.Desired)}
	}
	breaker := svc.DeploymentConfiguration != nil && svc.DeploymentConfiguration.DeploymentCircuitBreaker != nil && svc.DeploymentConfiguration.DeploymentCircuitBreaker.Enable
	limit := w.FailedTaskLimit
	if limit <= 0 {
		limit = DefaultFailedTaskLimit
	}
	if !breaker && int(ours.Failed) >= limit {
		return &verdict{Failed, fmt.Sprintf("%d tasks of %s failed to start and service %s has no deployment circuit breaker to stop the rollout, so ECS would keep retrying: fix the task definition and deploy again, or deploy the previous revision (and enable the circuit breaker with rollback)", ours.Failed, want, w.Service)}
	}
	return nil
}

// rollbackSign returns what says that the circuit breaker made primary to
// roll ours back, when ours is no longer listed as FAILED (ECS dropped it
// between two polls): the PRIMARY's reason ("ECS deployment circuit
// breaker: rolling back to deploymentId …") or a service event since our
// deployment ("(deployment <ours>) deployment failed: …", "rolling back to
// deployment …"). It is empty when nothing says so.
func (st *watchState) rollbackSign(primary *Deployment) string {
	if strings.Contains(strings.ToLower(primary.RolloutStateReason), "circuit breaker") {
		return primary.RolloutStateReason
	}
	signs := []string{"rolling back to deployment"}
	if st.ours != nil {
		signs = append([]string{"(deployment " + st.ours.ID + ") deployment failed"}, signs...)
	}
	for _, sign := range signs { // the most telling first
		for _, e := range st.result.Events {
			if strings.Contains(e.Message, sign) {
				return "service event: " + e.Message
			}
		}
	}
	return ""
}

// oursName is "deployment <id> of <family:revision>", or the task
// definition alone when its deployment was never seen.
func (st *watchState) oursName() string {
	if st.ours == nil {
		return ShortTaskDefinition(st.w.TaskDefinition)
	}
	return fmt.Sprintf("deployment %s of %s", st.ours.ID, ShortTaskDefinition(st.w.TaskDefinition))
}

// supersededBy tells whether primary, a deployment of another task
// definition, replaced ours rather than rolled it back. ECS makes every new
// deployment PRIMARY, its circuit breaker's rollbacks included (ours is
// then FAILED, which decide reads first, and the service events say so,
// see rollbackSign), so: ours did not fail, and primary is not older than
// ours (the same millisecond counts: UpdateService twice in a row). When
// ours was never seen (the watch began late), only a later revision of our
// family is known to be newer.
func (st *watchState) supersededBy(primary *Deployment) bool {
	if ours := st.ours; ours != nil {
		return ours.RolloutState != "FAILED" && !primary.CreatedAt.Before(ours.CreatedAt)
	}
	family, rev, ok := familyRevision(st.w.TaskDefinition)
	pFamily, pRev, pOK := familyRevision(primary.TaskDefinition)
	return ok && pOK && family == pFamily && pRev > rev
}

// superseded is the verdict when a newer deployment replaced ours.
func (st *watchState) superseded(newer *Deployment) *verdict {
	want, them := ShortTaskDefinition(st.w.TaskDefinition), ShortTaskDefinition(newer.TaskDefinition)
	d := *newer
	st.result.SupersededBy = &d
	ours := st.oursName()
	older := ""
	family, rev, _ := familyRevision(st.w.TaskDefinition)
	if f, r, ok := familyRevision(newer.TaskDefinition); ok && f == family && r < rev {
		older = " (an older revision: a rollback by hand?)"
	}
	return &verdict{Superseded, fmt.Sprintf("deployment %s of %s%s replaced %s before it completed: someone deployed while this watch ran. "+
		"Nothing is known to be wrong with %s, but it is not what runs: verify %s instead (--task-definition=%s), or deploy %s again; "+
		"do not roll back, that would undo the newer deployment", newer.ID, them, older, ours, want, them, them, want)}
}

// familyRevision splits family:revision (or a task definition ARN).
func familyRevision(taskDefinition string) (string, int, bool) {
	family, rev, ok := strings.Cut(ShortTaskDefinition(taskDefinition), ":")
	n, err := strconv.Atoi(rev)
	return family, n, ok && err == nil
}

// evidence summarises the stopped tasks for a failure reason.
func (st *watchState) evidence() string {
	tasks := st.result.StoppedTasks
	if len(tasks) == 0 {
		if st.evidenceErr != nil {
			return fmt.Sprintf("; the stopped tasks could not be read (%v): run aws ecs list-tasks --desired-status STOPPED --cluster %s --service-name %s", st.evidenceErr, st.w.Cluster, st.w.Service)
		}
		return ""
	}
	var b strings.Builder
	fmt.Fprintf(&b, "; %d new task(s) stopped, the latest with: %s", len(tasks), describeStop(tasks[len(tasks)-1]))
	last := tasks[len(tasks)-1]
	if line := keyLogLine(last.LastLogLines); line != "" {
		fmt.Fprintf(&b, "; it logged: %q", line)
	}
	if st.w.LogGroup != "" {
		fmt.Fprintf(&b, "; see logs in %s", st.w.LogGroup)
		if stream := st.logStream(last.ARN); stream != "" {
			fmt.Fprintf(&b, " (stream %s)", stream)
		}
	}
	return b.String()
}

// keyLogLine picks the line that best says why a task died: the last one
// mentioning an error, else the last one.
func keyLogLine(lines []string) string {
	for i := len(lines) - 1; i >= 0; i-- {
		if strings.Contains(strings.ToLower(lines[i]), "error") {
			return strings.TrimSpace(lines[i])
		}
	}
	if len(lines) == 0 {
		return ""
	}
	return strings.TrimSpace(lines[len(lines)-1])
}

func describeStop(t StoppedTask) string {
	s := t.StoppedReason
	var exits []string
	for _, c := range t.Containers {
		e := c.Name
		if c.ExitCode != nil {
			e += fmt.Sprintf(" exit code %d", *c.ExitCode)
		}
		if c.Reason != "" {
			e += ": " + c.Reason
		}
		exits = append(exits, e)
	}
	if len(exits) > 0 {
		s += " (" + strings.Join(exits, ", ") + ")"
	}
	return s
}

func convertDeployments(in []types.Deployment) []Deployment {
	out := make([]Deployment, 0, len(in))
	for _, d := range in {
		out = append(out, Deployment{
			ID: aws.ToString(d.Id), TaskDefinition: aws.ToString(d.TaskDefinition), Status: aws.ToString(d.Status),
			RolloutState: string(d.RolloutState), RolloutStateReason: aws.ToString(d.RolloutStateReason),
			Desired: d.DesiredCount, Running: d.RunningCount, Pending: d.PendingCount, Failed: d.FailedTasks,
			CreatedAt: aws.ToTime(d.CreatedAt),
		})
	}
	return out
}

func equalDeployments(a, b []Deployment) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func findByTaskDef(ds []types.Deployment, taskDef string) *types.Deployment {
	for i := range ds {
		if sameTaskDef(aws.ToString(ds[i].TaskDefinition), taskDef) {
			return &ds[i]
		}
	}
	return nil
}

// ShortTaskDefinition turns a task definition ARN into family:revision
// (a family:revision stays as it is).
func ShortTaskDefinition(s string) string {
	if i := strings.LastIndex(s, "task-definition/"); i >= 0 {
		return s[i+len("task-definition/"):]
	}
	return s
}

func sameTaskDef(a, b string) bool { return ShortTaskDefinition(a) == ShortTaskDefinition(b) }
