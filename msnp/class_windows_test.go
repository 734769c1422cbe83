package msnp

import (
	"net"
	"os"
	"syscall"
	"testing"
)

func TestClassifyWinsock(t *testing.T) {
	for _, tc := range []struct {
		err  error
		want Class
	}{
		{&net.OpError{Op: "dial", Err: os.NewSyscallError("connectex", wsaECONNREFUSED)}, ClassRefused},
		{&net.OpError{Op: "read", Err: os.NewSyscallError("wsarecv", wsaECONNRESET)}, ClassReset},
		{&net.OpError{Op: "dial", Err: os.NewSyscallError("connectex", wsaEADDRNOTAVAIL)}, ClassNoPort},
		{os.NewSyscallError("socket", wsaENOBUFS), ClassLocal},
		{syscall.Errno(1), ClassOther},
	} {
		if got, _ := Classify(tc.err); got != tc.want {
			t.Errorf("Classify(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
