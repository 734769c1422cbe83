//go:build linux || darwin || freebsd || openbsd || netbsd || dragonfly

package main

import (
	"os"

	"golang.org/x/sys/unix"
)

// termWidth asks the terminal f for its width in columns; 0 if f is no
// terminal.
func termWidth(f *os.File) int {
	rc, err := f.SyscallConn() // not f.Fd(), which would make f blocking
	if err != nil {
		return 0
	}
	var ws *unix.Winsize
	if cerr := rc.Control(func(fd uintptr) { ws, err = unix.IoctlGetWinsize(int(fd), unix.TIOCGWINSZ) }); cerr != nil || err != nil {
		return 0
	}
	return int(ws.Col)
}
