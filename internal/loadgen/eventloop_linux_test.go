//go:build linux

package loadgen

import (
	"context"
	"errors"
	"net/http"
	"strings"
	"syscall"
	"testing"
	"time"

	"golang.org/x/sys/unix"
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
		workers, ok, err := runEventLoop(context.Background(), e)
		if err != nil {
			t.Fatal(err)
		}
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

// An unexpected epoll failure ends the run with an error that says so; it
// does not panic (which would take the whole verification down with it),
// and what was measured until then is kept.
func TestEventLoopEpollFailureIsAnError(t *testing.T) {
	url := server(t, func(w http.ResponseWriter, r *http.Request) {})
	calls := 0
	epollWaitFunc = func(epfd int, events []unix.EpollEvent, timeout int64) (int, syscall.Errno) {
		if calls++; calls > 20 {
			return 0, unix.EBADF
		}
		return epollWait(epfd, events, timeout)
	}
	t.Cleanup(func() { epollWaitFunc = epollWait })
	r, err := Run(context.Background(), Options{Targets: []Target{{URL: url}}, Duration: time.Minute, Concurrency: 2})
	if err == nil || !errors.Is(err, unix.EBADF) {
		t.Fatalf("err = %v, want the epoll error", err)
	}
	want := "loadgen: the event loop's epoll_wait failed: bad file descriptor (after "
	if !strings.HasPrefix(err.Error(), want) || !strings.HasSuffix(err.Error(), " requests; this is a bug or the system ran out of resources: report it, or run again)") {
		t.Fatalf("err = %q, want it to start with %q", err, want)
	}
	if r == nil || r.Requests == 0 {
		t.Fatalf("result = %+v, want the requests measured before the failure", r)
	}
}
