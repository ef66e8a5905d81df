package loadgen

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"
)

func server(t testing.TB, h http.HandlerFunc) string {
	t.Helper()
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	return srv.URL
}

func mustRun(t *testing.T, o Options) *Result {
	t.Helper()
	r, err := Run(context.Background(), o)
	if err != nil {
		t.Fatalf("Run: %v", err)
	}
	return r
}

func TestClosedModelCountsEveryRequest(t *testing.T) {
	var hits atomic.Int64
	url := server(t, func(w http.ResponseWriter, r *http.Request) {
		hits.Add(1)
		w.Header().Set("Content-Type", "application/json")
		fmt.Fprint(w, `{"status":"ok"}`)
	})
	var snaps []Snapshot
	r := mustRun(t, Options{
		Targets:  []Target{{URL: url + "/health"}},
		Duration: 1200 * time.Millisecond, Concurrency: 4,
		Progress: func(s Snapshot) { snaps = append(snaps, s) },
	})
	if r.Requests == 0 || r.Requests != hits.Load() || r.StatusCodes[200] != r.Requests || r.Errors != 0 {
		t.Fatalf("requests=%d server saw %d, statuses=%v errors=%d %v", r.Requests, hits.Load(), r.StatusCodes, r.Errors, r.ErrorSamples)
	}
	if r.Throughput <= 0 || r.Latency.P50 <= 0 || r.Latency.P99 < r.Latency.P50 || r.Latency.Max < r.Latency.P99 {
		t.Fatalf("implausible figures: %+v", r)
	}
	if len(snaps) == 0 || snaps[0].Requests == 0 {
		t.Fatalf("want progress snapshots, got %+v", snaps)
	}
}

func TestConstantRateSendsTheScheduledCount(t *testing.T) {
	var hits atomic.Int64
	url := server(t, func(w http.ResponseWriter, r *http.Request) { hits.Add(1) })
	r := mustRun(t, Options{Targets: []Target{{URL: url}}, Duration: time.Second, Rate: 200, Concurrency: 5})
	// Request i is scheduled at i × 5 ms; those before 1 s are sent: exactly 200.
	if r.Requests != 200 || hits.Load() != 200 || r.Errors != 0 {
		t.Fatalf("requests=%d hits=%d errors=%d, want 200", r.Requests, hits.Load(), r.Errors)
	}
}

func TestServerErrorsCountAsErrors(t *testing.T) {
	var hits atomic.Int64
	url := server(t, func(w http.ResponseWriter, r *http.Request) {
		if hits.Add(1)%4 == 0 {
			http.Error(w, "neo4j unavailable", http.StatusInternalServerError)
		}
	})
	r := mustRun(t, Options{Targets: []Target{{URL: url}}, Duration: time.Second, Rate: 400, Concurrency: 4})
	if r.Requests != 400 || r.Errors != 100 || r.StatusCodes[500] != 100 || r.StatusCodes[200] != 300 {
		t.Fatalf("requests=%d errors=%d statuses=%v", r.Requests, r.Errors, r.StatusCodes)
	}
	if r.ErrorRate != 0.25 || r.ErrorSamples["HTTP 500"] != 100 {
		t.Fatalf("error rate %v samples %v", r.ErrorRate, r.ErrorSamples)
	}
	v := r.Evaluate(Thresholds{MaxErrorRate: 0.01})
	if len(v) != 1 || !strings.Contains(v[0], "error rate 25.00% (100 of 400 requests) exceeds the 1.00% limit") {
		t.Fatalf("violations = %v", v)
	}
}

// A server that stalls once for 500 ms at 100 req/s over one connection: the
// ~50 requests scheduled during the stall wait for it, and a coordinated-
// omission-free measurement shows them all (latency from the intended send
// time); a naive one would record a single slow request and hide the rest.
func TestConstantRateLatencyIsFreeOfCoordinatedOmission(t *testing.T) {
	var once sync.Once
	start := time.Now()
	url := server(t, func(w http.ResponseWriter, r *http.Request) {
		if time.Since(start) > 500*time.Millisecond {
			once.Do(func() { time.Sleep(500 * time.Millisecond) })
		}
	})
	r := mustRun(t, Options{Targets: []Target{{URL: url}}, Duration: 2 * time.Second, Rate: 100, Concurrency: 1})
	if r.Requests != 200 || r.Errors != 0 {
		t.Fatalf("requests=%d errors=%d", r.Requests, r.Errors)
	}
	// ~50 of 200 requests (25 %) were delayed by 0–500 ms: p95 and p99 show the
	// stall, the median does not.
	if r.Latency.P99 < 400*time.Millisecond || r.Latency.P95 < 200*time.Millisecond {
		t.Fatalf("the stall is hidden: p95=%s p99=%s", r.Latency.P95, r.Latency.P99)
	}
	if r.Latency.P50 > 50*time.Millisecond {
		t.Fatalf("p50=%s, want the unaffected median", r.Latency.P50)
	}
}

