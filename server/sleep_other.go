//go:build !linux

package server

import (
	"sync/atomic"
	"time"
)

func setTimerSlack() {}

// futexWait polls: without futexes, a wake is noticed within 200 µs.
func futexWait(word *atomic.Uint32, val uint32, d time.Duration) {
	const poll = 200 * time.Microsecond
	if d < 0 || d > poll {
		d = poll
	}
	if word.Load() == val {
		time.Sleep(d)
	}
}

func futexWake(*atomic.Uint32) {}
