// Package loadgen is credex-ci's HTTP load generator: a constant-rate (open
// model) or constant-concurrency (closed model) run against one or more
// endpoints, with latency percentiles from HdrHistogram, throughput, error
// rate and status codes, checked against thresholds.
//
// In the constant-rate mode each request has an intended send time on a fixed
// schedule (request i at start + i/Rate) and its latency is measured from that
// intended time, not from when a connection became free to send it. A server
// that stalls therefore shows the stall in every request it delayed, as wrk2
// and vegeta measure it: the run is free of coordinated omission.
package loadgen

import (
	"errors"
	"fmt"
	"net/http"
	"time"
)

// Target is one request the generator sends; targets are used round-robin.
type Target struct {
	// Method defaults to GET.
	Method string
	// URL is an absolute http:// or https:// URL.
	URL    string
	Header http.Header
	Body   []byte
}

// Options configure a run.
type Options struct {
	Targets []Target
	// Duration is how long requests are started for.
	Duration time.Duration
	// Rate is the requests per second of the constant-rate (open) model; 0
	// selects the closed model, where each connection sends its next request
	// as soon as the previous answer arrives.
	Rate float64
	// Concurrency is the number of connections (and so the most requests in
	// flight); default 10. In the open model it must be large enough to carry
	// Rate × latency, or requests fall behind schedule (which is measured).
	Concurrency int
	// Timeout bounds each request (default 10 s); a timed-out request is an error.
	Timeout time.Duration
	// Progress, when set, is called about once a second while the run lasts.
	Progress func(Snapshot)
}

// Snapshot is the progress of a running load test.
type Snapshot struct {
	Elapsed  time.Duration
	Requests int64
	Errors   int64
	// Throughput is the requests per second answered since the previous snapshot.
	Throughput float64
}

// Defaults applied to zero fields of Options.
const (
	DefaultConcurrency = 10
	DefaultTimeout     = 10 * time.Second
	userAgent          = "credex-ci-loadgen"
)

// validate checks the options and returns them with defaults applied.
func (o Options) validate() (Options, []prepared, error) {
	var errs []error
	if len(o.Targets) == 0 {
		errs = append(errs, errors.New("no targets: pass at least one URL, for example http://127.0.0.1:8080/health"))
	}
	if o.Duration <= 0 {
		errs = append(errs, fmt.Errorf("duration %s: set a positive duration, for example 30s", o.Duration))
	}
	if o.Rate < 0 {
		errs = append(errs, fmt.Errorf("rate %g: set a positive requests/s for the constant-rate mode, or 0 for the closed model", o.Rate))
	}
	if o.Concurrency < 0 {
		errs = append(errs, fmt.Errorf("concurrency %d: set a positive number of connections (default %d)", o.Concurrency, DefaultConcurrency))
	}
	if o.Timeout < 0 {
		errs = append(errs, fmt.Errorf("timeout %s: set a positive per-request timeout (default %s)", o.Timeout, DefaultTimeout))
	}
	prep := make([]prepared, 0, len(o.Targets))
	for _, t := range o.Targets {
		p, err := prepare(t, userAgent)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		prep = append(prep, p)
	}
	if o.Concurrency == 0 {
		o.Concurrency = DefaultConcurrency
	}
	if o.Timeout == 0 {
		o.Timeout = DefaultTimeout
	}
	if o.Rate > 0 && o.Rate*o.Duration.Seconds() < 1 {
		errs = append(errs, fmt.Errorf("rate %g/s for %s sends no request: raise the rate or the duration", o.Rate, o.Duration))
	}
	if err := errors.Join(errs...); err != nil {
		return o, nil, fmt.Errorf("loadgen: invalid options: %w", err)
	}
	return o, prep, nil
}
