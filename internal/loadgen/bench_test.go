package loadgen

import (
	"context"
	"net"
	"net/http"
	"testing"
	"time"
)

// cannedConn is a net.Conn that answers every request with the same bytes, so
// the benchmarks measure the generator's own work without a server.
type cannedConn struct {
	net.Conn
	response []byte
	off      int
}

func (c *cannedConn) Write(p []byte) (int, error) { return len(p), nil }

func (c *cannedConn) Read(p []byte) (int, error) {
	n := copy(p, c.response[c.off:])
	c.off = (c.off + n) % len(c.response)
	return n, nil
}

func (c *cannedConn) SetDeadline(time.Time) error { return nil }
func (c *cannedConn) Close() error                { return nil }

const healthResponse = "HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nDate: Mon, 02 Jun 2025 09:14:03 GMT\r\nContent-Length: 15\r\n\r\n{\"status\":\"ok\"}"

// BenchmarkRoundTrip is the per-request hot path: write the prepared request,
// parse the response, record the latency and status.
func BenchmarkRoundTrip(b *testing.B) {
	benchRoundTrip(b, healthResponse)
}

func BenchmarkRoundTripChunked(b *testing.B) {
	benchRoundTrip(b, "HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nf\r\n{\"status\":\"ok\"}\r\n0\r\n\r\n")
}

func benchRoundTrip(b *testing.B, response string) {
	e := &engine{opts: Options{Duration: time.Minute, Timeout: 10 * time.Second}}
	p, err := prepare(Target{URL: "http://127.0.0.1:8080/health"}, userAgent)
	if err != nil {
		b.Fatal(err)
	}
	e.targets = []prepared{p}
	w := newWorker(e, 0)
	nc := &cannedConn{response: []byte(response)}
	c := newConn(nc, "")
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		status, _, _, err := c.roundTrip(&e.targets[0], start.Add(time.Second))
		w.record(time.Since(start), status, err)
	}
	if w.errors != 0 {
		b.Fatalf("%d errors", w.errors)
	}
}

// BenchmarkLoopback runs whole requests against a net/http server on
// 127.0.0.1 (the server's CPU is included).
func BenchmarkLoopback(b *testing.B) {
	url := server(b, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte(`{"status":"ok"}`)) })
	o, targets, err := Options{Targets: []Target{{URL: url}}, Duration: time.Minute}.validate()
	if err != nil {
		b.Fatal(err)
	}
	w := newWorker(&engine{opts: o, targets: targets}, 0)
	defer w.conns[0].close()
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		start := time.Now()
		status, err := w.do(context.Background())
		w.record(time.Since(start), status, err)
	}
	if w.errors != 0 {
		b.Fatalf("%d errors: %v", w.errors, w.errSample)
	}
}

// BenchmarkStopAfterCancel measures how long a closed-model run takes to
// return once cancelled with 4 requests in flight that the server never
// answers (goal: at most 100 ms; the requests' timeout is 30 s).
func BenchmarkStopAfterCancel(b *testing.B) {
	url, requests := silentServer(b)
	var worst, total time.Duration
	n := 0
	for b.Loop() {
		_, took := cancelWhenInFlight(b, Options{Targets: []Target{{URL: url}}, Duration: time.Minute, Concurrency: 4, Timeout: 30 * time.Second}, requests, 4)
		worst, total, n = max(worst, took), total+took, n+1
	}
	b.ReportMetric(float64(worst.Microseconds()), "max-stop-µs")
	b.ReportMetric(float64(total.Microseconds())/float64(n), "mean-stop-µs")
}
