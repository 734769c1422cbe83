//go:build !linux

package server

import (
	"io"
	"net"
	"syscall"
	"time"
)

// Without SO_TIMESTAMPNS a delay starts when the server reads the request.
type arrivalReader struct{}

func newArrivalReader(net.Conn, time.Time) *arrivalReader { return nil }

func stampControl(string, string, syscall.RawConn) error { return nil }

func (a *arrivalReader) read(p []byte) (int, error)     { return 0, io.EOF }
func (a *arrivalReader) arrived() (time.Duration, bool) { return 0, false }
