package msnp

import (
	"errors"
	"fmt"
	"testing"
)

func TestDetailOf(t *testing.T) {
	tests := []struct {
		err  error
		want Detail
		text string
	}{
		{nil, DetailNone, ""},
		{&KickedError{Reason: "OTH"}, DetailOutOTH, "OUT OTH: the account signed in elsewhere"},
		{fmt.Errorf("ns.syn: %w", &KickedError{Reason: "SSD"}), DetailOutSSD, "OUT SSD: the server is shutting down"},
		{&KickedError{Reason: "FOO"}, DetailOutOther, "OUT with another reason"},
		{&KickedError{Reason: "XFR"}, DetailXFR, "an asynchronous XFR NS moved the session to another server"},
		{NewProtocolErrorDetail("x", DetailVerZero), DetailVerZero, "no common dialect (server answered 0)"},
		{newLimitError(ErrLineTooLong, "long"), DetailLineTooLong, "a line longer than the reader's cap"},
		{NewProtocolError("x"), DetailNone, ""},
		{&ServerError{Code: 911}, DetailNone, ""},
	}
	for _, tt := range tests {
		if got := DetailOf(tt.err); got != tt.want || got.String() != tt.text {
			t.Errorf("DetailOf(%v) = %v %q, want %v %q", tt.err, got, got.String(), tt.want, tt.text)
		}
	}
	// A detailed protocol error is still a protocol error.
	var pe *ProtocolError
	if err := NewProtocolErrorDetail("no dialect", DetailVerZero); !errors.As(err, &pe) ||
		err.Error() != "msnp: protocol violation: no dialect" {
		t.Errorf("%v is not a *ProtocolError", err)
	}
	if c, _ := Classify(NewProtocolErrorDetail("x", DetailUnexpected)); c != ClassProtocol {
		t.Errorf("class %v, want protocol", c)
	}
	for d := DetailNone; d < NumDetails; d++ {
		if ParseDetail(d.String()) != d {
			t.Errorf("ParseDetail(%q) != %d", d.String(), d)
		}
	}
}

// TestCodeText: every code a login can get has its meaning (MSNP.md §7).
func TestCodeText(t *testing.T) {
	for code, want := range map[int]string{911: "authentication failed", 600: "server busy", 715: "command not expected now",
		540: "challenge (QRY) response wrong", 931: "account not on this server", 915: "server unavailable", 999: ""} {
		if got := CodeText(code); got != want {
			t.Errorf("CodeText(%d) = %q, want %q", code, got, want)
		}
	}
	if got := CodeString(911); got != "911 authentication failed" {
		t.Errorf("CodeString(911) = %q", got)
	}
	if got := CodeString(999); got != "999" {
		t.Errorf("CodeString(999) = %q", got)
	}
}
