//go:build unix

package loadgen

import (
	"syscall"
	"time"
)

// cpuTimes returns the user and system CPU time this process has used,
// or zeros when they cannot be read.
func cpuTimes() (user, sys time.Duration) {
	var ru syscall.Rusage
	if syscall.Getrusage(syscall.RUSAGE_SELF, &ru) != nil {
		return 0, 0
	}
	return time.Duration(ru.Utime.Nano()), time.Duration(ru.Stime.Nano())
}
