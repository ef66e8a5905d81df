//go:build linux

package loadgen

import (
	"syscall"
	"unsafe"

	"golang.org/x/sys/unix"
)

// The event loop's system calls, all through RawSyscall: the runtime's
// enter/exit-syscall bookkeeping is skipped. read and write never block (the
// sockets are non-blocking). An epoll wait does block, but with Syscall6 the
// runtime's monitor would hand the loop's P to another thread at each wait
// and take it back after (futex wake-ups and context switches per batch).
// Raw, the goroutine keeps its P; the runtime still preempts it with a
// signal when it must (GC, other goroutines such as progress), which ends
// the wait with EINTR, and the loop caps each wait at 50 ms.

func rawRead(fd int, b []byte) (int, syscall.Errno) {
	n, _, errno := unix.RawSyscall(unix.SYS_READ, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	return int(n), errno
}

func rawWrite(fd int, b []byte) (int, syscall.Errno) {
	n, _, errno := unix.RawSyscall(unix.SYS_WRITE, uintptr(fd), uintptr(unsafe.Pointer(&b[0])), uintptr(len(b)))
	return int(n), errno
}

// noPwait2 is set once epoll_pwait2 (Linux 5.11) turns out to be missing.
var noPwait2 bool

// epollWait waits up to timeout nanoseconds (negative: forever) for events.
// It prefers epoll_pwait2, whose timeout has nanosecond resolution, so the
// constant-rate schedule is not rounded to milliseconds.
func epollWait(epfd int, events []unix.EpollEvent, timeout int64) (int, syscall.Errno) {
	if !noPwait2 {
		var ts *unix.Timespec
		var t unix.Timespec
		if timeout >= 0 {
			t = unix.NsecToTimespec(timeout)
			ts = &t
		}
		n, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_PWAIT2, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])),
			uintptr(len(events)), uintptr(unsafe.Pointer(ts)), 0, 0)
		if errno != unix.ENOSYS {
			return int(n), errno
		}
		noPwait2 = true
	}
	ms := -1
	if timeout >= 0 {
		ms = int((timeout + 999_999) / 1_000_000)
	}
	n, _, errno := unix.RawSyscall6(unix.SYS_EPOLL_WAIT, uintptr(epfd), uintptr(unsafe.Pointer(&events[0])),
		uintptr(len(events)), uintptr(ms), 0, 0)
	return int(n), errno
}