func TestWireVariants(t *testing.T) {
	var posts atomic.Int64
	url := server(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/chunked":
			w.Write([]byte(strings.Repeat("x", 100)))
			w.(http.Flusher).Flush() // forces chunked encoding
			w.Write([]byte(strings.Repeat("y", 9000)))
		case "/close":
			w.Header().Set("Connection", "close")
			fmt.Fprint(w, "bye")
		case "/post":
			b, _ := io.ReadAll(r.Body)
			if r.Method != "POST" || string(b) != `{"amount":5}` || r.Header.Get("Content-Type") != "application/json" {
				http.Error(w, "bad request", 400)
				return
			}
			posts.Add(1)
			w.WriteHeader(201)
		case "/nocontent":
			w.WriteHeader(204)
		}
	})
	r := mustRun(t, Options{
		Targets: []Target{
			{URL: url + "/chunked"},
			{URL: url + "/close"},
			{Method: "POST", URL: url + "/post", Header: http.Header{"Content-Type": {"application/json"}}, Body: []byte(`{"amount":5}`)},
			{URL: url + "/nocontent"},
			{Method: "HEAD", URL: url + "/chunked"},
		},
		Duration: 500 * time.Millisecond, Rate: 400, Concurrency: 3,
	})
	if r.Errors != 0 || r.Requests != 200 || posts.Load() != r.StatusCodes[201] || r.StatusCodes[204] == 0 {
		t.Fatalf("requests=%d errors=%d statuses=%v samples=%v", r.Requests, r.Errors, r.StatusCodes, r.ErrorSamples)
	}
}

func TestIdleKeepAliveClosedByTheServerIsRetried(t *testing.T) {
	srv := httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv.Config.IdleTimeout = 20 * time.Millisecond
	srv.Start()
	t.Cleanup(srv.Close)
	// One request every 50 ms: the server closes each idle connection in between.
	r := mustRun(t, Options{Targets: []Target{{URL: srv.URL}}, Duration: 500 * time.Millisecond, Rate: 20, Concurrency: 1})
	if r.Requests != 10 || r.Errors != 0 {
		t.Fatalf("requests=%d errors=%v", r.Requests, r.ErrorSamples)
	}
}

func TestTimeoutsAndRefusedConnectionsAreErrors(t *testing.T) {
	release := make(chan struct{})
	slow := server(t, func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	})
	defer close(release)
	r := mustRun(t, Options{Targets: []Target{{URL: slow}}, Duration: 200 * time.Millisecond, Rate: 20, Concurrency: 4, Timeout: 100 * time.Millisecond})
	if r.Requests != 4 || r.Errors != 4 || r.ErrorSamples["timeout"] != 4 {
		t.Fatalf("requests=%d errors=%d samples=%v", r.Requests, r.Errors, r.ErrorSamples)
	}

	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	r = mustRun(t, Options{Targets: []Target{{URL: closed.URL}}, Duration: 100 * time.Millisecond, Rate: 50, Concurrency: 2})
	if r.Requests != 5 || r.ErrorRate != 1 || len(r.ErrorSamples) == 0 {
		t.Fatalf("requests=%d errors=%d samples=%v", r.Requests, r.Errors, r.ErrorSamples)
	}
	if v := r.Evaluate(Thresholds{MaxErrorRate: 0.5}); len(v) != 1 {
		t.Fatalf("violations = %v", v)
	}
}

func TestInvalidOptionsNameTheFix(t *testing.T) {
	_, err := Run(context.Background(), Options{Targets: []Target{{URL: "ftp://x"}}, Rate: -1, Concurrency: -2})
	if err == nil {
		t.Fatal("want an error")
	}
	for _, want := range []string{"set a positive duration", "or 0 for the closed model", "set a positive number of connections", "must start with http:// or https://"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error %q does not say %q", err, want)
		}
	}
	if _, err := Run(context.Background(), Options{Duration: time.Second}); err == nil || !strings.Contains(err.Error(), "pass at least one URL") {
		t.Errorf("no targets: err = %v", err)
	}
}

