package status_test

import (
	"context"
	"path"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/great-sun-group/credex-ci/internal/status"
	"github.com/great-sun-group/credex-ci/internal/testbed"
)

// staged deploys a preset on a fresh bed and, unless settle is false, waits
// for its rollout to settle.
func staged(t *testing.T, scenario string, settle bool) (*testbed.Bed, *testbed.Deployment, status.Checker) {
	t.Helper()
	if !settle {
		return stage(t, scenario, false, nil)
	}
	return stage(t, scenario, true, nil)
}

// stagedWith is staged (settled) with an edit of the setup.
func stagedWith(t *testing.T, scenario string, edit func(*testbed.Setup)) (*testbed.Bed, *testbed.Deployment, status.Checker) {
	t.Helper()
	return stage(t, scenario, true, edit)
}

func stage(t *testing.T, scenario string, settle bool, edit func(*testbed.Setup)) (*testbed.Bed, *testbed.Deployment, status.Checker) {
	t.Helper()
	t.Parallel()
	bed, err := testbed.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(bed.Close)
	setup, err := testbed.Preset(scenario, 20*time.Millisecond)
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
	if settle {
		ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
		defer cancel()
		if _, err := bed.WaitSettled(ctx, d); err != nil {
			t.Fatal(err)
		}
	}
	// Targets warming up are read every 10 ms instead of 2 s.
	return bed, d, status.Checker{ECS: bed.ECS(), ELB: bed.ELB(), Cluster: d.Cluster, Service: d.Service, PollInterval: 10 * time.Millisecond}
}

