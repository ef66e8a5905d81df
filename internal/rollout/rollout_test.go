package rollout_test

import (
	"context"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"

	"github.com/great-sun-group/credex-ci/internal/ecssim"
	"github.com/great-sun-group/credex-ci/internal/rollout"
	"github.com/great-sun-group/credex-ci/internal/testbed"
)

// step is the scripted rollouts' step in these tests; the watcher polls
// several times per step.
const step = 100 * time.Millisecond

// deployOn stages a preset scenario with the given step on a fresh test bed
// (the test runs in parallel with the others).
func deployOn(t *testing.T, scenario string, step time.Duration, edit func(*testbed.Setup)) (*testbed.Bed, *testbed.Deployment) {
	t.Helper()
	t.Parallel()
	bed, err := testbed.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bed.Close)
	setup, err := testbed.Preset(scenario, step)
	if err != nil {
		t.Fatal(err)
	}
	if edit != nil {
		edit(&setup)
	}
	d, err := bed.Deploy(t.Context(), setup)
	if err != nil {
		t.Fatal(err)
	}
	return bed, d
}

// watch stages a preset scenario on a fresh test bed and watches it through
// real SDK clients over HTTP, collecting the streamed progress.
func watch(t *testing.T, scenario string, timeout time.Duration, edit func(*testbed.Setup)) (*rollout.Result, *testbed.Deployment, []rollout.Progress) {
	t.Helper()
	bed, d := deployOn(t, scenario, step, edit)
	w := d.Watcher(bed)
	w.MinInterval, w.MaxInterval = 20*time.Millisecond, 100*time.Millisecond
	var mu sync.Mutex
	var progress []rollout.Progress
	w.Progress = func(p rollout.Progress) {
		mu.Lock()
		defer mu.Unlock()
		progress = append(progress, p)
	}
	ctx, cancel := context.WithTimeout(t.Context(), timeout)
	defer cancel()
	res, err := w.Watch(ctx)
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	if err := bed.HookError(); err != nil {
		t.Fatalf("test bed: %v", err)
	}
	t.Logf("%s: %s: %s (%d polls)", scenario, res.Outcome, res.Reason, res.Polls)
	return res, d, progress
}

func messages(events []rollout.ServiceEvent) []string {
	var out []string
	for _, e := range events {
		out = append(out, e.Message)
	}
	return out
}

func count(msgs []string, substr string) int {
	n := 0
	for _, m := range msgs {
		if strings.Contains(m, substr) {
			n++
		}
	}
	return n
}

func TestHealthyRolloutCompletes(t *testing.T) {
	res, d, progress := watch(t, "healthy", 10*time.Second, nil)
	if !res.OK() || res.Outcome != rollout.Completed {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Reason)
	}
	if res.Deployment == nil || res.Deployment.TaskDefinition != d.TaskDefinition || res.Deployment.Running != 2 || res.Deployment.RolloutState != "COMPLETED" {
		t.Fatalf("deployment = %+v", res.Deployment)
	}
	msgs := messages(res.Events)
	svc := "(service " + d.Service + ") "
	for _, want := range []string{svc + "has started 2 tasks: (task ", svc + "registered 2 targets in (target-group " + d.TargetGroupARN + ")", svc + "has stopped 2 running tasks", svc + "has reached a steady state."} {
		if count(msgs, want) != 1 {
			t.Errorf("events: want exactly one %q in %q", want, msgs)
		}
	}
	// The steady state of the service before the deployment is not news.
	if msgs[len(msgs)-1] != svc+"has reached a steady state." {
		t.Errorf("last event = %q", msgs[len(msgs)-1])
	}
	var streamed []string
	for _, p := range progress {
		streamed = append(streamed, messages(p.NewEvents)...)
	}
	if !slices.Equal(streamed, msgs) {
		t.Errorf("streamed events %q, want each once: %q", streamed, msgs)
	}
	if res.Polls < 3 || len(progress) != res.Polls {
		t.Errorf("polls = %d, progress reports = %d", res.Polls, len(progress))
	}
	if len(res.StoppedTasks) != 0 {
		t.Errorf("stopped tasks of the new revision: %+v", res.StoppedTasks)
	}
}

