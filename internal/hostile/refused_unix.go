//go:build unix

package hostile

import (
	"fmt"
	"net"
	"syscall"
)

// ReserveRefused returns a loopback address on which a connection is refused, and
// keeps it so until release: a socket bound to a free loopback port and
// never listening. Without SO_REUSEADDR it keeps every other socket from
// binding that port, so no other test's server (tests of several packages
// run at once) can start listening there and answer a client that should
// have been refused, which a port merely closed again allowed: a
// "refused" referral case once logged in against another package's
// reference server under a stress run. Tests that need a dead target use
// it too.
func ReserveRefused() (addr string, release func(), err error) {
	fd, err := syscall.Socket(syscall.AF_INET, syscall.SOCK_STREAM, 0)
	if err != nil {
		return "", nil, fmt.Errorf("hostile: reserve a refused port: %w", err)
	}
	syscall.CloseOnExec(fd)
	release = func() { syscall.Close(fd) }
	if err := syscall.Bind(fd, &syscall.SockaddrInet4{Addr: [4]byte{127, 0, 0, 1}}); err != nil {
		release()
		return "", nil, fmt.Errorf("hostile: reserve a refused port: %w", err)
	}
	sa, err := syscall.Getsockname(fd)
	in4, ok := sa.(*syscall.SockaddrInet4)
	if err != nil || !ok {
		release()
		return "", nil, fmt.Errorf("hostile: reserve a refused port: getsockname: %v", err)
	}
	return net.JoinHostPort("127.0.0.1", fmt.Sprint(in4.Port)), release, nil
}
