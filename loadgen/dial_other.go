//go:build !linux

package loadgen

import "syscall"

// bindNoPort does nothing: IP_BIND_ADDRESS_NO_PORT is Linux's. Elsewhere a
// socket bound to a source address gets its local port at bind time, so
// one source address gives about as many connections as the ephemeral
// port range, whatever the number of targets.
func bindNoPort(network, address string, c syscall.RawConn) error { return nil }
