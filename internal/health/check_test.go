package health

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

const sha = "3f9c2b7d1e0a4c5b6a7980f1e2d3c4b5a6978877"

// fast keeps the tests quick: tiny backoffs, a short per-attempt timeout.
func fast(url string) Check {
	return Check{URL: url, Attempts: 5, InitialBackoff: time.Millisecond, MaxBackoff: 5 * time.Millisecond, AttemptTimeout: 200 * time.Millisecond}
}

func serve(t *testing.T, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL + "/health"
}

func jsonBody(w http.ResponseWriter, code int, body string) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	fmt.Fprint(w, body)
}

func run(t *testing.T, c Check) *Result {
	t.Helper()
	res, err := c.Run(context.Background())
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return res
}

func TestHealthyWithMatchingRevision(t *testing.T) {
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		jsonBody(w, 200, `{"status":"ok","build":{"commit":"`+sha+`","builtAt":"2025-01-01"}}`)
	})
	c := fast(url)
	c.ExpectRevision = sha[:7] // a short SHA matches the full one
	res := run(t, c)
	if !res.OK() || len(res.Attempts) != 1 {
		t.Fatalf("want healthy on first attempt, got %+v", res)
	}
	if res.BuildInfo == nil || res.BuildInfo.Field != "build.commit" || res.BuildInfo.Revision != sha {
		t.Fatalf("build info = %+v", res.BuildInfo)
	}
}

func TestAcceptedStatusWordsAndFields(t *testing.T) {
	for _, body := range []string{
		`{"status":"UP","gitSha":"` + sha + `"}`,
		`{"status":"healthy","version":"` + sha[:12] + `"}`,
		`{"status":"OK","info":{"revision":"` + sha + `"}}`,
	} {
		url := serve(t, func(w http.ResponseWriter, r *http.Request) { jsonBody(w, 200, body) })
		c := fast(url)
		c.ExpectRevision = sha
		if res := run(t, c); !res.OK() {
			t.Errorf("body %s: want healthy, got problems %v", body, res.Problems)
		}
	}
}

func TestServerErrorsAreRetriedThenReported(t *testing.T) {
	var hits atomic.Int32
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		jsonBody(w, 500, `{"status":"error","message":"neo4j unreachable"}`)
	})
	var seen []Attempt
	c := fast(url)
	c.OnAttempt = func(a Attempt) { seen = append(seen, a) }
	res := run(t, c)
	if res.OK() || hits.Load() != 5 || len(res.Attempts) != 5 || len(seen) != 5 {
		t.Fatalf("want 5 failed attempts, got hits=%d attempts=%d", hits.Load(), len(res.Attempts))
	}
	if res.Status != 500 || !strings.Contains(res.Body, "neo4j unreachable") {
		t.Fatalf("evidence missing: status=%d body=%q", res.Status, res.Body)
	}
	if !contains(res.Problems, "status 500, want 200") || !contains(res.Problems, "attempt limit reached") {
		t.Fatalf("problems = %v", res.Problems)
	}
	if res.Attempts[4].Retry || !res.Attempts[0].Retry || res.Attempts[0].Wait <= 0 {
		t.Fatalf("retry flags wrong: %+v", res.Attempts)
	}
}

func TestSlowResponsesHitThePerAttemptTimeout(t *testing.T) {
	release := make(chan struct{})
	t.Cleanup(func() { close(release) })
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	c := fast(url)
	c.Attempts, c.AttemptTimeout = 3, 50*time.Millisecond
	res := run(t, c)
	if res.OK() || len(res.Attempts) != 3 {
		t.Fatalf("want 3 timed-out attempts, got %+v", res)
	}
	for _, a := range res.Attempts {
		if !strings.Contains(a.Error, "50ms attempt timeout") {
			t.Fatalf("attempt error = %q", a.Error)
		}
	}
}

func TestFlappingHealthRecovers(t *testing.T) {
	var hits atomic.Int32
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		switch hits.Add(1) {
		case 1:
			jsonBody(w, 503, `{"status":"starting"}`)
		case 2:
			jsonBody(w, 200, `{"status":"degraded"}`)
		default:
			jsonBody(w, 200, `{"status":"ok","revision":"`+sha+`"}`)
		}
	})
	c := fast(url)
	c.ExpectRevision = sha
	res := run(t, c)
	if !res.OK() || len(res.Attempts) != 3 {
		t.Fatalf("want healthy on the third attempt, got %+v", res)
	}
	if !contains(res.Attempts[1].Problems, `status "degraded"`) {
		t.Fatalf("second attempt problems = %v", res.Attempts[1].Problems)
	}
}

