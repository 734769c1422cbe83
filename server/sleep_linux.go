package server

import (
	"sync/atomic"
	"syscall"
	"time"
	"unsafe"
)

// setTimerSlack sets the calling thread's timer slack to 1 ns (the default
// 50 µs would be the waker's error).
func setTimerSlack() {
	const prSetTimerSlack = 29
	syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1, 0)
}

const (
	futexWaitPrivate = 0 | 128 // FUTEX_WAIT | FUTEX_PRIVATE_FLAG
	futexWakePrivate = 1 | 128 // FUTEX_WAKE | FUTEX_PRIVATE_FLAG
)

// futexWait blocks the calling thread while *word == val, for at most d
// (d < 0: until woken), or until futexWake. The timeout is a high-resolution
// timer, not rounded to the Go runtime's poll granularity. It may return
// early (a signal); callers look again.
func futexWait(word *atomic.Uint32, val uint32, d time.Duration) {
	var ts *syscall.Timespec
	if d >= 0 {
		t := syscall.NsecToTimespec(int64(d))
		ts = &t
	}
	syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(word)), futexWaitPrivate, uintptr(val),
		uintptr(unsafe.Pointer(ts)), 0, 0)
}

// futexWake wakes a thread blocked in futexWait on word.
func futexWake(word *atomic.Uint32) {
	syscall.Syscall6(syscall.SYS_FUTEX, uintptr(unsafe.Pointer(word)), futexWakePrivate, 1, 0, 0, 0)
}
