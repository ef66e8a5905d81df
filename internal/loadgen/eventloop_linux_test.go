//go:build linux

package loadgen

import (
	"context"
	"net/http"
	"testing"
	"time"
)

// On Linux, http:// runs on the event loop; https:// needs the goroutine engine.
func TestEventLoopRunsHTTPTargetsOnLinux(t *testing.T) {
	url := server(t, func(w http.ResponseWriter, r *http.Request) {})
	for _, c := range []struct {
		url  string
		want bool
	}{{url, true}, {"https://127.0.0.1:1/", false}} {
		o, targets, err := Options{Targets: []Target{{URL: c.url}}, Duration: 100 * time.Millisecond, Rate: 10, Concurrency: 1, Timeout: 50 * time.Millisecond}.validate()
		if err != nil {
			t.Fatal(err)
		}
		e := &engine{opts: o, targets: targets, start: time.Now(), interval: float64(time.Second) / o.Rate}
		e.end = e.start.Add(o.Duration)
		workers, ok := runEventLoop(context.Background(), e)
		if ok != c.want {
			t.Fatalf("%s: event loop used = %v, want %v", c.url, ok, c.want)
		}
		if ok && (workers[0].requests != 1 || workers[0].errors != 0) {
			t.Fatalf("%s: requests=%d errors=%d %v", c.url, workers[0].requests, workers[0].errors, workers[0].errSample)
		}
	}
}

// Cancelling the context ends an event-loop run promptly.
func TestEventLoopStopsWhenCancelled(t *testing.T) {
	url := server(t, func(w http.ResponseWriter, r *http.Request) {})
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	start := time.Now()
	r, err := Run(ctx, Options{Targets: []Target{{URL: url}}, Duration: time.Minute, Concurrency: 4})
	if err != nil || r.Requests == 0 || r.Errors != 0 {
		t.Fatalf("err=%v %+v", err, r)
	}
	if took := time.Since(start); took > 2*time.Second {
		t.Fatalf("took %s after cancellation at 200ms", took)
	}
}