func TestSlowRolloutCompletes(t *testing.T) {
	res, _, _ := watch(t, "slow", 20*time.Second, nil)
	if res.Outcome != rollout.Completed {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Reason)
	}
}

func TestSlowRolloutTimesOutWithState(t *testing.T) {
	res, d, _ := watch(t, "slow", 300*time.Millisecond, nil)
	if res.Outcome != rollout.TimedOut || res.OK() {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Reason)
	}
	short := d.TaskDefinition[strings.LastIndex(d.TaskDefinition, "/")+1:]
	for _, want := range []string{"the rollout of " + short + " did not settle before the timeout ran out", "PRIMARY IN_PROGRESS with 0 of 2 tasks running, 2 pending"} {
		if !strings.Contains(res.Reason, want) {
			t.Errorf("reason %q lacks %q", res.Reason, want)
		}
	}
	if res.Deployment == nil || res.Deployment.RolloutState != "IN_PROGRESS" {
		t.Errorf("deployment = %+v", res.Deployment)
	}
}

func TestCircuitBreakerRollbackIsNotSuccess(t *testing.T) {
	res, d, progress := watch(t, "rollback", 10*time.Second, nil)
	if res.Outcome != rollout.RolledBack || res.OK() {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Reason)
	}
	prev := d.PreviousTaskDefinition[strings.LastIndex(d.PreviousTaskDefinition, "/")+1:]
	for _, want := range []string{
		"the circuit breaker rolled back to " + prev,
		"(ECS deployment circuit breaker: tasks failed to start.)",
		"stopped, the latest with: Essential container in task exited (credex-core exit code 1)",
		`it logged: "Error: LedgerSpace unavailable: check the neo4j_stage_secrets secret (NEO_4J_LEDGER_SPACE_BOLT_URL)"`,
		"see logs in /ecs/credex-core-staging (stream ecs/credex-core/",
	} {
		if !strings.Contains(res.Reason, want) {
			t.Errorf("reason %q lacks %q", res.Reason, want)
		}
	}
	assertCrashEvidence(t, res, d, 3)
	msgs := messages(res.Events)
	if count(msgs, "deployment failed: tasks failed to start.") != 1 || count(msgs, "rolling back to deployment ecs-svc/") != 1 {
		t.Errorf("events = %q", msgs)
	}
	streamedStops := 0
	for _, p := range progress {
		streamedStops += len(p.NewStoppedTasks)
	}
	if streamedStops != len(res.StoppedTasks) {
		t.Errorf("streamed %d stopped tasks, result has %d", streamedStops, len(res.StoppedTasks))
	}
}

// assertCrashEvidence checks the stopped tasks: our task definition, the
// stop reason, exit code 1 and, for the latest, the crash log.
func assertCrashEvidence(t *testing.T, res *rollout.Result, d *testbed.Deployment, atLeast int) {
	t.Helper()
	if len(res.StoppedTasks) < atLeast {
		t.Fatalf("stopped tasks = %d, want at least %d", len(res.StoppedTasks), atLeast)
	}
	for _, st := range res.StoppedTasks {
		if st.TaskDefinition != d.TaskDefinition || st.StoppedReason != "Essential container in task exited" || st.StopCode != "EssentialContainerExited" || st.StoppedAt.IsZero() {
			t.Errorf("stopped task = %+v", st)
		}
		if len(st.Containers) != 1 || st.Containers[0].Name != "credex-core" || st.Containers[0].ExitCode == nil || *st.Containers[0].ExitCode != 1 {
			t.Errorf("containers = %+v", st.Containers)
		}
	}
	last := res.StoppedTasks[len(res.StoppedTasks)-1]
	if !slices.Equal(last.LastLogLines, ecssim.DefaultCrashLog) || last.LogError != "" {
		t.Errorf("last log lines = %q (error %q), want %q", last.LastLogLines, last.LogError, ecssim.DefaultCrashLog)
	}
}

func TestCircuitBreakerWithoutRollbackFails(t *testing.T) {
	res, d, _ := watch(t, "breaker-failed", 10*time.Second, nil)
	if res.Outcome != rollout.Failed {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Reason)
	}
	if !strings.Contains(res.Reason, "failed (ECS deployment circuit breaker: tasks failed to start.) and was not rolled back") {
		t.Errorf("reason = %q", res.Reason)
	}
	assertCrashEvidence(t, res, d, 3)
}

