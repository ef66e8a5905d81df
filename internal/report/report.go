// Package report is the verification report: one entry per check with its
// verdict, timing and evidence, an overall verdict, and renderings as JSON for
// machines and Markdown for people (GitHub's step summary).
package report

import (
	"github.com/great-sun-group/credex-ci/internal/redact"

	"encoding/json"
	"time"
)

// Verdict is the outcome of one check or of the whole verification.
type Verdict string

// Verdicts. A check that could not run because an earlier one failed is
// skipped; a check that could not decide (a panic, an AWS error) is error; a
// check that has no meaning in the environment (a rollout where nothing
// rolls out, locally) is not applicable: neither passed nor failed.
const (
	Pass          Verdict = "pass"
	Fail          Verdict = "fail"
	Skip          Verdict = "skip"
	Error         Verdict = "error"
	NotApplicable Verdict = "n/a"
)

// Superseded is the Outcome of a rollout that a newer deployment replaced
// before it settled: a failed verdict (nothing was verified), but nothing
// is known to be wrong with what was deployed.
const Superseded = "superseded"

// Failed reports whether the verdict fails a verification.
func (v Verdict) Failed() bool { return v == Fail || v == Error }

// Target is what was verified.
type Target struct {
	Cluster        string `json:"cluster,omitempty"`
	Service        string `json:"service,omitempty"`
	TaskDefinition string `json:"taskDefinition,omitempty"`
	URL            string `json:"url,omitempty"`
	Revision       string `json:"revision,omitempty"`
	Account        string `json:"account,omitempty"`
	Region         string `json:"region,omitempty"`
}

// Check is one check's entry.
type Check struct {
	Name    string    `json:"name"`
	Verdict Verdict   `json:"verdict"`
	Summary string    `json:"summary"`
	Started time.Time `json:"started"`
	// Duration is rendered in JSON as durationSeconds.
	Duration time.Duration `json:"-"`
	// Evidence: what a person needs to see to believe the verdict (service
	// events, stop reasons, exit codes, log lines, problems found).
	Evidence []string `json:"evidence,omitempty"`
	// Outcome is the check's own word for what it found, finer than the
	// verdict: the rollout's "completed", "failed", "rolled-back",
	// "superseded", "timed-out" or "service-missing".
	Outcome string `json:"outcome,omitempty"`
	// TimedOut is set when the check ran out of time before deciding.
	TimedOut bool `json:"timedOut,omitempty"`
	// Notes are observations that do not change the verdict but explain
	// it: targets draining after a rolling deploy, AWS throttling that
	// slowed the check down, an app that reports no build.
	Notes []string `json:"notes,omitempty"`
	// Tests holds the integration suite's results, when this check ran one.
	Tests *TestSuite `json:"tests,omitempty"`
	// Benchmark holds the load test's figures, when this check ran one.
	Benchmark *Benchmark `json:"benchmark,omitempty"`
}

// MarshalJSON adds durationSeconds.
func (c Check) MarshalJSON() ([]byte, error) {
	type plain Check
	return json.Marshal(struct {
		plain
		DurationSeconds float64 `json:"durationSeconds"`
	}{plain(c), c.Duration.Seconds()})
}

// TestSuite is an integration suite's outcome.
type TestSuite struct {
	Format   string        `json:"format"`
	Total    int           `json:"total"`
	Passed   int           `json:"passed"`
	Failed   int           `json:"failed"`
	Skipped  int           `json:"skipped"`
	Failures []TestFailure `json:"failures,omitempty"`
}

// TestFailure is one failed test.
type TestFailure struct {
	Name    string `json:"name"`
	Message string `json:"message,omitempty"`
}

// Benchmark holds a load test's figures and the thresholds it was held to.
type Benchmark struct {
	Requests    int64           `json:"requests"`
	Errors      int64           `json:"errors"`
	Duration    time.Duration   `json:"durationNs"`
	Rate        float64         `json:"rate,omitempty"`
	Throughput  float64         `json:"throughput"`
	ErrorRate   float64         `json:"errorRate"`
	P50         time.Duration   `json:"p50Ns"`
	P95         time.Duration   `json:"p95Ns"`
	P99         time.Duration   `json:"p99Ns"`
	Max         time.Duration   `json:"maxNs"`
	Mean        time.Duration   `json:"meanNs"`
	StatusCodes map[int]int64   `json:"statusCodes,omitempty"`
	Thresholds  *BenchThreshold `json:"thresholds,omitempty"`
}

// BenchThreshold is what the benchmark must meet (zero: not checked).
type BenchThreshold struct {
	MaxP95        time.Duration `json:"maxP95Ns,omitempty"`
	MaxP99        time.Duration `json:"maxP99Ns,omitempty"`
	MaxErrorRate  float64       `json:"maxErrorRate,omitempty"`
	MinThroughput float64       `json:"minThroughput,omitempty"`
}

// Report is a whole verification.
type Report struct {
	Environment string    `json:"environment"`
	Target      Target    `json:"target"`
	Verdict     Verdict   `json:"verdict"`
	Started     time.Time `json:"started"`
	Finished    time.Time `json:"finished"`
	Checks      []Check   `json:"checks"`

	secrets redact.Values
}

// Redact registers values (credentials, tokens) that must never appear in
// any rendering; they are replaced by "***".
func (r *Report) Redact(values ...string) { r.secrets.Add(values...) }

// Add appends a check and updates the overall verdict.
func (r *Report) Add(c Check) {
	r.Checks = append(r.Checks, c)
	r.Verdict = r.overall()
}

// Find returns the check named name, or nil.
func (r *Report) Find(name string) *Check {
	for i := range r.Checks {
		if r.Checks[i].Name == name {
			return &r.Checks[i]
		}
	}
	return nil
}

// overall fails when any check failed or errored; it passes when at least
// one check passed and none failed. Skipped and not-applicable checks count
// for neither: a report of only those is skipped, never passed.
func (r *Report) overall() Verdict {
	v := Skip
	for _, c := range r.Checks {
		switch {
		case c.Verdict == Error && v != Fail:
			v = Error
		case c.Verdict == Fail:
			v = Fail
		case c.Verdict == Pass && v == Skip:
			v = Pass
		}
	}
	return v
}

// SupersededBy returns the check that found the deployment superseded when
// that is the only reason the verification failed, or nil.
func (r *Report) SupersededBy() *Check {
	var found *Check
	for i, c := range r.Checks {
		switch {
		case !c.Verdict.Failed():
		case c.Outcome == Superseded:
			found = &r.Checks[i]
		default:
			return nil
		}
	}
	return found
}

// OK reports whether the verification passed.
func (r *Report) OK() bool { r.Verdict = r.overall(); return r.Verdict == Pass }

// JSON renders the report for machines, secrets redacted.
func (r *Report) JSON() ([]byte, error) {
	clean := r.redacted()
	b, err := json.MarshalIndent(&clean, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
