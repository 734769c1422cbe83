//go:build unix

package server

import "syscall"

// openFileLimit returns the process's limit on open files, or 0 if unknown.
// (The Go runtime has already raised the soft limit to the hard one.)
func openFileLimit() int {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil || rl.Cur > 1<<30 {
		return 0
	}
	return int(rl.Cur)
}
