package server

import (
	"syscall"
	"time"
)

// setTimerSlack sets the calling thread's timer slack to 1 ns (the default
// 50 µs would be the waker's error).
func setTimerSlack() {
	const prSetTimerSlack = 29
	syscall.RawSyscall(syscall.SYS_PRCTL, prSetTimerSlack, 1, 0)
}

// preciseSleep sleeps d with nanosleep, which, unlike a Go timer, is not
// rounded to the runtime's poll granularity.
func preciseSleep(d time.Duration) {
	ts := syscall.NsecToTimespec(int64(d))
	syscall.Nanosleep(&ts, nil)
}
