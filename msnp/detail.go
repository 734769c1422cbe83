package msnp

import (
	"errors"
	"strconv"
)

// Detail says what a failure's class does not: the reason the server gave
// with OUT, or which rule of the protocol a reply broke. It is a small
// number, so a session's result carries it without a string and counting
// by it allocates nothing; String gives the words reports show.
type Detail uint8

// Details. DetailNone: the class (and the code, for a server error reply)
// says it all.
const (
	DetailNone             Detail = iota
	DetailOutOTH                  // OUT OTH
	DetailOutSSD                  // OUT SSD
	DetailOutMIG                  // OUT MIG
	DetailOutTOU                  // OUT TOU
	DetailOutRCT                  // OUT RCT
	DetailOutBare                 // OUT without a reason
	DetailOutOther                // OUT with a reason not listed here
	DetailXFR                     // an asynchronous XFR NS
	DetailVerZero                 // VER t 0
	DetailVerNoCommon             // a VER reply naming no dialect offered
	DetailLineTooLong             // a line over the reader's cap
	DetailPayloadTooLarge         // a payload over the reader's cap
	DetailUnexpected              // a reply of the wrong type
	DetailTooManyReferrals        // an XFR NS chain too long
	DetailBadReferral             // an XFR NS to an address that cannot be dialled
	DetailNoSwitchboard           // XFR SB answered without a switchboard
	DetailMisrouted               // a switchboard message for another user
	DetailBadMessage              // a switchboard message of ours cut short or corrupted
	NumDetails
)

var detailText = [NumDetails]string{
	"",
	"OUT OTH: the account signed in elsewhere",
	"OUT SSD: the server is shutting down",
	"OUT MIG: the account is being moved to another server",
	"OUT TOU: the terms of use were violated",
	"OUT RCT: reconnect later",
	"OUT without a reason",
	"OUT with another reason",
	"an asynchronous XFR NS moved the session to another server",
	"no common dialect (server answered 0)",
	"no common dialect (the server's VER reply names none of those offered)",
	"a line longer than the reader's cap",
	"a payload larger than the reader's cap",
	"a reply of the wrong type for the request",
	"more than 3 XFR NS referrals",
	"an XFR NS to an address that cannot be dialled",
	"no switchboard: the server answered XFR SB without one",
	"a switchboard message relayed to the wrong user",
	"a switchboard message cut short or corrupted",
}

// String returns the detail in words ("" for DetailNone).
func (d Detail) String() string {
	if d < NumDetails {
		return detailText[d]
	}
	return ""
}

// ParseDetail is the inverse of String; unknown text is DetailNone.
func ParseDetail(s string) Detail {
	for i, t := range detailText {
		if t == s {
			return Detail(i)
		}
	}
	return DetailNone
}

// OutDetail is the detail of a server's OUT with reason r (MSNP.md §4.7).
func OutDetail(r string) Detail {
	switch r {
	case "OTH":
		return DetailOutOTH
	case "SSD":
		return DetailOutSSD
	case "MIG":
		return DetailOutMIG
	case "TOU":
		return DetailOutTOU
	case "RCT":
		return DetailOutRCT
	case "", "OUT":
		return DetailOutBare
	case "XFR":
		return DetailXFR
	}
	return DetailOutOther
}

// DetailOf returns the detail of err: the OUT reason of a *KickedError, the
// detail of a protocol error made with NewProtocolErrorDetail, the cap a
// Reader error hit; DetailNone otherwise.
func DetailOf(err error) Detail {
	if err == nil {
		return DetailNone
	}
	var de *detailError
	if errors.As(err, &de) {
		return de.d
	}
	var ke *KickedError
	if errors.As(err, &ke) {
		return OutDetail(ke.Reason)
	}
	switch {
	case errors.Is(err, ErrLineTooLong):
		return DetailLineTooLong
	case errors.Is(err, ErrPayloadTooLarge):
		return DetailPayloadTooLarge
	}
	return DetailNone
}

// detailError is a ProtocolError with a Detail.
type detailError struct {
	pe ProtocolError
	d  Detail
}

func (e *detailError) Error() string { return e.pe.Error() }
func (e *detailError) Unwrap() error { return &e.pe }

// NewProtocolErrorDetail returns a protocol violation with the message msg
// and the detail d: errors.As still finds its *ProtocolError, and DetailOf
// returns d.
func NewProtocolErrorDetail(msg string, d Detail) error {
	return &detailError{pe: ProtocolError(msg), d: d}
}

// CodeText returns the meaning of a numeric error code (MSNP.md §7), or ""
// for a code it does not list. Several sources disagree on some codes; the
// text then gives the reading of a login test.
func CodeText(code int) string {
	if t, ok := codeText[code]; ok {
		return t
	}
	switch {
	case code >= 223 && code <= 231:
		return "group error"
	case code >= 914 && code <= 916:
		return "server unavailable"
	}
	return ""
}

// CodeString is the code and its meaning: "911 authentication failed", or
// the code alone when its meaning is not known.
func CodeString(code int) string {
	s := strconv.Itoa(code)
	if t := CodeText(code); t != "" {
		s += " " + t
	}
	return s
}

var codeText = map[int]string{
	200: "syntax error",
	201: "invalid parameter",
	205: "user does not exist",
	206: "handle without a domain",
	207: "already logged in",
	208: "invalid handle",
	209: "friendly name blocked or account unverified",
	210: "list full",
	212: "unexpected",
	213: "invalid rename request",
	215: "already on that list",
	216: "not on the list",
	217: "user offline or not accepting messages",
	218: "already in that mode",
	219: "in both allow and block list",
	220: "not accepting pages",
	280: "switchboard failed",
	281: "transfer to switchboard failed",
	300: "required fields missing",
	301: "too many FND hits",
	302: "not logged in",
	500: "internal server error / service unavailable",
	501: "database server error",
	502: "command disabled",
	503: "unspecified failure",
	510: "file operation failed",
	520: "memory allocation failed",
	540: "challenge (QRY) response wrong",
	600: "server busy",
	601: "server unavailable",
	602: "peer notification server down",
	603: "database connect error",
	604: "server going down",
	605: "server unavailable",
	606: "paging unavailable",
	700: "could not create connection",
	707: "error creating connection",
	710: "bad CVR parameters",
	711: "blocking write / unable to write",
	712: "session overload",
	713: "rate-limited: calling too rapidly",
	714: "too many sessions",
	715: "command not expected now",
	717: "contact list corrupt",
	731: "not expected: CVR before the initial USR",
	800: "changing too rapidly",
	910: "server too busy",
	911: "authentication failed",
	912: "server too busy",
	913: "not allowed while offline",
	917: "authentication failed / invalid domain",
	918: "server too busy / internal error",
	919: "server too busy / internal error",
	920: "not accepting new users",
	921: "server too busy / timed out",
	922: "server too busy",
	923: "Kids Passport without parental consent",
	924: "account not verified",
	928: "bad ticket",
	931: "account not on this server",
}
