//go:build !linux

package rxstamp

import (
	"io"
	"net"
	"syscall"
	"time"
)

// Supported reports whether this platform has receive timestamps.
const Supported = false

// Control does nothing without SO_TIMESTAMPNS.
func Control(string, string, syscall.RawConn) error { return nil }

// Reader is never created without SO_TIMESTAMPNS: New returns nil.
type Reader struct{}

// New returns nil: read nc as usual.
func New(net.Conn, time.Time) *Reader { return nil }

// NewRaw returns nil: read the connection as usual.
func NewRaw(syscall.RawConn, time.Time) *Reader { return nil }

func (r *Reader) Reset(syscall.RawConn, time.Time) {}

func (r *Reader) Read(p []byte) (int, error)     { return 0, io.EOF }
func (r *Reader) Arrived() (time.Duration, bool) { return 0, false }

// Warm does nothing without SO_TIMESTAMPNS.
func Warm(time.Duration) (io.Closer, bool) { return io.NopCloser(nil), false }
