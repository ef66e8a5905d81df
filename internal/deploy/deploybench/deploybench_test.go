package deploybench

import (
	"context"
	"slices"
	"testing"
	"time"
)

// The critical path of the seed's times is the build's chain; its length is
// known from the times alone, so the simulation's figures can be checked
// (not timed: any machine is slower than the sleeps).
func TestTheSimulatedDeployFollowsTheBuildsChain(t *testing.T) {
	// A second becomes 2.5 ms: build (90 s) then outlasts the unit tests
	// (60 s) by 75 ms, a margin no scheduling delay of a loaded CI machine
	// closes (at half a millisecond a second, 15 ms did not hold under load).
	times := SeedTimes.Scaled(400)
	f, err := Run(context.Background(), times)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"preflight", "build", "publish", "plan", "apply", "verify"}
	if !slices.Equal(f.Path, want) {
		t.Errorf("critical path %v, want %v", f.Path, want)
	}
	lower := times.Preflight + times.Build + times.Publish + times.Plan + times.Apply + times.Rollout + times.Integration
	if f.Critical < lower || f.Wall < f.Critical {
		t.Errorf("critical %s (at least %s), wall %s", f.Critical, lower, f.Wall)
	}
	if f.SeedSerial != times.SeedSerial() || f.Serial <= f.Critical {
		t.Errorf("figures %+v", f)
	}
	if SeedTimes.SeedSerial() != 692*time.Second {
		t.Errorf("the seed's serial sum is %s", SeedTimes.SeedSerial())
	}
}

// BenchmarkDeployGraph deploys with the seed's times scaled down 1000×
// (a second becomes a millisecond) and reports the wall time over the
// critical path (goal ≤ 1.1) and the seed's serial sum over the wall time.
func BenchmarkDeployGraph(b *testing.B) {
	times := SeedTimes.Scaled(1000)
	worst := 0.0
	var last Figures
	for b.Loop() {
		f, err := Run(context.Background(), times)
		if err != nil {
			b.Fatal(err)
		}
		worst = max(worst, f.Ratio())
		last = f
	}
	b.ReportMetric(worst, "wall/critical-max")
	b.ReportMetric(float64(last.SeedSerial)/float64(last.Wall), "seed-serial/wall")
	b.ReportMetric(float64(last.Wall.Microseconds())/1000, "wall-ms")
	b.ReportMetric(float64(last.Critical.Microseconds())/1000, "critical-ms")
}
