//go:build unix

package server

import "syscall"

// rawWrites says whether deliver writes with one write(2) on the socket.
const rawWrites = true

// rawWrite is deliver's write: it never waits for the socket (a full one,
// or an interrupted call, writes nothing and leaves the reply to the
// connection's goroutine).
func (c *conn) rawWrite(fd uintptr) bool {
	n, err := syscall.Write(int(fd), c.out)
	switch {
	case err == syscall.EAGAIN || err == syscall.EINTR:
	case err != nil:
		c.rawErr = err
	default:
		c.rawN = n
	}
	return true
}
