package msnp

import (
	"errors"
	"strconv"
)

// ServerError is a three-digit numeric error reply from the peer, such as
// "911 7" (MSNP.md §1.5). HasTrID is false for errors the server sent on its
// own initiative.
type ServerError struct {
	Code    int
	TrID    uint32
	HasTrID bool
}

func (e *ServerError) Error() string {
	s := "msnp: server error " + strconv.Itoa(e.Code) + " (" + CodeClass(e.Code).String() + ")"
	if e.HasTrID {
		s += " for TrID " + strconv.FormatUint(uint64(e.TrID), 10)
	}
	return s
}

// ProtocolError reports input that breaks the protocol: an over-long line, a
// bad payload length, a non-numeric TrID, an unexpected reply. Like
// net/textproto.ProtocolError it is a string; the Reader never puts peer bytes
// in it beyond a short quoted prefix.
type ProtocolError string

func (e *ProtocolError) Error() string { return "msnp: protocol violation: " + string(*e) }

// NewProtocolError returns a *ProtocolError with the given message.
func NewProtocolError(msg string) error {
	e := ProtocolError(msg)
	return &e
}

// KickedError reports that the server ended the session on its own: OUT with
// a reason (OTH, SSD, ...) or an asynchronous XFR NS.
type KickedError struct {
	Reason string
}

func (e *KickedError) Error() string { return "msnp: server ended the session: " + e.Reason }

// ErrLineTooLong and ErrPayloadTooLarge tell a peer that exceeded one of the
// Reader's caps from other protocol violations: errors.Is matches them on
// the error Next returns, and errors.As still finds its *ProtocolError.
var (
	ErrLineTooLong     = errors.New("msnp: line too long")
	ErrPayloadTooLarge = errors.New("msnp: payload too large")
)

// limitError is a ProtocolError that also matches one of the cap sentinels.
type limitError struct {
	pe    ProtocolError
	limit error
}

func (e *limitError) Error() string   { return e.pe.Error() }
func (e *limitError) Unwrap() []error { return []error{&e.pe, e.limit} }

func newLimitError(limit error, msg string) error {
	return &limitError{pe: ProtocolError(msg), limit: limit}
}
