//go:build linux

package loadgen

import (
	"context"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"syscall"
	"time"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The Linux event-loop engine: every connection of a run on one OS thread,
// raw non-blocking sockets and level-triggered epoll. Per request it makes one
// write, one read (the whole response of a small request arrives at once) and
// a share of one epoll wait for all the connections that became ready
// together; the goroutine engine adds a read that returns EAGAIN, a netpoller
// wake-up and a goroutine switch per request. It speaks http:// only (https
// runs on the goroutine engine) and keeps the same behaviour: the same
// parser, histograms, counters, errors, stale keep-alive retry and schedule.

// runEventLoop runs the load on the event loop and returns the workers'
// measurements; ok is false when the targets need the goroutine engine. The
// error is an unexpected failure of the loop's own system calls (epoll),
// which ends the run.
func runEventLoop(ctx context.Context, e *engine) (workers []*worker, ok bool, err error) {
	if !useEventLoop {
		return nil, false, nil
	}
	addrs := make([]unix.Sockaddr, len(e.targets))
	netAddrs := make([]*net.TCPAddr, len(e.targets))
	for i := range e.targets {
		p := &e.targets[i]
		if p.tls != nil {
			return nil, false, nil
		}
		a, err := net.ResolveTCPAddr("tcp", p.addr)
		if err != nil || a.IP == nil {
			return nil, false, nil // the goroutine engine reports the dial error per request
		}
		netAddrs[i] = a
		if ip4 := a.IP.To4(); ip4 != nil {
			sa := &unix.SockaddrInet4{Port: a.Port}
			copy(sa.Addr[:], ip4)
			addrs[i] = sa
		} else {
			sa := &unix.SockaddrInet6{Port: a.Port}
			copy(sa.Addr[:], a.IP.To16())
			if ifi, err := net.InterfaceByName(a.Zone); err == nil {
				sa.ZoneId = uint32(ifi.Index)
			}
			addrs[i] = sa
		}
	}
	epfd, err := unix.EpollCreate1(unix.EPOLL_CLOEXEC)
	if err != nil {
		return nil, false, nil
	}
	defer unix.Close(epfd)
	wake, stopWake, err := wakeOnDone(ctx, epfd)
	if err != nil {
		return nil, false, nil
	}
	defer stopWake()

	runtime.LockOSThread()
	defer runtime.UnlockOSThread()

	l := &loop{
		e: e, epfd: epfd, wakeFD: wake, addrs: addrs, netAddrs: netAddrs, done: ctx.Done(),
		timeout: int64(e.opts.Timeout),
		end:     int64(e.end.Sub(e.start)),
		readBuf: make([]byte, 64<<10),
		events:  make([]unix.EpollEvent, 256),
	}
	workers = make([]*worker, e.opts.Concurrency)
	l.slots = make([]*slot, len(workers))
	for i := range workers {
		workers[i] = newWorker(e, i)
		l.slots[i] = &slot{w: workers[i], socks: make([]*sock, len(e.targets))}
		l.idle = append(l.idle, l.slots[i])
	}
	if err := l.run(); err != nil {
		return workers, true, err
	}
	return workers, true, nil
}

// wakeOnDone registers an eventfd in the epoll set that becomes readable
// when ctx is done, so a cancellation ends the wait at once. stop must be
// called before epfd is closed; it closes the eventfd once nothing can
// write to it any more.
func wakeOnDone(ctx context.Context, epfd int) (fd int, stop func(), err error) {
	fd, err = unix.Eventfd(0, unix.EFD_NONBLOCK|unix.EFD_CLOEXEC)
	if err != nil {
		return -1, nil, err
	}
	if err := unix.EpollCtl(epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: unix.EPOLLIN, Fd: int32(fd)}); err != nil {
		unix.Close(fd)
		return -1, nil, err
	}
	written := make(chan struct{})
	stopAfter := context.AfterFunc(ctx, func() {
		defer close(written)
		one := [8]byte{1} // an eventfd counter increment, native-endian uint64 (little-endian here)
		_, _ = unix.Write(fd, one[:])
	})
	return fd, func() {
		if !stopAfter() {
			<-written // the write may be under way: the fd must outlive it
		}
		unix.Close(fd)
	}, nil
}

// useEventLoop lets tests run the behaviour contract on both engines.
var useEventLoop = true

