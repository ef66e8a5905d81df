// Package health checks a deployed service's health endpoint: a GET with
// retries, exponential backoff and jitter, a status and body check, and a check
// that the build the app reports is the image just deployed.
//
// Retry policy. An attempt is retried when it may succeed later:
//   - connection errors and per-attempt timeouts (the ALB or the task is not
//     reachable yet);
//   - 5xx, 429 and 408 (the ALB answers 502/503 while targets register, the app
//     answers 503 while it connects to its databases);
//   - a 200 whose body reports an unhealthy status or a different revision (old
//     tasks still answer through the ALB during the deregistration delay, and an
//     app may report "degraded" while it warms up).
//
// It is not retried when the answer is definite: any other status (404 means
// the path is wrong, 401/403 that the endpoint needs credentials), or a 200
// whose body does not speak the health contract at all (not JSON and not a
// plain "ok"). Retrying those would only delay the same verdict.
package health

import (
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Defaults applied to zero fields of Check.
const (
	DefaultAttempts       = 10
	DefaultInitialBackoff = 500 * time.Millisecond
	DefaultMaxBackoff     = 10 * time.Second
	DefaultAttemptTimeout = 5 * time.Second
	DefaultExpectStatus   = http.StatusOK
	// BodyLimit is how much of the body Result.Body keeps.
	BodyLimit = 4 << 10
	// readLimit is how much of the body is read and parsed.
	readLimit = 64 << 10
)

// Check describes one health check of a URL. Zero fields take the defaults above.
type Check struct {
	// URL is the health endpoint, for example https://api.example.com/health.
	URL string
	// Client sends the requests; nil means a client with no overall timeout
	// (AttemptTimeout bounds each attempt).
	Client *http.Client
	// Attempts is the maximum number of requests (default 10).
	Attempts int
	// InitialBackoff is the wait before the second attempt; it doubles up to
	// MaxBackoff, with jitter (each wait is drawn between half and all of it).
	InitialBackoff, MaxBackoff time.Duration
	// AttemptTimeout bounds each request, body included (default 5 s).
	AttemptTimeout time.Duration
	// ExpectStatus is the HTTP status a healthy app answers (default 200).
	ExpectStatus int
	// ExpectRevision, when set, is the revision (git SHA or image tag) just
	// deployed; the build info the app reports must match it (a prefix match
	// either way for SHAs of 7 characters or more). An app that reports no
	// build info gets a note, not a failure.
	ExpectRevision string
	// OnAttempt, when set, is called after every attempt (for progress output).
	OnAttempt func(Attempt)
}

// Attempt is the evidence of one request.
type Attempt struct {
	Number   int           `json:"number"`
	Start    time.Time     `json:"start"`
	Duration time.Duration `json:"duration"`
	// Status is the HTTP status, 0 when no response arrived.
	Status int `json:"status,omitempty"`
	// Error is the transport error, if any, without the URL (net/http's
	// "Get \"<url>\": " prefix is dropped: the check names its URL).
	Error string `json:"error,omitempty"`
	// Problems are what was wrong with the response.
	Problems []string `json:"problems,omitempty"`
	// Retry tells whether the check went on after this attempt.
	Retry bool `json:"retry"`
	// Wait is the backoff slept after this attempt before the next one.
	Wait time.Duration `json:"wait,omitempty"`
}

// OK reports whether this attempt was healthy.
func (a Attempt) OK() bool { return a.Error == "" && len(a.Problems) == 0 }

// Result is the outcome of a Check: the last attempt's response and every
// attempt's evidence.
type Result struct {
	Attempts []Attempt `json:"attempts"`
	// Status is the last response's HTTP status (0 when none arrived).
	Status int `json:"status"`
	// Body is the last response's body, truncated to 4 KiB.
	Body string `json:"body,omitempty"`
	// BuildInfo is what the last response reported about the build, if anything.
	BuildInfo *BuildInfo `json:"buildInfo,omitempty"`
	// Problems is empty when the check passed. They describe the answers
	// of the Check's URL without naming it: the caller names it once.
	Problems []string `json:"problems,omitempty"`
	// Notes are observations that do not fail the check.
	Notes []string `json:"notes,omitempty"`
}

// OK reports whether the check passed.
func (r *Result) OK() bool {
	return r != nil && len(r.Problems) == 0 && len(r.Attempts) > 0
}

// Run performs the check. It returns an error only when the Check itself is
// invalid; an unhealthy app (or a context that ends first) is reported in
// Result.Problems, with every attempt as evidence.
func (c Check) Run(ctx context.Context) (*Result, error) {
	c, err := c.withDefaults()
	if err != nil {
		return nil, err
	}
	res := &Result{}
	backoff := c.InitialBackoff
	for n := 1; n <= c.Attempts; n++ {
		att, resp := c.attempt(ctx, n)
		res.Status, res.Body, res.BuildInfo = resp.status, resp.body, resp.build
		res.Notes = resp.notes
		last := n == c.Attempts || ctx.Err() != nil
		att.Retry = !att.OK() && resp.retryable && !last
		if att.Retry {
			att.Wait = jitter(backoff)
			backoff = min(backoff*2, c.MaxBackoff)
		}
		res.Attempts = append(res.Attempts, att)
		if c.OnAttempt != nil {
			c.OnAttempt(att)
		}
		if att.OK() {
			return res, nil
		}
		if !att.Retry {
			break
		}
		if err := sleep(ctx, att.Wait); err != nil {
			break
		}
	}
	final := res.Attempts[len(res.Attempts)-1]
	if final.Error != "" {
		res.Problems = append(res.Problems, final.Error)
	}
	res.Problems = append(res.Problems, final.Problems...)
	res.Problems = append(res.Problems, fmt.Sprintf("unhealthy after %d attempt(s) over %s%s",
		len(res.Attempts), time.Since(res.Attempts[0].Start).Round(time.Millisecond), stopReason(ctx, final, c.Attempts)))
	return res, nil
}

func stopReason(ctx context.Context, final Attempt, max int) string {
	switch {
	case ctx.Err() != nil:
		return " (stopped: " + ctx.Err().Error() + ")"
	case final.Number == max:
		return " (attempt limit reached: to wait longer, pass --health-attempts with more than " + strconv.Itoa(max) + ")"
	default:
		return " (not retried: the answer is definite)"
	}
}

func (c Check) withDefaults() (Check, error) {
	if c.URL == "" {
		return c, errors.New("health check: URL is empty: pass the API's base URL, for example --api-url=https://api.example.com")
	}
	if !strings.HasPrefix(c.URL, "http://") && !strings.HasPrefix(c.URL, "https://") {
		return c, fmt.Errorf("health check: URL %q must start with http:// or https://", c.URL)
	}
	if c.Attempts < 0 || c.InitialBackoff < 0 || c.MaxBackoff < 0 || c.AttemptTimeout < 0 {
		return c, errors.New("health check: Attempts and durations must not be negative (0 means the default)")
	}
	if c.Client == nil {
		c.Client = &http.Client{}
	}
	if c.Attempts == 0 {
		c.Attempts = DefaultAttempts
	}
	if c.InitialBackoff == 0 {
		c.InitialBackoff = DefaultInitialBackoff
	}
	if c.MaxBackoff == 0 {
		c.MaxBackoff = max(DefaultMaxBackoff, c.InitialBackoff)
	}
	if c.AttemptTimeout == 0 {
		c.AttemptTimeout = DefaultAttemptTimeout
	}
	if c.ExpectStatus == 0 {
		c.ExpectStatus = DefaultExpectStatus
	}
	return c, nil
}

// response is what one attempt learned, beyond the Attempt evidence.
type response struct {
	status    int
	body      string
	build     *BuildInfo
	notes     []string
	retryable bool
}

func (c Check) attempt(ctx context.Context, n int) (Attempt, response) {
	att := Attempt{Number: n, Start: time.Now()}
	defer func() { att.Duration = time.Since(att.Start) }()
	actx, cancel := context.WithTimeout(ctx, c.AttemptTimeout)
	defer cancel()
	var out response
	req, err := http.NewRequestWithContext(actx, http.MethodGet, c.URL, nil)
	if err != nil {
		att.Error = err.Error()
		return att, out
	}
	req.Header.Set("Accept", "application/json")
	resp, err := c.Client.Do(req)
	if err != nil {
		att.Error = transportError(actx, err, c.AttemptTimeout)
		out.retryable = true
		att.Duration = time.Since(att.Start)
		return att, out
	}
	defer resp.Body.Close()
	raw, err := io.ReadAll(io.LimitReader(resp.Body, readLimit))
	out.status = resp.StatusCode
	att.Status = resp.StatusCode
	out.body = truncate(string(raw), BodyLimit)
	if err != nil {
		att.Error = "reading body: " + transportError(actx, err, c.AttemptTimeout)
		out.retryable = true
		return att, out
	}
	if resp.StatusCode != c.ExpectStatus {
		att.Problems = append(att.Problems, fmt.Sprintf("status %d, want %d", resp.StatusCode, c.ExpectStatus))
		out.retryable = retryableStatus(resp.StatusCode)
		return att, out
	}
	v := checkBody(raw, c.ExpectRevision)
	att.Problems = append(att.Problems, v.problems...)
	out.build, out.notes, out.retryable = v.build, v.notes, v.retryable
	return att, out
}

func transportError(actx context.Context, err error, timeout time.Duration) string {
	if errors.Is(actx.Err(), context.DeadlineExceeded) {
		return fmt.Sprintf("no complete response within the %s attempt timeout", timeout)
	}
	var u *url.Error
	if errors.As(err, &u) {
		err = u.Err
	}
	if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
		return "the server closed the connection without a complete response (" + err.Error() + ")"
	}
	return err.Error()
}

func retryableStatus(code int) bool {
	return code >= 500 || code == http.StatusTooManyRequests || code == http.StatusRequestTimeout
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "…(truncated)"
}

// jitter draws a wait between half and all of d.
func jitter(d time.Duration) time.Duration {
	if d <= 1 {
		return d
	}
	half := d / 2
	return half + rand.N(d-half+1)
}

func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return ctx.Err()
	case <-t.C:
		return nil
	}
}