func TestWrongBuildInfoFails(t *testing.T) {
	url := serve(t, func(w http.ResponseWriter, r *http.Request) {
		jsonBody(w, 200, `{"status":"ok","revision":"0000000deadbeef"}`)
	})
	c := fast(url)
	c.ExpectRevision = sha
	res := run(t, c)
	if res.OK() || len(res.Attempts) != 5 {
		t.Fatalf("want failure after retries (old tasks may still answer), got %+v", res)
	}
	if !contains(res.Problems, `reports revision "0000000deadbeef", want "`+sha+`"`) {
		t.Fatalf("problems = %v", res.Problems)
	}
}

func TestMissingBuildInfoIsANoteNotAFailure(t *testing.T) {
	url := serve(t, func(w http.ResponseWriter, r *http.Request) { jsonBody(w, 200, `{"status":"ok"}`) })
	c := fast(url)
	c.ExpectRevision = sha
	res := run(t, c)
	if !res.OK() || !contains(res.Notes, "reports no build info") {
		t.Fatalf("want healthy with a note, got %+v", res)
	}
}

func TestDefiniteAnswersAreNotRetried(t *testing.T) {
	for name, h := range map[string]http.HandlerFunc{
		"404":      func(w http.ResponseWriter, r *http.Request) { http.NotFound(w, r) },
		"html 200": func(w http.ResponseWriter, r *http.Request) { fmt.Fprint(w, "<html>welcome</html>") },
	} {
		var hits atomic.Int32
		url := serve(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1); h(w, r) })
		res := run(t, fast(url))
		if res.OK() || hits.Load() != 1 || !contains(res.Problems, "not retried") {
			t.Errorf("%s: want one attempt and a definite failure, got hits=%d problems=%v", name, hits.Load(), res.Problems)
		}
	}
}

func TestConnectionRefusedIsRetried(t *testing.T) {
	srv := httptest.NewServer(http.NotFoundHandler())
	url := srv.URL + "/health"
	srv.Close()
	c := fast(url)
	c.Attempts = 2
	res := run(t, c)
	if res.OK() || len(res.Attempts) != 2 || res.Attempts[0].Error == "" {
		t.Fatalf("want 2 failed connection attempts, got %+v", res)
	}
	// The error without net/http's `Get "<url>": `: the caller names the URL.
	want := "dial tcp " + strings.TrimPrefix(srv.URL, "http://") + ": connect: connection refused"
	if res.Attempts[0].Error != want || res.Problems[0] != want {
		t.Fatalf("attempt error %q, problems %q; want %q", res.Attempts[0].Error, res.Problems, want)
	}
}

func TestContextEndStopsTheCheck(t *testing.T) {
	url := serve(t, func(w http.ResponseWriter, r *http.Request) { w.WriteHeader(503) })
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	c := fast(url)
	c.Attempts, c.InitialBackoff, c.MaxBackoff = 100, 10*time.Millisecond, 10*time.Millisecond
	res, err := c.Run(ctx)
	if err != nil || res.OK() || len(res.Attempts) >= 100 || !contains(res.Problems, "context deadline exceeded") {
		t.Fatalf("want a stop on the deadline, got err=%v %+v", err, res.Problems)
	}
}

func TestInvalidCheck(t *testing.T) {
	for _, c := range []Check{{}, {URL: "api.example.com/health"}, {URL: "http://x", Attempts: -1}} {
		if _, err := c.Run(context.Background()); err == nil {
			t.Errorf("%+v: want an error", c)
		}
	}
}

func TestRevisionMatches(t *testing.T) {
	cases := []struct {
		reported, expected string
		want               bool
	}{
		{sha, sha, true},
		{sha[:7], sha, true},
		{sha, sha[:7], true},
		{strings.ToUpper(sha[:8]), sha, true},
		{sha[:6], sha, false}, // too short to be trusted as a prefix
		{"v1.2.3", "v1.2.3", true},
		{"v1.2.3", "v1.2.4", false},
	}
	for _, tc := range cases {
		if got := revisionMatches(tc.reported, tc.expected); got != tc.want {
			t.Errorf("revisionMatches(%q, %q) = %v", tc.reported, tc.expected, got)
		}
	}
}

func contains(list []string, sub string) bool {
	for _, s := range list {
		if strings.Contains(s, sub) {
			return true
		}
	}
	return false
}