func TestCrashLoopWithoutCircuitBreakerFails(t *testing.T) {
	res, d, _ := watch(t, "crash-loop", 10*time.Second, nil)
	if res.Outcome != rollout.Failed {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Reason)
	}
	if !strings.Contains(res.Reason, "3 tasks of credex-core-staging:") || !strings.Contains(res.Reason, "has no deployment circuit breaker") {
		t.Errorf("reason = %q", res.Reason)
	}
	assertCrashEvidence(t, res, d, 3)
	if res.Deployment.Failed < 3 || res.Deployment.RolloutState != "IN_PROGRESS" {
		t.Errorf("deployment = %+v", res.Deployment)
	}
}

func TestThrottlingIsRetried(t *testing.T) {
	res, _, _ := watch(t, "throttled", 15*time.Second, nil)
	if res.Outcome != rollout.Completed {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Reason)
	}
}

func TestMissingService(t *testing.T) {
	res, d, _ := watch(t, "missing", 5*time.Second, nil)
	if res.Outcome != rollout.ServiceMissing {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Reason)
	}
	want := "service " + d.Service + " not found in cluster " + d.Cluster + " (MISSING): create it (terraform apply)"
	if !strings.HasPrefix(res.Reason, want) {
		t.Errorf("reason = %q, want prefix %q", res.Reason, want)
	}
}

func TestMissingCluster(t *testing.T) {
	t.Parallel()
	bed, err := testbed.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer bed.Close()
	w := &rollout.Watcher{ECS: bed.ECS(), Cluster: "credex-cluster-nope", Service: "s", TaskDefinition: "credex-core-staging:2"}
	r, err := w.Watch(t.Context())
	if err != nil || r.Outcome != rollout.ServiceMissing || !strings.Contains(r.Reason, "cluster credex-cluster-nope does not exist") {
		t.Fatalf("watch = %+v, %v", r, err)
	}
}

func TestDrainingService(t *testing.T) {
	res, _, _ := watch(t, "draining", 5*time.Second, nil)
	if res.Outcome != rollout.ServiceMissing || !strings.Contains(res.Reason, "is DRAINING") {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Reason)
	}
}

func TestBadInputNamesTheFix(t *testing.T) {
	t.Parallel()
	_, err := (&rollout.Watcher{}).Watch(t.Context())
	if err == nil || err.Error() != "rollout watcher: give it an ECS client, the cluster, the service, the task definition just deployed" {
		t.Fatalf("err = %v", err)
	}
	bed, err := testbed.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer bed.Close()
	_, err = (&rollout.Watcher{ECS: bed.ECS(), Cluster: "c", Service: "s", TaskDefinition: "credex-core-staging"}).Watch(t.Context())
	if err == nil || !strings.Contains(err.Error(), "has no revision: pass the family:revision or the ARN") {
		t.Fatalf("err = %v", err)
	}
}

// A deployment that another one replaces (here the previous revision,
// deployed again by hand right after ours) is not a success, even though
// ECS never marks ours FAILED; nor is it a rollback: it is superseded.
func TestReplacedDeploymentIsSuperseded(t *testing.T) {
	bed, d := deployOn(t, "slow", step, nil)
	_, err := bed.ECS().UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String(d.Cluster), Service: aws.String(d.Service), TaskDefinition: aws.String(d.PreviousTaskDefinition)})
	if err != nil {
		t.Fatal(err)
	}
	w := d.Watcher(bed)
	w.MinInterval, w.MaxInterval = 20*time.Millisecond, 100*time.Millisecond
	res, err := w.Watch(t.Context())
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	if res.Outcome != rollout.Superseded || res.OK() {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Reason)
	}
	prev, ours := rollout.ShortTaskDefinition(d.PreviousTaskDefinition), rollout.ShortTaskDefinition(d.TaskDefinition)
	want := regexp.MustCompile(`^deployment ecs-svc/\d+ of ` + prev + ` \(an older revision: a rollback by hand\?\) replaced deployment ecs-svc/\d+ of ` + ours +
		` before it completed: someone deployed while this watch ran\. Nothing is known to be wrong with ` + ours + `, but it is not what runs: verify ` + prev +
		` instead \(--task-definition=` + prev + `\), or deploy ` + ours + ` again; do not roll back, that would undo the newer deployment$`)
	if !want.MatchString(res.Reason) {
		t.Errorf("reason %q\nwant %s", res.Reason, want)
	}
	if res.Deployment == nil || res.Deployment.TaskDefinition != d.TaskDefinition || res.Deployment.Status != "ACTIVE" {
		t.Errorf("deployment = %+v, want ours, no longer PRIMARY", res.Deployment)
	}
	if res.SupersededBy == nil || res.SupersededBy.TaskDefinition != d.PreviousTaskDefinition || res.SupersededBy.Status != "PRIMARY" || res.SupersededBy.CreatedAt.Before(res.Deployment.CreatedAt) {
		t.Errorf("superseded by %+v", res.SupersededBy)
	}
}

