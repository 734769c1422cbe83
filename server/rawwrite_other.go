//go:build !unix

package server

// rawWrites is false: Windows sockets are not non-blocking descriptors a
// write(2) could use, so deliver writes through net.Conn with a short
// deadline instead.
const rawWrites = false

// rawWrite is never called when rawWrites is false.
func (c *conn) rawWrite(uintptr) bool { return true }
