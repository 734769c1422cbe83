package msnp

import "strconv"

// The Append functions build command lines into a caller-owned buffer, the
// way strconv.Append* do: append to dst and return the extended slice. With a
// buffer of enough capacity they allocate nothing. Every line ends in CRLF.

// AppendCmd appends "NAME TrID" (no terminator), the start of most commands.
func AppendCmd(dst []byte, name string, trid uint32) []byte {
	dst = append(dst, name...)
	dst = append(dst, ' ')
	return strconv.AppendUint(dst, uint64(trid), 10)
}

// AppendArg appends " arg".
func AppendArg(dst []byte, arg string) []byte {
	dst = append(dst, ' ')
	return append(dst, arg...)
}

// AppendArgBytes appends " arg".
func AppendArgBytes(dst, arg []byte) []byte {
	dst = append(dst, ' ')
	return append(dst, arg...)
}

// AppendArgUint appends " n".
func AppendArgUint(dst []byte, n uint64) []byte {
	dst = append(dst, ' ')
	return strconv.AppendUint(dst, n, 10)
}

// AppendEnd appends the line terminator CRLF.
func AppendEnd(dst []byte) []byte { return append(dst, '\r', '\n') }

// Client commands.

// AppendVER appends "VER t <list>" where list is the preformatted dialect list,
// e.g. "MSNP7 MSNP6 MSNP5 MSNP4 CVR0".
func AppendVER(dst []byte, trid uint32, list []byte) []byte {
	return AppendEnd(AppendArgBytes(AppendCmd(dst, "VER", trid), list))
}

// AppendINF appends "INF t".
func AppendINF(dst []byte, trid uint32) []byte { return AppendEnd(AppendCmd(dst, "INF", trid)) }

// AppendUSRI appends "USR t MD5 I <handle>".
func AppendUSRI(dst []byte, trid uint32, handle []byte) []byte {
	dst = append(AppendCmd(dst, "USR", trid), " MD5 I "...)
	return AppendEnd(append(dst, handle...))
}

// AppendUSRS appends "USR t MD5 S <hash>".
func AppendUSRS(dst []byte, trid uint32, hash *[32]byte) []byte {
	dst = append(AppendCmd(dst, "USR", trid), " MD5 S "...)
	return AppendEnd(append(dst, hash[:]...))
}

// AppendSYN appends "SYN t <version>".
func AppendSYN(dst []byte, trid, version uint32) []byte {
	return AppendEnd(AppendArgUint(AppendCmd(dst, "SYN", trid), uint64(version)))
}

// AppendCHG appends "CHG t <status>"; the server's echo has the same form.
func AppendCHG(dst []byte, trid uint32, status []byte) []byte {
	return AppendEnd(AppendArgBytes(AppendCmd(dst, "CHG", trid), status))
}

// AppendQRY appends the challenge answer "QRY t <client-id> 32\r\n<digest>",
// a payload command with no CRLF after the digest (MSNP.md §4.5).
func AppendQRY(dst []byte, trid uint32, clientID []byte, digest *[32]byte) []byte {
	dst = AppendArgBytes(AppendCmd(dst, "QRY", trid), clientID)
	dst = AppendEnd(append(dst, " 32"...))
	return append(dst, digest[:]...)
}

// AppendPNG appends "PNG".
func AppendPNG(dst []byte) []byte { return append(dst, "PNG\r\n"...) }

// AppendOUT appends "OUT", or "OUT <reason>" when reason is not empty.
func AppendOUT(dst []byte, reason string) []byte {
	dst = append(dst, "OUT"...)
	if reason != "" {
		dst = AppendArg(dst, reason)
	}
	return AppendEnd(dst)
}

// Server replies.

// AppendVERReply appends "VER t MSNPn", or "VER t 0" when d is 0.
func AppendVERReply(dst []byte, trid uint32, d Dialect) []byte {
	dst = append(AppendCmd(dst, "VER", trid), ' ')
	if d == 0 {
		return AppendEnd(append(dst, '0'))
	}
	return AppendEnd(AppendDialect(dst, d))
}

// AppendINFReply appends "INF t MD5".
func AppendINFReply(dst []byte, trid uint32) []byte {
	return AppendEnd(append(AppendCmd(dst, "INF", trid), " MD5"...))
}

