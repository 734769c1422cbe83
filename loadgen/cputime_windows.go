package loadgen

import (
	"syscall"
	"time"
)

// cpuTimes returns the user and system (kernel) CPU time this process has
// used, or zeros when they cannot be read.
func cpuTimes() (user, sys time.Duration) {
	h, err := syscall.GetCurrentProcess()
	if err != nil {
		return 0, 0
	}
	var created, exited, kernel, usr syscall.Filetime
	if syscall.GetProcessTimes(h, &created, &exited, &kernel, &usr) != nil {
		return 0, 0
	}
	return filetimeDuration(usr), filetimeDuration(kernel)
}

// filetimeDuration converts a FILETIME holding a duration (100 ns units;
// Filetime.Nanoseconds is for instants, counted from 1601).
func filetimeDuration(ft syscall.Filetime) time.Duration {
	return time.Duration(uint64(ft.HighDateTime)<<32|uint64(ft.LowDateTime)) * 100
}