// loop is the event-loop engine's state; times are nanoseconds since e.start
// on the monotonic clock.
type loop struct {
	e        *engine
	epfd     int
	wakeFD   int // an eventfd readable once the run is cancelled
	addrs    []unix.Sockaddr
	netAddrs []*net.TCPAddr // for error messages
	done     <-chan struct{}
	timeout  int64
	end      int64

	slots    []*slot
	idle     []*slot // slots without a request in flight
	byFD     []*sock
	inflight int
	earliest int64 // no deadline of a request in flight is before this
	ticket   int64 // next request number on the open-model schedule
	stopping bool  // no more requests are started

	readBuf []byte
	events  []unix.EpollEvent
}

// slot is one connection slot (the event loop's worker): at most one request
// in flight, over one socket per target.
type slot struct {
	w        *worker
	socks    []*sock // per target; nil when not connected
	cur      *sock   // the socket carrying the request in flight; nil when idle
	target   int
	intended int64 // when the request was due: latency is measured from here
	deadline int64
	started  bool // a byte of the response arrived
	retried  bool
	parser   respParser
}

type sockState uint8

const (
	sockConnecting sockState = iota
	sockWriting              // the request is partly written
	sockReading
)

type sock struct {
	fd      int
	slot    *slot
	target  int
	state   sockState
	written int
	used    bool // completed a request (a failure on reuse is retried once)
}

func (l *loop) now() int64 { return int64(time.Since(l.e.start)) }

// run runs the loop until the run ends. It returns an error when epoll
// fails for another reason than a signal (EINTR): the sockets are closed and
// what was measured so far is kept.
func (l *loop) run() error {
	defer l.closeAll()
	for {
		now := l.now()
		if now >= l.earliest && l.inflight > 0 {
			l.expire(now)
		}
		if l.checkStop(now) {
			l.abort()
		}
		wait := l.dispatch(now)
		if l.inflight == 0 && (l.stopping || wait < 0 && l.e.interval == 0) {
			return nil
		}
		if l.inflight > 0 {
			if d := l.earliest - now; wait < 0 || d < wait {
				wait = max(d, 0)
			}
		}
		if wait < 0 || wait > int64(50*time.Millisecond) {
			wait = int64(50 * time.Millisecond) // see epollWait
		}
		n, errno := l.wait(wait)
		if errno != 0 {
			if errno != unix.EINTR {
				return fmt.Errorf("loadgen: the event loop's epoll_wait failed: %w (after %d requests; this is a bug or the system ran out of resources: report it, or run again)", errno, l.e.requests.Load())
			}
			n = 0
		}
		for _, ev := range l.events[:n] {
			if int(ev.Fd) == l.wakeFD {
				continue // cancelled: checkStop sees it next
			}
			l.event(l.byFD[ev.Fd], ev.Events)
		}
	}
}

// epollWaitFunc is epollWait; tests replace it to make it fail.
var epollWaitFunc = epollWait

// coalesce is how long the closed model lets responses gather before it
// blocks in epoll (interrupt moderation). Blocking for each response as it
// arrives costs a sleep and a cross-CPU wake-up per request (the server's
// CPU pays the wake-up); one timed sleep collects several. A response can
// wait up to this long before it is read, and its latency includes that wait
// (latency is never backdated). The constant-rate mode never coalesces.
const coalesce = 50 * time.Microsecond

// wait returns the ready events, waiting up to timeout nanoseconds. In the
// closed model, when at most one response is ready and others are in flight,
// it first sleeps for coalesce instead of blocking per response.
func (l *loop) wait(timeout int64) (int, syscall.Errno) {
	if l.e.interval == 0 && l.inflight > 1 && timeout > int64(coalesce) {
		if n, errno := epollWaitFunc(l.epfd, l.events, 0); n > 1 || errno != 0 {
			return n, errno
		}
		ts := unix.NsecToTimespec(int64(coalesce))
		unix.RawSyscall(unix.SYS_NANOSLEEP, uintptr(unsafe.Pointer(&ts)), 0, 0)
		if n, errno := epollWaitFunc(l.epfd, l.events, 0); n > 0 || errno != 0 {
			return n, errno
		}
	}
	return epollWaitFunc(l.epfd, l.events, timeout)
}

// checkStop notes the end of the run: its duration, or ctx done. It reports
// whether ctx is done: the requests still in flight must then be abandoned.
func (l *loop) checkStop(now int64) (cancelled bool) {
	if l.e.interval == 0 && now >= l.end {
		l.stopping = true
	}
	select {
	case <-l.done:
		l.stopping = true
		return true
	default:
		return false
	}
}

