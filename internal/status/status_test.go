package status_test

import (
	"context"
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
	return bed, d, status.Checker{ECS: bed.ECS(), ELB: bed.ELB(), Cluster: d.Cluster, Service: d.Service}
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

func TestHealthyService(t *testing.T) {
	bed, d, c := staged(t, "healthy", true)
	r := check(t, c)
	if !r.OK() || r.Desired != 2 || r.Running != 2 || r.Pending != 0 || r.TaskDefinition != d.TaskDefinition {
		t.Fatalf("result = %+v", r)
	}
	if len(r.Tasks) != 2 {
		t.Fatalf("tasks = %+v", r.Tasks)
	}
	for _, task := range r.Tasks {
		if task.LastStatus != "RUNNING" || task.HealthStatus != "HEALTHY" || task.TaskDefinition != d.TaskDefinition || !task.Containers[0].HasHealthCheck || task.Containers[0].HealthStatus != "HEALTHY" {
			t.Errorf("task = %+v", task)
		}
	}
	// ECS (the bed) registered the new tasks and deregistered the old ones.
	if len(r.Targets) != 2 {
		t.Fatalf("targets = %+v", r.Targets)
	}
	for _, target := range r.Targets {
		if target.State != "healthy" || target.TargetGroupARN != d.TargetGroupARN || target.Port != testbed.ContainerPort {
			t.Errorf("target = %+v", target)
		}
	}
	if err := bed.HookError(); err != nil {
		t.Fatal(err)
	}
}

func TestUnhealthyContainersAndTargets(t *testing.T) {
	bed, _, c := staged(t, "unhealthy", true)
	bed.SetTargetHealth(mustTG(t, c), testbed.TargetHealth{State: "unhealthy", Reason: "Target.FailedHealthChecks", Description: "Health checks failed with these codes: [500]"})
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

func mustTG(t *testing.T, c status.Checker) string {
	t.Helper()
	r, err := c.Check(t.Context())
	if err != nil || len(r.Targets) == 0 {
		t.Fatalf("check = %+v, %v", r, err)
	}
	return r.Targets[0].TargetGroupARN
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
	bed, d, c := staged(t, "healthy", false)
	c.Cluster = "credex-cluster-nope"
	_, err := c.Check(t.Context())
	want := regexp.MustCompile(`^service ` + d.Service + ` in cluster credex-cluster-nope: ECS DescribeServices: ClusterNotFoundException: Cluster not found\. \(request ID [0-9a-f-]{36}\) \(check the AWS credentials, region and endpoint\)$`)
	if err == nil || !want.MatchString(err.Error()) {
		t.Fatalf("err = %v\nwant %s", err, want)
	}
	bed.Close()
	c.Cluster = d.Cluster
	_, err = c.Check(t.Context())
	if err == nil || !strings.HasPrefix(err.Error(), "service "+d.Service+" in cluster "+d.Cluster+": ECS DescribeServices failed after ") ||
		!strings.HasSuffix(err.Error(), " attempts: dial tcp "+strings.TrimPrefix(bed.URL, "http://")+": connect: connection refused (check the AWS credentials, region and endpoint)") {
		t.Fatalf("err = %v", err)
	}
}
