package verify

import (
	"fmt"
	"strings"
	"time"

	"github.com/great-sun-group/credex-ci/internal/envs"
)

// Policy is how hard an environment's deployment is verified: each check's
// timeout, how long health is retried, and the benchmark's load and
// thresholds. Staging is looser than production: staging runs small tasks
// and shares its databases with test traffic, production must be fast.
type Policy struct {
	// Timeouts, one per check (the rollout's covers the whole deployment).
	RolloutTimeout, StatusTimeout, HealthTimeout, IntegrationTimeout, BenchTimeout time.Duration
	// HealthAttempts and HealthMaxBackoff bound the health check's retries.
	HealthAttempts   int
	HealthMaxBackoff time.Duration
	// Benchmark load: a constant Rate (requests/s) for Duration, with at most
	// Concurrency requests in flight, each bounded by RequestTimeout.
	BenchDuration       time.Duration
	BenchRate           float64
	BenchConcurrency    int
	BenchRequestTimeout time.Duration
	// Benchmark thresholds; a zero value is not checked.
	MaxP95, MaxP99 time.Duration
	MaxErrorRate   float64
	// MinThroughput is a fraction of BenchRate the service must sustain.
	MinThroughputOfRate float64
}

// policies is the one table of per-environment verification policy, keyed by
// envs name.
var policies = map[string]Policy{
	"stage": {
		RolloutTimeout: 15 * time.Minute, StatusTimeout: 2 * time.Minute, HealthTimeout: 3 * time.Minute,
		IntegrationTimeout: 10 * time.Minute, BenchTimeout: 3 * time.Minute,
		HealthAttempts: 20, HealthMaxBackoff: 10 * time.Second,
		BenchDuration: 30 * time.Second, BenchRate: 20, BenchConcurrency: 20, BenchRequestTimeout: 10 * time.Second,
		MaxP95: 1500 * time.Millisecond, MaxP99: 3 * time.Second, MaxErrorRate: 0.05, MinThroughputOfRate: 0.8,
	},
	"prod": {
		RolloutTimeout: 20 * time.Minute, StatusTimeout: 2 * time.Minute, HealthTimeout: 5 * time.Minute,
		IntegrationTimeout: 10 * time.Minute, BenchTimeout: 3 * time.Minute,
		HealthAttempts: 30, HealthMaxBackoff: 10 * time.Second,
		BenchDuration: 60 * time.Second, BenchRate: 50, BenchConcurrency: 50, BenchRequestTimeout: 5 * time.Second,
		MaxP95: 500 * time.Millisecond, MaxP99: time.Second, MaxErrorRate: 0.01, MinThroughputOfRate: 0.95,
	},
	// local: the app and both databases share one machine (a laptop, a
	// Codespace, a CI runner), so the load is light and short and latency is
	// held loosely; but nothing crosses a network, so an error is a bug and
	// the error budget is tight. No rollout or status: they are not
	// applicable there (see NotApplicable).
	"local": {
		HealthTimeout: 2 * time.Minute, IntegrationTimeout: 10 * time.Minute, BenchTimeout: 2 * time.Minute,
		HealthAttempts: 20, HealthMaxBackoff: 5 * time.Second,
		BenchDuration: 10 * time.Second, BenchRate: 10, BenchConcurrency: 10, BenchRequestTimeout: 5 * time.Second,
		MaxP95: 1500 * time.Millisecond, MaxP99: 3 * time.Second, MaxErrorRate: 0.01, MinThroughputOfRate: 0.8,
	},
}

// benchTimeout is the bench check's timeout: BenchTimeout, stretched when
// the benchmark itself (BenchDuration, e.g. raised by --bench-duration) plus
// its last request's timeout and a minute to start and drain would not fit.
func (p Policy) benchTimeout() time.Duration {
	return max(p.BenchTimeout, p.BenchDuration+p.BenchRequestTimeout+time.Minute)
}

// PolicyFor returns the policy of an environment (short or long name).
func PolicyFor(env string) (Policy, error) {
	e, err := envs.Lookup(env)
	if err != nil {
		return Policy{}, err
	}
	p, ok := policies[e.Name]
	if !ok {
		return Policy{}, fmt.Errorf("no verification policy for environment %s: add one to internal/verify/policy.go", e.Name)
	}
	return p, nil
}

// String renders the policy for --help and docs.
func (p Policy) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "timeouts: rollout %s, status %s, health %s, integration %s, bench %s; ",
		orNA(p.RolloutTimeout), orNA(p.StatusTimeout), p.HealthTimeout, p.IntegrationTimeout, p.BenchTimeout)
	fmt.Fprintf(&b, "health: %d attempts; ", p.HealthAttempts)
	fmt.Fprintf(&b, "bench: %.0f req/s for %s, p95 ≤ %s, p99 ≤ %s, errors ≤ %.1f%%, throughput ≥ %.0f%% of the rate",
		p.BenchRate, p.BenchDuration, p.MaxP95, p.MaxP99, p.MaxErrorRate*100, p.MinThroughputOfRate*100)
	return b.String()
}

// orNA shows a zero timeout as n/a: the check does not apply there.
func orNA(d time.Duration) string {
	if d == 0 {
		return "n/a"
	}
	return d.String()
}