// AppendXFRNS appends the referral in the form of dialect d (MSNP.md §2.5):
// "XFR t NS addr" (MSNP2), "... 0" (MSNP3–6), "... 0 current" (MSNP7).
func AppendXFRNS(dst []byte, trid uint32, d Dialect, addr, current string) []byte {
	dst = AppendArg(append(AppendCmd(dst, "XFR", trid), " NS"...), addr)
	if d >= 3 {
		dst = append(dst, " 0"...)
	}
	if d >= 7 && current != "" {
		dst = AppendArg(dst, current)
	}
	return AppendEnd(dst)
}

// AppendUSRChallenge appends "USR t MD5 S <challenge>".
func AppendUSRChallenge(dst []byte, trid uint32, challenge []byte) []byte {
	dst = append(AppendCmd(dst, "USR", trid), " MD5 S "...)
	return AppendEnd(append(dst, challenge...))
}

// AppendUSROK appends "USR t OK <handle> <friendly>", with the verified flag
// " 1" from MSNP6 on (MSNP.md §3.2). friendly must already be URL-encoded.
func AppendUSROK(dst []byte, trid uint32, d Dialect, handle, friendly string) []byte {
	dst = AppendArg(AppendArg(append(AppendCmd(dst, "USR", trid), " OK"...), handle), friendly)
	if d >= 6 {
		dst = append(dst, " 1"...)
	}
	return AppendEnd(dst)
}

// AppendError appends the numeric error reply "<code> t".
func AppendError(dst []byte, code int, trid uint32) []byte {
	dst = strconv.AppendInt(dst, int64(code), 10)
	dst = append(dst, ' ')
	return AppendEnd(strconv.AppendUint(dst, uint64(trid), 10))
}

// AppendErrorCode appends "<code>" alone, the form of an error the server
// sends on its own or in reply to a command without a TrID (PNG).
func AppendErrorCode(dst []byte, code int) []byte {
	return AppendEnd(strconv.AppendInt(dst, int64(code), 10))
}

// AppendMSG appends "MSG <from> <friendly> <len>\r\n<payload>", the form the
// notification server uses (MSNP.md §3.3).
func AppendMSG(dst []byte, from, friendly string, payload []byte) []byte {
	dst = AppendArg(AppendArg(append(dst, "MSG"...), from), friendly)
	dst = AppendEnd(AppendArgUint(dst, uint64(len(payload))))
	return append(dst, payload...)
}

// AppendCHL appends "CHL 0 <challenge>".
func AppendCHL(dst []byte, challenge []byte) []byte {
	return AppendEnd(append(append(dst, "CHL 0 "...), challenge...))
}

// AppendQNG appends "QNG".
func AppendQNG(dst []byte) []byte { return append(dst, "QNG\r\n"...) }

// AppendILN appends "ILN t <status> <handle> <friendly>".
func AppendILN(dst []byte, trid uint32, status, handle, friendly string) []byte {
	dst = AppendArg(AppendArg(AppendArg(AppendCmd(dst, "ILN", trid), status), handle), friendly)
	return AppendEnd(dst)
}

// AppendNLN appends "NLN <status> <handle> <friendly>".
func AppendNLN(dst []byte, status, handle, friendly string) []byte {
	dst = AppendArg(AppendArg(AppendArg(append(dst, "NLN"...), status), handle), friendly)
	return AppendEnd(dst)
}

// AppendFLN appends "FLN <handle>".
func AppendFLN(dst []byte, handle string) []byte {
	return AppendEnd(AppendArg(append(dst, "FLN"...), handle))
}

// Switchboard commands (MSNP.md §4.9). The client forms come first, then the
// server's; none of them allocates with a buffer of enough capacity.

// AppendXFRSB appends the client's request for a switchboard, "XFR t SB".
func AppendXFRSB(dst []byte, trid uint32) []byte {
	return AppendEnd(append(AppendCmd(dst, "XFR", trid), " SB"...))
}

// AppendUSRSB appends the switchboard login "USR t <handle> <cookie>".
func AppendUSRSB(dst []byte, trid uint32, handle, cookie []byte) []byte {
	return AppendEnd(AppendArgBytes(AppendArgBytes(AppendCmd(dst, "USR", trid), handle), cookie))
}

