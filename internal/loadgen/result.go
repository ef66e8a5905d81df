package loadgen

import (
	"fmt"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// Result is what a run measured.
type Result struct {
	// Requests counts every request that completed or failed.
	Requests int64 `json:"requests"`
	// Errors counts transport errors, timeouts and statuses outside 200–399.
	Errors int64 `json:"errors"`
	// Duration runs from the first send to the last response.
	Duration time.Duration `json:"duration"`
	// Throughput is successful requests per second over Duration.
	Throughput float64 `json:"throughput"`
	// RequestRate is all requests (failed included) per second over Duration.
	RequestRate float64 `json:"requestRate"`
	// ErrorRate is Errors / Requests (0 to 1).
	ErrorRate float64 `json:"errorRate"`
	// Latency covers every request, failed ones included; in the
	// constant-rate mode it is measured from each request's intended send time.
	Latency     Latencies     `json:"latency"`
	StatusCodes map[int]int64 `json:"statusCodes"`
	// ErrorSamples counts up to 10 distinct error messages.
	ErrorSamples map[string]int64 `json:"errorSamples,omitempty"`
	// Aborted counts the requests in flight when the run was cancelled:
	// abandoned at once, they are not in Requests.
	Aborted int64 `json:"aborted,omitempty"`
}

// Latencies are latency percentiles.
type Latencies struct {
	P50  time.Duration `json:"p50"`
	P95  time.Duration `json:"p95"`
	P99  time.Duration `json:"p99"`
	Max  time.Duration `json:"max"`
	Mean time.Duration `json:"mean"`
}

// Thresholds are the limits a run must meet; zero fields are not checked.
type Thresholds struct {
	MaxP95, MaxP99 time.Duration
	// MaxErrorRate is a fraction (0.01 = 1 %).
	MaxErrorRate float64
	// MinThroughput is successful requests per second.
	MinThroughput float64
}

// Evaluate returns one readable violation per broken threshold (none when the
// run meets them all).
func (r *Result) Evaluate(t Thresholds) []string {
	var v []string
	if r.Requests == 0 {
		return []string{"no request completed: check that the target is reachable"}
	}
	if t.MaxP95 > 0 && r.Latency.P95 > t.MaxP95 {
		v = append(v, fmt.Sprintf("p95 latency %s exceeds the %s limit", round(r.Latency.P95), t.MaxP95))
	}
	if t.MaxP99 > 0 && r.Latency.P99 > t.MaxP99 {
		v = append(v, fmt.Sprintf("p99 latency %s exceeds the %s limit", round(r.Latency.P99), t.MaxP99))
	}
	if t.MaxErrorRate > 0 && r.ErrorRate > t.MaxErrorRate {
		v = append(v, fmt.Sprintf("error rate %.2f%% (%d of %d requests) exceeds the %.2f%% limit", 100*r.ErrorRate, r.Errors, r.Requests, 100*t.MaxErrorRate))
	}
	if t.MinThroughput > 0 && r.Throughput < t.MinThroughput {
		v = append(v, fmt.Sprintf("throughput %.1f req/s is below the %.1f req/s minimum", r.Throughput, t.MinThroughput))
	}
	return v
}

func round(d time.Duration) time.Duration {
	switch {
	case d >= time.Second:
		return d.Round(time.Millisecond)
	case d >= time.Millisecond:
		return d.Round(10 * time.Microsecond)
	default:
		return d.Round(time.Microsecond)
	}
}

// result merges the workers' measurements.
func (e *engine) result(workers []*worker) *Result {
	r := &Result{StatusCodes: map[int]int64{}, ErrorSamples: map[string]int64{}}
	hist := hdrhistogram.New(1, workers[0].hist.HighestTrackableValue(), 3)
	last := e.start
	for _, w := range workers {
		r.Requests += w.requests
		r.Errors += w.errors
		r.Aborted += w.aborted
		hist.Merge(w.hist)
		for code, n := range w.statuses {
			r.StatusCodes[code] += n
		}
		for msg, n := range w.errSample {
			if _, ok := r.ErrorSamples[msg]; ok || len(r.ErrorSamples) < maxErrorSamples {
				r.ErrorSamples[msg] += n
			}
		}
		if w.last.After(last) {
			last = w.last
		}
	}
	if len(r.ErrorSamples) == 0 {
		r.ErrorSamples = nil
	}
	r.Duration = last.Sub(e.start)
	if secs := r.Duration.Seconds(); secs > 0 {
		r.Throughput = float64(r.Requests-r.Errors) / secs
		r.RequestRate = float64(r.Requests) / secs
	}
	if r.Requests > 0 {
		r.ErrorRate = float64(r.Errors) / float64(r.Requests)
		us := func(v int64) time.Duration { return time.Duration(v) * time.Microsecond }
		r.Latency = Latencies{
			P50:  us(hist.ValueAtQuantile(50)),
			P95:  us(hist.ValueAtQuantile(95)),
			P99:  us(hist.ValueAtQuantile(99)),
			Max:  us(hist.Max()),
			Mean: time.Duration(hist.Mean() * float64(time.Microsecond)),
		}
	}
	return r
}
