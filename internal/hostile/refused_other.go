//go:build !unix

package hostile

import "net"

// ReserveRefused returns a loopback address on which a connection is refused: a
// port that was just free and is closed again (unless another process
// takes it in between, which makes the case that uses it fail loudly,
// never hang). On Unix the port stays reserved (refused_unix.go).
func ReserveRefused() (addr string, release func(), err error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return "", nil, err
	}
	addr = l.Addr().String()
	l.Close()
	return addr, func() {}, nil
}