// abort abandons the requests in flight when the run is cancelled: their
// connections are closed and they are counted as aborted, not as requests
// (their latency is unknown, and the server is not at fault).
func (l *loop) abort() {
	for _, s := range l.slots {
		if s.cur == nil {
			continue
		}
		l.closeSock(s.cur)
		s.cur = nil
		l.inflight--
		s.w.aborted++
		l.idle = append(l.idle, s)
	}
}

// dispatch starts requests on idle slots as the model says and returns how
// long until the next scheduled one (-1: none is waiting).
func (l *loop) dispatch(now int64) (wait int64) {
	// Each slot starts at most once per pass: connections refused at once
	// must not keep the loop from noticing the end or a cancellation.
	for starts := 0; len(l.idle) > 0 && !l.stopping; starts++ {
		if starts == len(l.slots) {
			return 0
		}
		if l.e.interval == 0 && now >= l.end {
			l.stopping = true
			break
		}
		intended := now
		if l.e.interval > 0 {
			intended = int64(float64(l.ticket) * l.e.interval)
			if intended >= l.end {
				l.stopping = true
				break
			}
			if intended > now {
				return intended - now
			}
			l.ticket++
		}
		s := l.idle[len(l.idle)-1]
		l.idle = l.idle[:len(l.idle)-1]
		l.start(s, now, intended)
		if l.e.interval == 0 {
			now = l.now()
		}
	}
	return -1
}

// start sends a new request on slot s.
func (l *loop) start(s *slot, now, intended int64) {
	w := s.w
	s.target = w.next
	w.next = (w.next + 1) % len(l.e.targets)
	s.intended = intended
	s.deadline = now + l.timeout
	if l.inflight == 0 || s.deadline < l.earliest {
		l.earliest = s.deadline
	}
	s.started, s.retried = false, false
	s.parser.reset(l.e.targets[s.target].head)
	l.inflight++
	l.send(s)
}

// send writes the request on the slot's socket for its target, dialing first
// when there is none.
func (l *loop) send(s *slot) {
	k := s.socks[s.target]
	if k == nil {
		var err error
		if k, err = l.dial(s); err != nil {
			l.complete(s, 0, err)
			return
		}
	}
	s.cur = k
	k.written = 0
	if k.state == sockConnecting {
		return // the request is written once the socket is writable
	}
	l.write(k)
}

func (l *loop) dial(s *slot) (*sock, error) {
	fail := func(err error) (*sock, error) {
		return nil, &net.OpError{Op: "dial", Net: "tcp", Addr: l.netAddrs[s.target], Err: err}
	}
	sa := l.addrs[s.target]
	family := unix.AF_INET
	if _, v6 := sa.(*unix.SockaddrInet6); v6 {
		family = unix.AF_INET6
	}
	fd, err := unix.Socket(family, unix.SOCK_STREAM|unix.SOCK_NONBLOCK|unix.SOCK_CLOEXEC, 0)
	if err != nil {
		return fail(os.NewSyscallError("socket", err))
	}
	_ = unix.SetsockoptInt(fd, unix.IPPROTO_TCP, unix.TCP_NODELAY, 1)
	k := &sock{fd: fd, slot: s, target: s.target, state: sockReading}
	if err := unix.Connect(fd, sa); err == unix.EINPROGRESS {
		k.state = sockConnecting
	} else if err != nil {
		unix.Close(fd)
		return fail(os.NewSyscallError("connect", err))
	}
	events := uint32(unix.EPOLLIN)
	if k.state == sockConnecting {
		events |= unix.EPOLLOUT
	}
	if err := unix.EpollCtl(l.epfd, unix.EPOLL_CTL_ADD, fd, &unix.EpollEvent{Events: events, Fd: int32(fd)}); err != nil {
		unix.Close(fd)
		return fail(os.NewSyscallError("epoll_ctl", err))
	}
	for fd >= len(l.byFD) {
		l.byFD = append(l.byFD, nil)
	}
	l.byFD[fd] = k
	s.socks[s.target] = k
	return k, nil
}