func check(t *testing.T, c status.Checker) *status.Result {
	t.Helper()
	r, err := c.Check(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("problems: %q", r.Problems)
	return r
}

// Right after a rolling deploy, the previous deployment's targets drain
// for the deregistration delay: the service is healthy, and the note says
// why the old targets are still listed. Once drained, they are gone.
func TestRollingDeployLeavesDrainingTargets(t *testing.T) {
	bed, d, c := staged(t, "healthy", true)
	r := check(t, c)
	if !r.OK() || r.Desired != 2 || r.Running != 2 || r.Pending != 0 || r.TaskDefinition != d.TaskDefinition {
		t.Fatalf("result = %+v", r)
	}
	if len(r.Tasks) != 2 {
		t.Fatalf("tasks = %+v", r.Tasks)
	}
	ips := map[string]string{}
	for _, task := range r.Tasks {
		if task.LastStatus != "RUNNING" || task.HealthStatus != "HEALTHY" || task.TaskDefinition != d.TaskDefinition || !task.Containers[0].HasHealthCheck || task.Containers[0].HealthStatus != "HEALTHY" || task.PrivateIP == "" {
			t.Errorf("task = %+v", task)
		}
		ips[task.PrivateIP] = path.Base(task.ARN)
	}
	// ECS (the bed) registered the new tasks and deregistered the old ones,
	// which drain: 2 healthy targets of the new tasks, 2 draining of none.
	var healthy int
	var draining []string
	for _, target := range r.Targets {
		if target.TargetGroupARN != d.TargetGroupARN || target.Port != testbed.ContainerPort {
			t.Errorf("target = %+v", target)
		}
		switch {
		case target.State == "healthy" && target.Task == ips[target.ID] && target.Current():
			healthy++
		case target.State == "draining" && !target.Current() && ips[target.ID] == "" && target.Reason == "Target.DeregistrationInProgress":
			draining = append(draining, target.ID+":5000")
		default:
			t.Errorf("target = %+v", target)
		}
	}
	name := path.Base(path.Dir(d.TargetGroupARN))
	want := "2 target(s) of the previous deployment draining in target group " + name + " (" + strings.Join(draining, ", ") +
		"): the load balancer lets their connections finish for up to 30s (the target group's deregistration delay) before ECS stops them; expected after a rolling deploy"
	if healthy != 2 || len(draining) != 2 || len(r.Notes) != 1 || r.Notes[0] != want {
		t.Fatalf("healthy %d, draining %q, notes %q\nwant note %q", healthy, draining, r.Notes, want)
	}
	time.Sleep(2 * 20 * time.Millisecond) // the bed's deregistration delay: two steps
	r = check(t, c)
	if !r.OK() || len(r.Targets) != 2 || len(r.Notes) != 0 {
		t.Fatalf("after the delay: targets %+v, notes %q", r.Targets, r.Notes)
	}
	if err := bed.HookError(); err != nil {
		t.Fatal(err)
	}
}

// New targets still initial (the load balancer's health checks warming up)
// are waited for, up to the target group's own warm-up (15 s × 2 + 5 s),
// and the note says so.
func TestNewTargetsWarmingUpAreWaitedFor(t *testing.T) {
	_, d, c := stagedWith(t, "healthy", func(s *testbed.Setup) { s.TargetWarmup, s.DeregistrationDelay = 300*time.Millisecond, 5*time.Second })
	r := check(t, c)
	if !r.OK() {
		t.Fatalf("problems %q", r.Problems)
	}
	name := path.Base(path.Dir(d.TargetGroupARN))
	want := regexp.MustCompile(`^2 target\(s\) in target group ` + name + ` were initial, the load balancer's health checks warming up \(10\.0\.\d+\.\d+:5000, 10\.0\.\d+\.\d+:5000\), and were healthy \d+ms later \(waiting at most 35s: 15s health check interval × 2 healthy checks \+ 5s timeout\)$`)
	if len(r.Notes) != 2 || !want.MatchString(r.Notes[1]) || !strings.HasPrefix(r.Notes[0], "2 target(s) of the previous deployment draining") {
		t.Fatalf("notes %q, want the draining note then one matching %s", r.Notes, want)
	}
}

// Targets that stay initial past the bound fail, naming how long the check
// waited; so do targets of the current tasks that drain (ECS replacing
// them), while the previous deployment's draining targets stay notes.
func TestTargetsThatStayWrongFail(t *testing.T) {
	bed, d, c := stagedWith(t, "healthy", func(s *testbed.Setup) { s.DeregistrationDelay = 5 * time.Second })
	name := path.Base(path.Dir(d.TargetGroupARN))
	c.WarmupWait = 100 * time.Millisecond
	bed.SetTargetHealth(d.TargetGroupARN, testbed.TargetHealth{State: "initial", Reason: "Elb.InitialHealthChecking", Description: "Initial health checks in progress"})
	r := check(t, c)
	stuck := regexp.MustCompile(`^target 10\.0\.\d+\.\d+:5000 in target group ` + name + ` is still initial after 1\d\dms: the load balancer's health checks have not passed yet; check the health check path and the app's /health, or run the check again$`)
	if r.OK() || len(r.Problems) != 2 || !stuck.MatchString(r.Problems[0]) || !stuck.MatchString(r.Problems[1]) || len(r.Notes) != 1 {
		t.Fatalf("problems %q (want 2 matching %s), notes %q", r.Problems, stuck, r.Notes)
	}

	bed.SetTargetHealth(d.TargetGroupARN, testbed.TargetHealth{State: "draining", Reason: "Target.DeregistrationInProgress", Description: "Target deregistration is in progress"})
	r = check(t, c)
	replaced := regexp.MustCompile(`^target 10\.0\.\d+\.\d+:5000 \(task [0-9a-f]{32}, running in the current deployment\) in target group ` + name + ` is draining: the load balancer is taking it out of service; read the service events: ECS may be replacing the task$`)
	if r.OK() || len(r.Problems) != 2 || !replaced.MatchString(r.Problems[0]) || !replaced.MatchString(r.Problems[1]) {
		t.Fatalf("problems %q, want 2 matching %s", r.Problems, replaced)
	}
}

func TestUnhealthyContainersAndTargets(t *testing.T) {
	bed, d, c := staged(t, "unhealthy", true)
	bed.SetTargetHealth(d.TargetGroupARN, testbed.TargetHealth{State: "unhealthy", Reason: "Target.FailedHealthChecks", Description: "Health checks failed with these codes: [500]"})
	r := check(t, c)
	if r.OK() || r.Running != 2 {
		t.Fatalf("result = %+v", r)
	}
	var containers, targets int
	for _, p := range r.Problems {
		if strings.Contains(p, ": container credex-core is UNHEALTHY: its health check is not passing; read its logs") {
			containers++
		}
		if strings.Contains(p, "is unhealthy (Target.FailedHealthChecks: Health checks failed with these codes: [500]): check the health check path") {
			targets++
		}
	}
	if containers != 2 || targets != 2 || len(r.Problems) != 4 {
		t.Fatalf("problems = %q", r.Problems)
	}
}

func TestRolloutInProgress(t *testing.T) {
	_, _, c := staged(t, "slow", false)
	r := check(t, c)
	if r.OK() || r.Pending != 2 {
		t.Fatalf("result = %+v", r)
	}
	if !strings.Contains(strings.Join(r.Problems, "\n"), "2 tasks are still pending: the service has not settled") {
		t.Fatalf("problems = %q", r.Problems)
	}
}

func TestMissingAndDrainingService(t *testing.T) {
	for _, scenario := range []string{"missing", "draining"} {
		t.Run(scenario, func(t *testing.T) {
			_, d, c := staged(t, scenario, false)
			r := check(t, c)
			want := map[string]string{"missing": "MISSING", "draining": "DRAINING"}[scenario]
			if len(r.Problems) != 1 || !strings.HasPrefix(r.Problems[0], "service "+d.Service+" in cluster "+d.Cluster+" is "+want) {
				t.Fatalf("problems = %q", r.Problems)
			}
		})
	}
}

// An AWS error names the service, the call and the cause once, with the
// request ID AWS support asks for.
func TestAWSErrorsNameTheCallOnce(t *testing.T) {
	_, d, c := staged(t, "healthy", false)
	c.Cluster = "credex-cluster-nope"
	_, err := c.Check(t.Context())
	want := regexp.MustCompile(`^service ` + d.Service + ` in cluster credex-cluster-nope: ECS DescribeServices: ClusterNotFoundException: Cluster not found\. \(request ID [0-9a-f-]{36}\) \(check the AWS credentials, region and endpoint\)$`)
	if err == nil || !want.MatchString(err.Error()) {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	gone, err := testbed.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	gone.Close()
	c.ECS, c.Cluster = gone.ECS(), d.Cluster
	_, err = c.Check(t.Context())
	if err == nil || !strings.HasPrefix(err.Error(), "service "+d.Service+" in cluster "+d.Cluster+": ECS DescribeServices failed after ") ||
		!strings.HasSuffix(err.Error(), " attempts: dial tcp "+strings.TrimPrefix(gone.URL, "http://")+": connect: connection refused (check the AWS credentials, region and endpoint)") {
		t.Fatalf("err = %v", err)
	}
}