// registerNext registers the next revision of the deployment's family, as
// another pipeline would, and returns its ARN.
func registerNext(t *testing.T, bed *testbed.Bed, d *testbed.Deployment) string {
	t.Helper()
	td, err := bed.ECS().DescribeTaskDefinition(t.Context(), &ecs.DescribeTaskDefinitionInput{TaskDefinition: aws.String(d.TaskDefinition)})
	if err != nil {
		t.Fatal(err)
	}
	out, err := bed.ECS().RegisterTaskDefinition(t.Context(), &ecs.RegisterTaskDefinitionInput{
		Family: td.TaskDefinition.Family, ContainerDefinitions: td.TaskDefinition.ContainerDefinitions,
		NetworkMode: td.TaskDefinition.NetworkMode, Cpu: td.TaskDefinition.Cpu, Memory: td.TaskDefinition.Memory,
	})
	if err != nil {
		t.Fatal(err)
	}
	return aws.ToString(out.TaskDefinition.TaskDefinitionArn)
}

// Someone else deploys a newer revision while the watch runs: the watch
// reports superseded, naming the newer task definition.
func TestNewerDeploymentWhileWatchingIsSuperseded(t *testing.T) {
	bed, d := deployOn(t, "slow", step, nil)
	newer := registerNext(t, bed, d)
	w := d.Watcher(bed)
	w.MinInterval, w.MaxInterval = 20*time.Millisecond, 100*time.Millisecond
	w.Progress = func(p rollout.Progress) {
		if p.Poll == 2 { // ours was seen IN_PROGRESS; now the other pipeline deploys
			if _, err := bed.ECS().UpdateService(t.Context(), &ecs.UpdateServiceInput{Cluster: aws.String(d.Cluster), Service: aws.String(d.Service), TaskDefinition: aws.String(newer)}); err != nil {
				t.Error(err)
			}
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	res, err := w.Watch(ctx)
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	next, ours := rollout.ShortTaskDefinition(newer), rollout.ShortTaskDefinition(d.TaskDefinition)
	if res.Outcome != rollout.Superseded || res.SupersededBy == nil || res.SupersededBy.TaskDefinition != newer {
		t.Fatalf("outcome %s (superseded by %+v): %s", res.Outcome, res.SupersededBy, res.Reason)
	}
	if want := "of " + next + " replaced deployment "; !strings.Contains(res.Reason, want) || strings.Contains(res.Reason, "older revision") || !strings.Contains(res.Reason, "verify "+next+" instead (--task-definition="+next+"), or deploy "+ours+" again") {
		t.Errorf("reason %q", res.Reason)
	}
	if len(res.StoppedTasks) != 0 {
		t.Errorf("nothing of ours failed, yet stopped tasks are evidence: %+v", res.StoppedTasks)
	}
}

// A watch that starts after the circuit breaker rolled back and ECS
// dropped our deployment reads a rollback, with our crashed tasks as
// evidence: an older revision runs and nothing says a newer deployment
// replaced ours.
func TestRollbackSeenLateIsStillARollback(t *testing.T) {
	bed, d := deployOn(t, "rollback", 10*time.Millisecond, nil)
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	if _, err := bed.WaitSettled(ctx, d); err != nil {
		t.Fatal(err)
	}
	time.Sleep(30 * time.Millisecond) // a step later, ECS drops the failed deployment
	w := d.Watcher(bed)
	res, err := w.Watch(ctx)
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	if res.Outcome != rollout.RolledBack || res.SupersededBy != nil {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Reason)
	}
	prev, ours := rollout.ShortTaskDefinition(d.PreviousTaskDefinition), rollout.ShortTaskDefinition(d.TaskDefinition)
	want := regexp.MustCompile(`^the PRIMARY deployment ecs-svc/\d+ runs ` + prev + `, not ` + ours + `: the rollout was rolled back, or replaced before this watch began; read the service events; 3 new task\(s\) stopped, the latest with: Essential container in task exited`)
	if !want.MatchString(res.Reason) || res.Deployment == nil || res.Deployment.TaskDefinition != d.PreviousTaskDefinition {
		t.Fatalf("reason %q (deployment %+v), want %s", res.Reason, res.Deployment, want)
	}
}

// noListTasks is the bed's real ECS client for a caller without
// ecs:ListTasks.
type noListTasks struct{ *ecs.Client }

func (noListTasks) ListTasks(context.Context, *ecs.ListTasksInput, ...func(*ecs.Options)) (*ecs.ListTasksOutput, error) {
	return nil, errors.New("AccessDeniedException: not authorized to perform ecs:ListTasks")
}

// Evidence that cannot be read does not cost the operator the verdict.
func TestUnreadableEvidenceKeepsTheVerdict(t *testing.T) {
	bed, d := deployOn(t, "breaker-failed", step, nil)
	w := d.Watcher(bed)
	w.ECS = noListTasks{bed.ECS()}
	w.MinInterval, w.MaxInterval = 20*time.Millisecond, 100*time.Millisecond
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	res, err := w.Watch(ctx)
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	if res.Outcome != rollout.Failed {
		t.Fatalf("outcome %s: %s", res.Outcome, res.Reason)
	}
	if want := "; the stopped tasks could not be read (AccessDeniedException: not authorized to perform ecs:ListTasks (the caller may lack ecs:ListTasks)): run aws ecs list-tasks --desired-status STOPPED --cluster " + d.Cluster + " --service-name " + d.Service; !strings.Contains(res.Reason, want) {
		t.Errorf("reason %q lacks %q", res.Reason, want)
	}
}

// The circuit breaker fails ours and rolls back between two polls, and ECS
// drops our FAILED deployment before the next one: the service events
// still tell a rollback from a newer deployment.
func TestRollbackBetweenTwoPollsIsARollback(t *testing.T) {
	// Ours fails at 3 × 50 ms and is dropped a step later, well inside the
	// watcher's 500 ms between its first two polls.
	bed, d := deployOn(t, "rollback", 50*time.Millisecond, nil)
	w := d.Watcher(bed)
	w.MinInterval, w.MaxInterval = 500*time.Millisecond, 500*time.Millisecond
	var seen []string
	w.Progress = func(p rollout.Progress) {
		for _, dep := range p.Deployments {
			seen = append(seen, fmt.Sprintf("poll %d: %s %s %s", p.Poll, rollout.ShortTaskDefinition(dep.TaskDefinition), dep.Status, dep.RolloutState))
		}
	}
	ctx, cancel := context.WithTimeout(t.Context(), 10*time.Second)
	defer cancel()
	res, err := w.Watch(ctx)
	if err != nil {
		t.Fatalf("watch: %v", err)
	}
	prev, ours := rollout.ShortTaskDefinition(d.PreviousTaskDefinition), rollout.ShortTaskDefinition(d.TaskDefinition)
	if res.Polls != 2 || !slices.Contains(seen, "poll 1: "+ours+" PRIMARY IN_PROGRESS") || slices.ContainsFunc(seen, func(s string) bool { return strings.Contains(s, "FAILED") }) {
		t.Fatalf("the test needs ours seen IN_PROGRESS, then gone, never FAILED: %q", seen)
	}
	want := regexp.MustCompile(`^the circuit breaker rolled back to ` + prev + `: deployment (ecs-svc/\d+) of ` + ours + ` failed \(service event: \(service ` + d.Service + `\) \(deployment (ecs-svc/\d+)\) deployment failed: tasks failed to start\.\); 3 new task\(s\) stopped`)
	m := want.FindStringSubmatch(res.Reason)
	if res.Outcome != rollout.RolledBack || m == nil || m[1] != m[2] {
		t.Fatalf("outcome %s: %s\nwant %s", res.Outcome, res.Reason, want)
	}
}
