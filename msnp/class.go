package msnp

import (
	"context"
	"errors"
	"io"
	"net"
	"os"
	"syscall"
)

// Class groups failures so they can be counted: the server error-code
// classes of MSNP.md §7 plus the transport and local failures a client sees.
type Class uint8

// Failure classes. ClassNone means success.
const (
	ClassNone           Class = iota
	ClassAuthFail             // 911, 917, 928
	ClassAccountState         // 923, 924, 931
	ClassBusy                 // 600, 910, 912, 918–922
	ClassUnavailable          // 500–520, 601–605, 914–916
	ClassProtocolMisuse       // 200, 201, 207, 302, 715, 731
	ClassThrottle             // 711–714, 800
	ClassChallenge            // 540
	ClassServerOther          // any other numeric error reply
	ClassRefused              // connection refused
	ClassTimeout              // a deadline passed (dial, reply, idle)
	ClassReset                // connection reset by peer
	ClassEOF                  // peer closed mid-phase
	ClassProtocol             // the peer broke the protocol (garbage, bad length, wrong reply)
	ClassKicked               // OUT OTH / OUT SSD / asynchronous referral ended the session
	ClassNoPort               // no free local port or address (EADDRNOTAVAIL, EADDRINUSE)
	ClassLocal                // other local resource failure (EMFILE, ENOBUFS, ...)
	// ClassCanceled marks a session cut by the end of the run (its time
	// was up, or it was interrupted) while it was in flight: not the
	// server's failure, so reports count it apart, as "cut".
	ClassCanceled
	ClassOther // anything not classified above
	NumClasses
)

var classNames = [NumClasses]string{
	"ok", "auth-fail", "account-state", "busy", "unavailable", "protocol-misuse", "throttle", "challenge",
	"server-other", "refused", "timeout", "reset", "eof", "protocol", "kicked", "no-local-port", "local",
	"cut", "other",
}

// String returns the class's stable name, used as a key in reports.
func (c Class) String() string {
	if c < NumClasses {
		return classNames[c]
	}
	return "other"
}

// ParseClass is the inverse of String; unknown names map to ClassOther.
// "canceled", the name of ClassCanceled in runs written before it was
// "cut", is still read.
func ParseClass(s string) Class {
	if s == "canceled" {
		return ClassCanceled
	}
	for i, n := range classNames {
		if n == s {
			return Class(i)
		}
	}
	return ClassOther
}

// CodeClass maps a numeric server error code to its class (MSNP.md §7).
func CodeClass(code int) Class {
	switch {
	case code == 911 || code == 917 || code == 928:
		return ClassAuthFail
	case code == 923 || code == 924 || code == 931:
		return ClassAccountState
	case code == 600 || code == 910 || code == 912 || (code >= 918 && code <= 922):
		return ClassBusy
	case (code >= 500 && code <= 520) || (code >= 601 && code <= 605) || (code >= 914 && code <= 916):
		return ClassUnavailable
	case code == 200 || code == 201 || code == 207 || code == 302 || code == 715 || code == 731:
		return ClassProtocolMisuse
	case (code >= 711 && code <= 714) || code == 800:
		return ClassThrottle
	case code == 540:
		return ClassChallenge
	}
	return ClassServerOther
}

// Classify returns the class of err and, for a server error reply, its code.
// A nil error is ClassNone.
func Classify(err error) (Class, int) {
	if err == nil {
		return ClassNone, 0
	}
	var se *ServerError
	if errors.As(err, &se) {
		return CodeClass(se.Code), se.Code
	}
	var ke *KickedError
	if errors.As(err, &ke) {
		return ClassKicked, 0
	}
	var pe *ProtocolError
	if errors.As(err, &pe) {
		return ClassProtocol, 0
	}
	switch {
	case errors.Is(err, context.Canceled):
		return ClassCanceled, 0
	case errors.Is(err, context.DeadlineExceeded), errors.Is(err, os.ErrDeadlineExceeded):
		return ClassTimeout, 0
	case errors.Is(err, syscall.ECONNREFUSED):
		return ClassRefused, 0
	case errors.Is(err, syscall.ECONNRESET), errors.Is(err, syscall.EPIPE), errors.Is(err, syscall.ECONNABORTED):
		return ClassReset, 0
	case errors.Is(err, syscall.EADDRNOTAVAIL), errors.Is(err, syscall.EADDRINUSE):
		return ClassNoPort, 0
	case errors.Is(err, syscall.EMFILE), errors.Is(err, syscall.ENFILE), errors.Is(err, syscall.ENOBUFS),
		errors.Is(err, syscall.ENOMEM):
		return ClassLocal, 0
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, net.ErrClosed):
		return ClassEOF, 0
	}
	if c, ok := classifyPlatform(err); ok {
		return c, 0
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() {
		return ClassTimeout, 0
	}
	return ClassOther, 0
}
