package loadgen

import (
	"context"
	"errors"
	"net"
	"os"
	"sync"
	"sync/atomic"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// maxErrorSamples bounds the distinct error messages a run keeps as evidence.
const maxErrorSamples = 10

// Run sends load as the options say and returns the measurements. Failed
// requests are counted in the Result; the error is for invalid options and
// for an unexpected failure of the engine itself (then the Result holds
// what was measured until it failed).
//
// Cancelling ctx stops the run at once: requests in flight are abandoned
// (counted in Result.Aborted, not in Requests) instead of waiting for their
// timeout. When the duration ends, requests in flight get their timeout.
func Run(ctx context.Context, o Options) (*Result, error) {
	o, targets, err := o.validate()
	if err != nil {
		return nil, err
	}
	e := &engine{opts: o, targets: targets, start: time.Now()}
	e.end = e.start.Add(o.Duration)
	if o.Rate > 0 {
		e.interval = float64(time.Second) / o.Rate
	}
	// Requests in flight when the duration ends get their timeout to finish.
	runCtx, cancel := context.WithDeadline(ctx, e.end.Add(o.Timeout))
	defer cancel()

	stopProgress := e.progress(ctx)
	workers, ok, err := runEventLoop(runCtx, e)
	if !ok {
		workers = e.runGoroutines(runCtx, ctx)
	}
	stopProgress()
	return e.result(workers), err
}

// runGoroutines is the portable engine: one goroutine per connection over
// Go's netpoller (https, and every target on systems other than Linux). The
// run ends with ctx; cancelling cancel (its parent) also abandons the
// requests in flight.
func (e *engine) runGoroutines(ctx, cancel context.Context) []*worker {
	workers := make([]*worker, e.opts.Concurrency)
	var wg sync.WaitGroup
	for i := range workers {
		w := newWorker(e, i)
		workers[i] = w
		wg.Add(1)
		go func() {
			defer wg.Done()
			w.loop(ctx, cancel)
		}()
	}
	wg.Wait()
	return workers
}

// engine is the state shared by the workers of one run.
type engine struct {
	opts       Options
	targets    []prepared
	start, end time.Time
	interval   float64 // nanoseconds between intended sends; 0 in the closed model

	ticket   atomic.Int64 // next request number on the open-model schedule
	requests atomic.Int64 // for progress only
	errors   atomic.Int64
}

// worker owns one connection and its own histogram and counters, so the hot
// path takes no lock.
type worker struct {
	e         *engine
	next      int // round-robin target index
	conns     []*conn
	hist      *hdrhistogram.Histogram
	requests  int64
	errors    int64
	statuses  map[int]int64
	errSample map[string]int64
	aborted   int64     // requests abandoned when the run was cancelled
	last      time.Time // when the last response completed

	// The goroutine engine's cancellation: interrupt closes every
	// connection, so a request blocked on the network returns at once; mu
	// guards conns against it (the worker reads conns without the lock: it
	// is the only writer).
	mu          sync.Mutex
	interrupted bool
}

func newWorker(e *engine, i int) *worker {
	// Latencies are recorded in microseconds, up to the longest a request can
	// take: the whole run plus its timeout (an open-model backlog).
	maxMicros := (e.opts.Duration + e.opts.Timeout).Microseconds()
	return &worker{
		e:         e,
		next:      i % len(e.targets),
		conns:     make([]*conn, len(e.targets)),
		hist:      hdrhistogram.New(1, max(maxMicros, 1_000_000), 3),
		statuses:  make(map[int]int64, 4),
		errSample: make(map[string]int64),
	}
}

func (w *worker) loop(ctx, cancel context.Context) {
	stop := context.AfterFunc(cancel, w.interrupt)
	defer func() {
		stop()
		for _, c := range w.conns {
			c.close()
		}
	}()
	for ctx.Err() == nil {
		var intended time.Time
		if w.e.interval > 0 {
			n := w.e.ticket.Add(1) - 1
			intended = w.e.start.Add(time.Duration(float64(n) * w.e.interval))
			if !intended.Before(w.e.end) {
				return
			}
			if d := time.Until(intended); d > 0 {
				if !sleepCtx(ctx, d) {
					return
				}
			}
		} else {
			intended = time.Now()
			if !intended.Before(w.e.end) {
				return
			}
		}
		status, err := w.do(ctx)
		if err != nil && cancel.Err() != nil {
			w.aborted++ // cut short by the cancellation, not the server's doing
			return
		}
		done := time.Now()
		w.last = done
		w.record(done.Sub(intended), status, err)
	}
}

// do sends one request on the worker's connection to the next target,
// reconnecting as needed; a stale keep-alive connection is retried once.
func (w *worker) do(ctx context.Context) (int, error) {
	i := w.next
	w.next = (w.next + 1) % len(w.e.targets)
	p := &w.e.targets[i]
	deadline := time.Now().Add(w.e.opts.Timeout)
	for try := 0; ; try++ {
		c := w.conns[i]
		if c == nil {
			var err error
			if c, err = dial(ctx, p, w.e.opts.Timeout); err != nil {
				return 0, err
			}
			if !w.setConn(i, c) {
				c.close()
				return 0, ctx.Err()
			}
		}
		status, reusable, started, err := c.roundTrip(p, deadline)
		if err != nil || !reusable {
			c.close()
			w.setConn(i, nil)
		}
		if err != nil && c.used && !started && try == 0 && !isTimeout(err) {
			continue // the server closed an idle keep-alive connection
		}
		return status, err
	}
}

// setConn stores the worker's connection to target i (nil: none). It
// reports false, storing nothing, when the run was interrupted: a new
// connection must then be closed.
func (w *worker) setConn(i int, c *conn) bool {
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.interrupted && c != nil {
		return false
	}
	w.conns[i] = c
	return true
}

// interrupt ends the request in flight, whichever it is, at once: ctx is
// done. Closing the TCP connection (under TLS, if any) fails the blocked
// read or write, and every later one: unlike a deadline, which the next
// request would reset, a close cannot be undone.
func (w *worker) interrupt() {
	w.mu.Lock()
	defer w.mu.Unlock()
	w.interrupted = true
	for _, c := range w.conns {
		if c != nil {
			_ = c.raw.Close()
		}
	}
}

func (w *worker) record(lat time.Duration, status int, err error) {
	w.requests++
	us := lat.Microseconds()
	if us < 1 {
		us = 1
	}
	if us > w.hist.HighestTrackableValue() {
		us = w.hist.HighestTrackableValue()
	}
	_ = w.hist.RecordValue(us)
	failed := err != nil || status < 200 || status >= 400
	if err == nil {
		w.statuses[status]++
	}
	if failed {
		w.errors++
		w.e.errors.Add(1)
		msg := errorMessage(status, err)
		if _, ok := w.errSample[msg]; ok || len(w.errSample) < maxErrorSamples {
			w.errSample[msg]++
		}
	}
	w.e.requests.Add(1)
}

func errorMessage(status int, err error) string {
	switch {
	case err == nil:
		return "HTTP " + itoa(status)
	case isTimeout(err):
		return "timeout"
	default:
		return err.Error()
	}
}

func itoa(n int) string {
	if n <= 0 || n > 999 {
		return "?"
	}
	return string([]byte{byte('0' + n/100), byte('0' + n/10%10), byte('0' + n%10)})
}

func isTimeout(err error) bool {
	var ne net.Error
	return errors.Is(err, os.ErrDeadlineExceeded) || errors.Is(err, context.DeadlineExceeded) || (errors.As(err, &ne) && ne.Timeout())
}

func sleepCtx(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

// progress calls Options.Progress about once a second until stopped.
func (e *engine) progress(ctx context.Context) (stop func()) {
	if e.opts.Progress == nil {
		return func() {}
	}
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(time.Second)
		defer tick.Stop()
		prev, prevAt := int64(0), e.start
		for {
			select {
			case <-done:
				return
			case <-ctx.Done():
				return
			case now := <-tick.C:
				n := e.requests.Load()
				e.opts.Progress(Snapshot{
					Elapsed:    now.Sub(e.start),
					Requests:   n,
					Errors:     e.errors.Load(),
					Throughput: float64(n-prev) / now.Sub(prevAt).Seconds(),
				})
				prev, prevAt = n, now
			}
		}
	}()
	return func() { close(done); wg.Wait() }
}
