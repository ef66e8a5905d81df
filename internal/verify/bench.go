package verify

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"net/http"
	"slices"
	"strings"
	"time"

	"github.com/great-sun-group/credex-ci/internal/loadgen"
	"github.com/great-sun-group/credex-ci/internal/report"
)

// thresholds turns the policy into the load generator's thresholds.
func (p Policy) thresholds() loadgen.Thresholds {
	return loadgen.Thresholds{MaxP95: p.MaxP95, MaxP99: p.MaxP99, MaxErrorRate: p.MaxErrorRate, MinThroughput: p.BenchRate * p.MinThroughputOfRate}
}

// bench drives a constant request rate at the benchmark endpoints and holds
// the latencies, throughput and error rate to the environment's thresholds.
func (v *verification) bench(ctx context.Context, c *report.Check) error {
	p := v.cfg.Policy
	targets := make([]loadgen.Target, 0, len(v.cfg.BenchPaths))
	for _, path := range v.cfg.BenchPaths {
		targets = append(targets, loadgen.Target{Method: http.MethodGet, URL: v.url(path)})
	}
	v.progress.Printf(CheckBench, "%.0f req/s for %s against %s", p.BenchRate, p.BenchDuration, strings.Join(v.cfg.BenchPaths, ", "))
	last := time.Now()
	res, err := loadgen.Run(ctx, loadgen.Options{
		Targets: targets, Duration: p.BenchDuration, Rate: p.BenchRate,
		Concurrency: p.BenchConcurrency, Timeout: p.BenchRequestTimeout,
		Progress: func(s loadgen.Snapshot) {
			if time.Since(last) >= 5*time.Second {
				last = time.Now()
				v.progress.Printf(CheckBench, "%s: %d requests, %d errors, %.1f req/s", s.Elapsed.Round(time.Second), s.Requests, s.Errors, s.Throughput)
			}
		},
	})
	if err != nil {
		return err // loadgen's own, naming what to change
	}
	th := p.thresholds()
	c.Benchmark = &report.Benchmark{
		Requests: res.Requests, Errors: res.Errors, Duration: res.Duration, Rate: p.BenchRate,
		Throughput: res.Throughput, ErrorRate: res.ErrorRate,
		P50: res.Latency.P50, P95: res.Latency.P95, P99: res.Latency.P99, Max: res.Latency.Max, Mean: res.Latency.Mean,
		StatusCodes: res.StatusCodes,
		Thresholds:  &report.BenchThreshold{MaxP95: th.MaxP95, MaxP99: th.MaxP99, MaxErrorRate: th.MaxErrorRate, MinThroughput: th.MinThroughput},
	}
	figures := fmt.Sprintf("p50 %s, p95 %s, p99 %s, max %s, %.1f req/s, %.2f%% errors",
		ms(res.Latency.P50), ms(res.Latency.P95), ms(res.Latency.P99), ms(res.Latency.Max), res.Throughput, res.ErrorRate*100)
	c.Evidence = append(c.Evidence, errorSamples(res.ErrorSamples)...)
	if res.Aborted > 0 {
		c.Evidence = append(c.Evidence, fmt.Sprintf("%d request(s) in flight were abandoned when the benchmark was cut short (not counted)", res.Aborted))
	}
	if violations := res.Evaluate(th); len(violations) > 0 {
		c.Verdict = report.Fail
		c.Summary = strings.Join(violations, "; ")
		c.Evidence = append([]string{figures}, c.Evidence...)
		c.Evidence = append(c.Evidence, violations...)
		return nil
	}
	c.Verdict = report.Pass
	c.Summary = figures
	return nil
}

// errorSamples lists the failed requests' errors, the most frequent first:
// "12 × dial tcp 10.0.1.7:443: connect: connection refused".
func errorSamples(samples map[string]int64) []string {
	msgs := slices.Collect(maps.Keys(samples))
	slices.SortFunc(msgs, func(a, b string) int {
		return cmp.Or(cmp.Compare(samples[b], samples[a]), cmp.Compare(a, b))
	})
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = fmt.Sprintf("%d × %s", samples[m], m)
	}
	return out
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1fms", float64(d)/float64(time.Millisecond)) }