func TestEvaluateThresholds(t *testing.T) {
	r := &Result{Requests: 1000, Errors: 0, Throughput: 80, Latency: Latencies{P95: 300 * time.Millisecond, P99: 900 * time.Millisecond}}
	v := r.Evaluate(Thresholds{MaxP95: 250 * time.Millisecond, MaxP99: time.Second, MinThroughput: 100, MaxErrorRate: 0.01})
	if len(v) != 2 || !strings.Contains(v[0], "p95 latency 300ms exceeds the 250ms limit") || !strings.Contains(v[1], "throughput 80.0 req/s is below the 100.0 req/s minimum") {
		t.Fatalf("violations = %v", v)
	}
	if v := r.Evaluate(Thresholds{}); len(v) != 0 {
		t.Fatalf("zero thresholds must not be checked: %v", v)
	}
	if v := (&Result{}).Evaluate(Thresholds{}); len(v) != 1 {
		t.Fatalf("an empty run must fail: %v", v)
	}
}

// silentServer accepts connections and reads requests but never answers;
// each request it has read is announced on the returned channel.
func silentServer(t testing.TB) (url string, requests <-chan struct{}) {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	got := make(chan struct{}, 1024)
	var conns sync.WaitGroup
	t.Cleanup(func() { ln.Close(); conns.Wait() })
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			conns.Add(1)
			go func() {
				defer conns.Done()
				defer c.Close()
				buf := make([]byte, 4096)
				var head []byte
				for {
					n, err := c.Read(buf)
					if err != nil {
						return // the client closed it
					}
					head = append(head, buf[:n]...)
					for {
						i := bytes.Index(head, []byte("\r\n\r\n"))
						if i < 0 {
							break
						}
						head = head[i+4:]
						select {
						case got <- struct{}{}:
						default:
						}
					}
				}
			}()
		}
	}()
	return "http://" + ln.Addr().String() + "/health", got
}

// cancelWhenInFlight runs o, cancels it once the server has read n
// requests, and returns how long Run took to return after the cancellation.
func cancelWhenInFlight(t testing.TB, o Options, requests <-chan struct{}, n int) (*Result, time.Duration) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type ran struct {
		r   *Result
		err error
		at  time.Time
	}
	done := make(chan ran, 1)
	go func() {
		r, err := Run(ctx, o)
		done <- ran{r, err, time.Now()}
	}()
	for range n {
		select {
		case <-requests:
		case <-time.After(10 * time.Second):
			t.Fatalf("the server never got %d requests", n)
		}
	}
	cancelled := time.Now()
	cancel()
	select {
	case r := <-done:
		if r.err != nil {
			t.Fatalf("Run: %v", r.err)
		}
		return r.r, r.at.Sub(cancelled)
	case <-time.After(o.Timeout / 2):
		t.Fatalf("Run still waits %s after the cancellation: in-flight requests are waited for up to their %s timeout", o.Timeout/2, o.Timeout)
		return nil, 0
	}
}

// A cancelled run stops at once instead of waiting for its requests in
// flight, which a server that never answers would hold for their whole
// timeout (30 s here). The goal is 100 ms (the event loop wakes on an
// eventfd, the goroutine engine closes its connections: both take well
// under a millisecond, see BenchmarkStopAfterCancel); the test allows 1 s,
// ten times the goal so a loaded machine cannot make it flaky, and thirty
// times less than the timeout a run that waits would take.
func TestCancelledRunStopsAtOnce(t *testing.T) {
	for name, rate := range map[string]float64{"closed model": 0, "constant rate": 1000} {
		t.Run(name, func(t *testing.T) {
			url, requests := silentServer(t)
			o := Options{Targets: []Target{{URL: url}}, Duration: time.Minute, Rate: rate, Concurrency: 4, Timeout: 30 * time.Second}
			r, took := cancelWhenInFlight(t, o, requests, 4)
			if took > time.Second {
				t.Fatalf("Run returned %s after the cancellation, want at most 1 s (goal 100 ms)", took)
			}
			if r.Requests != 0 || r.Aborted != 4 {
				t.Fatalf("requests=%d aborted=%d, want the 4 requests in flight aborted and none counted", r.Requests, r.Aborted)
			}
			t.Logf("stopped %s after the cancellation", took)
		})
	}
}
