package msnp

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"syscall"
	"testing"
)

func TestCodeClass(t *testing.T) {
	tests := map[int]Class{
		911: ClassAuthFail, 917: ClassAuthFail, 928: ClassAuthFail,
		923: ClassAccountState, 924: ClassAccountState, 931: ClassAccountState,
		600: ClassBusy, 910: ClassBusy, 912: ClassBusy, 918: ClassBusy, 920: ClassBusy, 921: ClassBusy, 922: ClassBusy,
		601: ClassUnavailable, 604: ClassUnavailable, 605: ClassUnavailable, 914: ClassUnavailable,
		916: ClassUnavailable, 500: ClassUnavailable, 520: ClassUnavailable, 602: ClassUnavailable,
		200: ClassProtocolMisuse, 201: ClassProtocolMisuse, 207: ClassProtocolMisuse, 302: ClassProtocolMisuse,
		715: ClassProtocolMisuse, 731: ClassProtocolMisuse,
		711: ClassThrottle, 714: ClassThrottle, 800: ClassThrottle,
		540: ClassChallenge,
		206: ClassServerOther, 999: ClassServerOther, 0: ClassServerOther,
	}
	for code, want := range tests {
		if got := CodeClass(code); got != want {
			t.Errorf("CodeClass(%d) = %v, want %v", code, got, want)
		}
	}
}

func TestClassify(t *testing.T) {
	tests := []struct {
		err   error
		class Class
		code  int
	}{
		{nil, ClassNone, 0},
		{fmt.Errorf("usr: %w", &ServerError{Code: 911, TrID: 3, HasTrID: true}), ClassAuthFail, 911},
		{NewProtocolError("x"), ClassProtocol, 0},
		{&KickedError{Reason: "OTH"}, ClassKicked, 0},
		{context.Canceled, ClassCanceled, 0},
		{os.ErrDeadlineExceeded, ClassTimeout, 0},
		{&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.ECONNREFUSED)}, ClassRefused, 0},
		{&net.OpError{Op: "read", Err: os.NewSyscallError("read", syscall.ECONNRESET)}, ClassReset, 0},
		{&net.OpError{Op: "dial", Err: os.NewSyscallError("connect", syscall.EADDRNOTAVAIL)}, ClassNoPort, 0},
		{os.NewSyscallError("socket", syscall.EMFILE), ClassLocal, 0},
		{io.EOF, ClassEOF, 0},
		{fmt.Errorf("ns.usr.s: %w", io.ErrUnexpectedEOF), ClassEOF, 0},
		{errors.New("strange"), ClassOther, 0},
	}
	for _, tt := range tests {
		c, code := Classify(tt.err)
		if c != tt.class || code != tt.code {
			t.Errorf("Classify(%v) = %v %d, want %v %d", tt.err, c, code, tt.class, tt.code)
		}
	}
	for c := ClassNone; c < NumClasses; c++ {
		if ParseClass(c.String()) != c {
			t.Errorf("class %d does not round-trip via %q", c, c)
		}
	}
}

func TestServerErrorMessage(t *testing.T) {
	e := &ServerError{Code: 600, TrID: 4, HasTrID: true}
	if got := e.Error(); got != "msnp: server error 600 (busy) for TrID 4" {
		t.Errorf("got %q", got)
	}
}
