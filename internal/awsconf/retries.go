package awsconf

import (
	"cmp"
	"context"
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	awsmiddleware "github.com/aws/aws-sdk-go-v2/aws/middleware"
	"github.com/aws/aws-sdk-go-v2/aws/retry"
	"github.com/aws/smithy-go/middleware"
)

// The SDK's retryer absorbs throttling and transient errors (Load's adaptive
// mode: up to 8 attempts, jittered backoff, a client-side rate limit that
// tightens on throttling), which keeps a watch going but makes it slow
// without a word. RetryStats counts, from the SDK itself, what the retryer
// did for the calls made under a context (WithRetryStats), so a report can
// say "AWS throttled 3 calls: the SDK retried them 3 times over 2.1 s".

// countRetriesID names the middleware in the SDK's stack.
const countRetriesID = "credex-ci.CountRetries"

// CountRetries adds to cfg, for every client made from it, a middleware
// that records each call's attempts into the RetryStats of the call's
// context, if any. Load adds it; adding it again does nothing.
func CountRetries(cfg *aws.Config) {
	cfg.APIOptions = append(slices.Clip(cfg.APIOptions), func(stack *middleware.Stack) error {
		if _, ok := stack.Initialize.Get(countRetriesID); ok {
			return nil
		}
		return stack.Initialize.Add(middleware.InitializeMiddlewareFunc(countRetriesID, countRetries), middleware.After)
	})
}

// countRetries runs around the whole call, retries included: the retry
// middleware leaves every attempt's result in the call's metadata.
func countRetries(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
	stats, _ := ctx.Value(retryStatsKey{}).(*RetryStats)
	if stats == nil {
		return next.HandleInitialize(ctx, in)
	}
	start := time.Now()
	out, md, err := next.HandleInitialize(ctx, in)
	results, _ := retry.GetAttemptResults(md)
	stats.record(awsmiddleware.GetServiceID(ctx)+" "+awsmiddleware.GetOperationName(ctx), results.Results, time.Since(start))
	return out, md, err
}

type retryStatsKey struct{}

// WithRetryStats returns a context under which the AWS calls of clients made
// from a Load config (or one given CountRetries) are counted into s.
func WithRetryStats(ctx context.Context, s *RetryStats) context.Context {
	return context.WithValue(ctx, retryStatsKey{}, s)
}

// throttles tells throttling errors from other retryable ones, as the
// adaptive retryer does.
var throttles = retry.IsErrorThrottles(retry.DefaultThrottles)

// RetryStats accumulates what the retryer did; it is safe for concurrent
// use. The zero value is ready.
type RetryStats struct {
	// OnRetried, when set, is called after each call that took more than
	// one attempt, with how many it took, how many AWS throttled, and how
	// long the call took in all (for progress while it happens).
	OnRetried func(call string, attempts, throttled int, took time.Duration)

	mu sync.Mutex
	s  Retries
}

// Retries is what the SDK's retryer did for a set of calls.
type Retries struct {
	// Calls is the number of AWS calls made.
	Calls int
	// Retried is how many of them took more than one attempt; Retries is
	// the number of attempts beyond the first, over all calls.
	Retried int
	Retries int
	// Throttled counts the attempts AWS refused with a throttling error
	// (ThrottlingException, TooManyRequestsException, HTTP 429, ...).
	Throttled int
	// ThrottledBy counts the throttled attempts by call ("ECS
	// DescribeServices").
	ThrottledBy map[string]int
	// Duration is the time the retried calls took in all, from their first
	// attempt to their final answer (the backoff waits included).
	Duration time.Duration
}

func (s *RetryStats) record(call string, attempts []retry.AttemptResult, took time.Duration) {
	throttled := s.add(call, attempts, took)
	if len(attempts) > 1 && s.OnRetried != nil {
		s.OnRetried(call, len(attempts), throttled, took)
	}
}

func (s *RetryStats) add(call string, attempts []retry.AttemptResult, took time.Duration) (throttled int) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.s.Calls++
	for _, a := range attempts {
		if a.Err != nil && throttles.IsErrorThrottle(a.Err).Bool() {
			throttled++
		}
	}
	if throttled > 0 {
		if s.s.ThrottledBy == nil {
			s.s.ThrottledBy = map[string]int{}
		}
		s.s.ThrottledBy[call] += throttled
		s.s.Throttled += throttled
	}
	if len(attempts) > 1 {
		s.s.Retried++
		s.s.Retries += len(attempts) - 1
		s.s.Duration += took
	}
	return throttled
}

// Snapshot returns the counts so far.
func (s *RetryStats) Snapshot() Retries {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := s.s
	out.ThrottledBy = maps.Clone(s.s.ThrottledBy)
	return out
}

// Any reports whether a call was retried or throttled.
func (r Retries) Any() bool { return r.Retries > 0 || r.Throttled > 0 }

// String says what happened for a person, e.g. "AWS throttled 2 requests
// (ECS DescribeServices × 2): the SDK retried 1 of 9 calls 2 times, over
// 1.2s in all"; it is empty when nothing was retried or throttled.
func (r Retries) String() string {
	if !r.Any() {
		return ""
	}
	var parts []string
	if r.Throttled > 0 {
		calls := slices.SortedFunc(maps.Keys(r.ThrottledBy), func(a, b string) int {
			return cmp.Or(cmp.Compare(r.ThrottledBy[b], r.ThrottledBy[a]), cmp.Compare(a, b))
		})
		by := make([]string, len(calls))
		for i, c := range calls {
			by[i] = fmt.Sprintf("%s × %d", c, r.ThrottledBy[c])
		}
		parts = append(parts, fmt.Sprintf("AWS throttled %s (%s)", plural(r.Throttled, "request"), strings.Join(by, ", ")))
	}
	if r.Retries > 0 {
		parts = append(parts, fmt.Sprintf("the SDK retried %d of %s %s, over %s in all", r.Retried, plural(r.Calls, "call"), plural(r.Retries, "time"), roundDuration(r.Duration)))
	}
	return strings.Join(parts, ": ")
}

func plural(n int, word string) string {
	if n == 1 {
		return fmt.Sprintf("%d %s", n, word)
	}
	return fmt.Sprintf("%d %ss", n, word)
}

func roundDuration(d time.Duration) time.Duration {
	if d < time.Second {
		return d.Round(time.Millisecond)
	}
	return d.Round(100 * time.Millisecond)
}
