package server

import "syscall"

// setRcvBuf sets SO_RCVBUF on a socket before it connects.
func setRcvBuf(fd uintptr, n int) {
	syscall.SetsockoptInt(syscall.Handle(fd), syscall.SOL_SOCKET, syscall.SO_RCVBUF, n)
}
