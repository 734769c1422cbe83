package msnp

import (
	"errors"
	"syscall"
)

// Winsock's error numbers: a failed socket call on Windows returns these,
// not the values package syscall gives ECONNREFUSED and the others there.
const (
	wsaEMFILE        = syscall.Errno(10024)
	wsaEADDRINUSE    = syscall.Errno(10048)
	wsaEADDRNOTAVAIL = syscall.Errno(10049)
	wsaECONNABORTED  = syscall.Errno(10053)
	wsaECONNRESET    = syscall.Errno(10054)
	wsaENOBUFS       = syscall.Errno(10055)
	wsaECONNREFUSED  = syscall.Errno(10061)
)

// classifyPlatform classifies Winsock's errors as Classify does their
// Unix counterparts.
func classifyPlatform(err error) (Class, bool) {
	var en syscall.Errno
	if !errors.As(err, &en) {
		return 0, false
	}
	switch en {
	case wsaECONNREFUSED:
		return ClassRefused, true
	case wsaECONNRESET, wsaECONNABORTED:
		return ClassReset, true
	case wsaEADDRNOTAVAIL, wsaEADDRINUSE:
		return ClassNoPort, true
	case wsaEMFILE, wsaENOBUFS:
		return ClassLocal, true
	}
	return 0, false
}
