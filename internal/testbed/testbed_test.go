package testbed_test

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/ecs"
	elb "github.com/aws/aws-sdk-go-v2/service/elasticloadbalancingv2"
	"github.com/aws/aws-sdk-go-v2/service/sts"

	"github.com/great-sun-group/credex-ci/internal/testbed"
)

// One endpoint serves ECS (the simulator) and the rest (kumo).
func TestOneEndpointRoutesECSAndTheRest(t *testing.T) {
	bed, err := testbed.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer bed.Close()
	if !strings.HasPrefix(bed.URL, "http://127.0.0.1:") {
		t.Fatalf("URL = %s", bed.URL)
	}
	id, err := sts.NewFromConfig(bed.Config()).GetCallerIdentity(t.Context(), &sts.GetCallerIdentityInput{})
	if err != nil || aws.ToString(id.Account) != testbed.AccountID {
		t.Fatalf("kumo STS through the bed: %+v, %v", id, err)
	}
	d, err := bed.Deploy(t.Context(), testbed.Setup{})
	if err != nil {
		t.Fatal(err)
	}
	out, err := bed.ECS().DescribeServices(t.Context(), &ecs.DescribeServicesInput{Cluster: aws.String(d.Cluster), Services: []string{d.Service}})
	if err != nil || len(out.Services) != 1 || aws.ToString(out.Services[0].TaskDefinition) != d.TaskDefinition {
		t.Fatalf("simulated ECS through the bed: %+v, %v", out, err)
	}
	if d.Cluster != "credex-cluster-staging" || d.Service != "credex-core-service-staging" || !strings.HasSuffix(d.TaskDefinition, ":task-definition/credex-core-staging:2") || !strings.HasSuffix(d.PreviousTaskDefinition, ":1") {
		t.Fatalf("deployment = %+v", d)
	}
}

// The measurement's verdicts agree with the simulator's. The figures
// themselves need real-time steps (credex-bench, BenchmarkOutcomeDetection);
// here steps of 20 ms and a watcher polling every 5-20 ms keep the whole run
// (the slow rollout is the longest: 3 steps of 60 ms) well under a second.
// The 5 s deadline is 25 times what it takes here, and half what the
// production-like steps take (the slow rollout alone takes 9 s), so it fails
// only when the options are not honoured.
func TestMeasureOutcomeDetection(t *testing.T) {
	ctx, cancel := context.WithTimeout(t.Context(), 5*time.Second)
	defer cancel()
	samples, err := testbed.MeasureOutcomeDetection(ctx, testbed.DetectionOptions{Step: 20 * time.Millisecond, MinInterval: 5 * time.Millisecond, MaxInterval: 20 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	if len(samples) != len(testbed.DetectionScenarios) {
		t.Fatalf("samples = %+v", samples)
	}
	want := map[string]string{"healthy": "completed", "slow": "completed", "rollback": "rolled-back", "breaker-failed": "failed"}
	for _, s := range samples {
		if want[s.Scenario] != s.Outcome || s.Latency < 0 {
			t.Errorf("sample = %+v", s)
		}
		t.Logf("%s: %s detected %v after the simulator settled it", s.Scenario, s.Outcome, s.Latency)
	}
}

// BenchmarkOutcomeDetection reports the worst and mean time from the
// simulator settling a rollout to the watcher reporting it (goal: at most
// testbed.DetectionGoal), over the detection scenarios.
func BenchmarkOutcomeDetection(b *testing.B) {
	var worst, total time.Duration
	n := 0
	for b.Loop() {
		samples, err := testbed.MeasureOutcomeDetection(b.Context(), testbed.DetectionOptions{Runs: 2})
		if err != nil {
			b.Fatal(err)
		}
		for _, s := range samples {
			worst = max(worst, s.Latency)
			total += s.Latency
			n++
		}
	}
	b.ReportMetric(float64(worst.Milliseconds()), "max-detect-ms")
	b.ReportMetric(float64(total.Milliseconds())/float64(n), "mean-detect-ms")
}

// The bed's load balancer takes targets through a rolling deploy's states,
// read with the real ELBv2 client: the new tasks' targets are initial, then
// healthy; the old ones healthy, then draining for the deregistration
// delay, then gone.
func TestTargetsGoThroughARollingDeploysStates(t *testing.T) {
	bed, err := testbed.Start(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer bed.Close()
	setup, err := testbed.Preset("healthy", 50*time.Millisecond)
	if err != nil {
		t.Fatal(err)
	}
	setup.TargetWarmup, setup.DeregistrationDelay = 100*time.Millisecond, 150*time.Millisecond
	d, err := bed.Deploy(t.Context(), setup)
	if err != nil {
		t.Fatal(err)
	}
	states := map[string][]string{} // target -> the states it went through, "gone" when it left
	// New targets register at 50 ms, healthy at 150 ms; old ones drain from
	// 100 ms, gone at 250 ms: watch for twice that.
	deadline := time.Now().Add(500 * time.Millisecond)
	for time.Now().Before(deadline) {
		bed.Sim.Settlements() // the simulator advances (and registers targets) when asked
		out, err := bed.ELB().DescribeTargetHealth(t.Context(), &elb.DescribeTargetHealthInput{TargetGroupArn: aws.String(d.TargetGroupARN)})
		if err != nil {
			t.Fatal(err)
		}
		seen := map[string]bool{}
		for _, th := range out.TargetHealthDescriptions {
			id := aws.ToString(th.Target.Id)
			seen[id] = true
			if s := string(th.TargetHealth.State); len(states[id]) == 0 || states[id][len(states[id])-1] != s {
				states[id] = append(states[id], s)
			}
		}
		for id, s := range states {
			if !seen[id] && s[len(s)-1] != "gone" {
				states[id] = append(s, "gone")
			}
		}
		time.Sleep(5 * time.Millisecond)
	}
	var old, young int
	for id, s := range states {
		switch strings.Join(s, " → ") {
		case "initial → healthy", "healthy → draining → gone":
			if s[len(s)-1] == "gone" {
				old++
			} else {
				young++
			}
		default:
			t.Errorf("target %s went through %q", id, s)
		}
	}
	if old != 2 || young != 2 {
		t.Fatalf("states %q, want 2 old targets drained and gone, 2 new ones healthy", states)
	}
}