// event handles readiness of socket k.
func (l *loop) event(k *sock, events uint32) {
	if k == nil {
		return
	}
	s := k.slot
	if s.cur != k {
		// An idle keep-alive connection is readable: the server closed it
		// (or sent bytes nobody asked for). Drop it; the next request dials.
		l.closeSock(k)
		return
	}
	switch k.state {
	case sockConnecting:
		errno, err := unix.GetsockoptInt(k.fd, unix.SOL_SOCKET, unix.SO_ERROR)
		if err == nil && errno != 0 {
			err = syscall.Errno(errno)
		}
		if err != nil {
			l.closeSock(k)
			l.complete(s, 0, &net.OpError{Op: "dial", Net: "tcp", Addr: l.netAddrs[s.target], Err: os.NewSyscallError("connect", err)})
			return
		}
		if events&unix.EPOLLOUT == 0 {
			return
		}
		l.watch(k, unix.EPOLLIN)
		l.write(k)
	case sockWriting:
		l.write(k)
	default:
		l.read(k)
	}
}

// write writes the rest of the slot's request.
func (l *loop) write(k *sock) {
	req := l.e.targets[k.target].request
	n, errno := rawWrite(k.fd, req[k.written:])
	switch {
	case errno == unix.EAGAIN:
		n = 0
	case errno != 0:
		l.fail(k, os.NewSyscallError("write", errno))
		return
	}
	k.written += n
	switch {
	case k.written < len(req) && k.state != sockWriting:
		k.state = sockWriting
		l.watch(k, unix.EPOLLIN|unix.EPOLLOUT)
	case k.written == len(req) && k.state != sockReading:
		if k.state == sockWriting {
			l.watch(k, unix.EPOLLIN)
		}
		k.state = sockReading
	}
}

// read makes one read and feeds the response parser.
func (l *loop) read(k *sock) {
	s := k.slot
	n, errno := rawRead(k.fd, l.readBuf)
	switch {
	case errno == unix.EAGAIN:
		return
	case errno != 0:
		l.fail(k, os.NewSyscallError("read", errno))
		return
	case n == 0:
		if !s.started {
			l.fail(k, io.EOF)
			return
		}
		if done, err := s.parser.eof(); !done {
			l.fail(k, err)
			return
		}
		k.used = true
		l.closeSock(k)
		l.complete(s, s.parser.status, nil)
		return
	}
	s.started = true
	used, done, err := s.parser.feed(l.readBuf[:n])
	if err != nil {
		l.fail(k, err)
		return
	}
	if !done {
		return
	}
	k.used = true
	if s.parser.closeConn || used < n {
		l.closeSock(k) // the server closes it, or sent more than the response
	}
	l.complete(s, s.parser.status, nil)
}

// fail ends the request in flight on k with err, retrying once on a new
// connection when a reused keep-alive connection failed before any byte of
// the response (the server closed it while idle).
func (l *loop) fail(k *sock, err error) {
	s := k.slot
	l.closeSock(k)
	if k.used && !s.started && !s.retried && !isTimeout(err) {
		s.retried = true
		l.send(s)
		return
	}
	l.complete(s, s.parser.status, err)
}

// complete records the request in flight on s. In the closed model the slot
// sends its next request at once on a reusable connection.
func (l *loop) complete(s *slot, status int, err error) {
	now := l.now()
	s.cur = nil
	l.inflight--
	s.w.last = l.e.start.Add(time.Duration(now))
	s.w.record(time.Duration(now-s.intended), status, err)
	if l.e.interval == 0 && err == nil && !l.stopping && now < l.end {
		l.start(s, now, now)
		return
	}
	l.idle = append(l.idle, s)
}

// expire fails the requests past their deadline and recomputes earliest.
func (l *loop) expire(now int64) {
	l.earliest = now + l.timeout
	for _, s := range l.slots {
		if s.cur == nil {
			continue
		}
		if s.deadline <= now {
			l.closeSock(s.cur)
			l.complete(s, 0, os.ErrDeadlineExceeded)
			continue
		}
		l.earliest = min(l.earliest, s.deadline)
	}
}

func (l *loop) watch(k *sock, events uint32) {
	_ = unix.EpollCtl(l.epfd, unix.EPOLL_CTL_MOD, k.fd, &unix.EpollEvent{Events: events, Fd: int32(k.fd)})
}

func (l *loop) closeSock(k *sock) {
	if k.slot.socks[k.target] != k {
		return // already closed
	}
	k.slot.socks[k.target] = nil
	l.byFD[k.fd] = nil
	unix.Close(k.fd) // closing removes it from the epoll set
}

func (l *loop) closeAll() {
	for _, s := range l.slots {
		for _, k := range s.socks {
			if k != nil {
				l.closeSock(k)
			}
		}
	}
}