// AppendCAL appends the invitation "CAL t <handle>".
func AppendCAL(dst []byte, trid uint32, handle []byte) []byte {
	return AppendEnd(AppendArgBytes(AppendCmd(dst, "CAL", trid), handle))
}

// AppendANS appends the invited side's "ANS t <handle> <cookie> <session>".
func AppendANS(dst []byte, trid uint32, handle, cookie, session []byte) []byte {
	dst = AppendArgBytes(AppendArgBytes(AppendCmd(dst, "ANS", trid), handle), cookie)
	return AppendEnd(AppendArgBytes(dst, session))
}

// AppendSBMSG appends the switchboard message "MSG t <ack> <len>\r\n<payload>",
// ack being 'U' (no acknowledgement), 'N' (NAK on failure only) or 'A' (ACK
// or NAK); there is no CRLF after the payload.
func AppendSBMSG(dst []byte, trid uint32, ack byte, payload []byte) []byte {
	dst = append(append(AppendCmd(dst, "MSG", trid), ' '), ack)
	dst = AppendEnd(AppendArgUint(dst, uint64(len(payload))))
	return append(dst, payload...)
}

// AppendXFRSBReply appends the referral "XFR t SB <host:port> CKI <cookie>".
func AppendXFRSBReply(dst []byte, trid uint32, addr string, cookie []byte) []byte {
	dst = AppendArg(append(AppendCmd(dst, "XFR", trid), " SB"...), addr)
	return AppendEnd(AppendArgBytes(append(dst, " CKI"...), cookie))
}

// AppendSBUSROK appends the switchboard's "USR t OK <handle> <friendly>"
// (no verified flag there). friendly must already be URL-encoded.
func AppendSBUSROK(dst []byte, trid uint32, handle, friendly string) []byte {
	return AppendEnd(AppendArg(AppendArg(append(AppendCmd(dst, "USR", trid), " OK"...), handle), friendly))
}

// AppendCALRinging appends "CAL t RINGING <session>".
func AppendCALRinging(dst []byte, trid, session uint32) []byte {
	return AppendEnd(AppendArgUint(append(AppendCmd(dst, "CAL", trid), " RINGING"...), uint64(session)))
}

// AppendRNG appends the invitation the callee's notification connection
// gets: "RNG <session> <host:port> CKI <cookie> <caller> <caller-friendly>".
func AppendRNG(dst []byte, session uint32, addr string, cookie []byte, caller, friendly string) []byte {
	dst = AppendArg(strconv.AppendUint(append(dst, "RNG "...), uint64(session), 10), addr)
	dst = AppendArgBytes(append(dst, " CKI"...), cookie)
	return AppendEnd(AppendArg(AppendArg(dst, caller), friendly))
}

// AppendIRO appends "IRO t <index> <total> <handle> <friendly>", one line per
// participant already in the session, sent before ANS t OK.
func AppendIRO(dst []byte, trid uint32, index, total int, handle, friendly string) []byte {
	dst = AppendArgUint(AppendArgUint(AppendCmd(dst, "IRO", trid), uint64(index)), uint64(total))
	return AppendEnd(AppendArg(AppendArg(dst, handle), friendly))
}

// AppendANSOK appends "ANS t OK".
func AppendANSOK(dst []byte, trid uint32) []byte {
	return AppendEnd(append(AppendCmd(dst, "ANS", trid), " OK"...))
}

// AppendJOI appends "JOI <handle> <friendly>", sent to the others when a
// participant joins.
func AppendJOI(dst []byte, handle, friendly string) []byte {
	return AppendEnd(AppendArg(AppendArg(append(dst, "JOI"...), handle), friendly))
}

// AppendBYE appends "BYE <handle>", sent to the others when a participant
// leaves.
func AppendBYE(dst []byte, handle string) []byte {
	return AppendEnd(AppendArg(append(dst, "BYE"...), handle))
}

// AppendACK appends "ACK t", the delivery acknowledgement of MSG t A.
func AppendACK(dst []byte, trid uint32) []byte { return AppendEnd(AppendCmd(dst, "ACK", trid)) }

// AppendNAK appends "NAK t", the failure notice of MSG t A or MSG t N.
func AppendNAK(dst []byte, trid uint32) []byte { return AppendEnd(AppendCmd(dst, "NAK", trid)) }
