package msnp

// Dialect is a protocol version number: 2 for MSNP2 … 7 for MSNP7. Zero means
// none (a refusal, or a list with only CVR0).
type Dialect uint8

// Dialects supported in the MD5 era.
const (
	MinDialect Dialect = 2
	MaxDialect Dialect = 7
)

// DialectSet is a bitmask of dialects, bit n for MSNPn (n < 32). CVR0 is kept
// apart because it is not a version but a capability marker.
type DialectSet struct {
	Bits uint32
	CVR0 bool
}

// Has reports whether d is in the set.
func (s DialectSet) Has(d Dialect) bool { return d < 32 && s.Bits&(1<<d) != 0 }

// Add puts d into the set.
func (s *DialectSet) Add(d Dialect) {
	if d < 32 {
		s.Bits |= 1 << d
	}
}

// Highest returns the highest dialect in the set, or 0 if it is empty.
func (s DialectSet) Highest() Dialect {
	for d := Dialect(31); d > 0; d-- {
		if s.Has(d) {
			return d
		}
	}
	return 0
}

// ParseDialect parses one token such as "MSNP7" (case-insensitively, MSNP.md
// §2.2). ok is false for anything else, including CVR0.
func ParseDialect(tok []byte) (d Dialect, ok bool) {
	if len(tok) < 5 || len(tok) > 6 || upper(tok[0]) != 'M' || upper(tok[1]) != 'S' || upper(tok[2]) != 'N' ||
		upper(tok[3]) != 'P' {
		return 0, false
	}
	n := 0
	for _, c := range tok[4:] {
		if c < '0' || c > '9' {
			return 0, false
		}
		n = n*10 + int(c-'0')
	}
	if n < 1 || n > 31 {
		return 0, false
	}
	return Dialect(n), true
}

func isCVR0(tok []byte) bool {
	return len(tok) == 4 && upper(tok[0]) == 'C' && upper(tok[1]) == 'V' && upper(tok[2]) == 'R' && tok[3] == '0'
}

func upper(c byte) byte {
	if c >= 'a' && c <= 'z' {
		return c - 'a' + 'A'
	}
	return c
}

// ParseDialects reads the parameters of a VER command (without the TrID) into
// a set. Unknown tokens are ignored. refused is true when the first parameter
// is "0", the server's way of saying there is no common dialect.
func ParseDialects(args [][]byte) (set DialectSet, refused bool) {
	if len(args) > 0 && len(args[0]) == 1 && args[0][0] == '0' {
		return set, true
	}
	for _, a := range args {
		if d, ok := ParseDialect(a); ok {
			set.Add(d)
		} else if isCVR0(a) {
			set.CVR0 = true
		}
	}
	return set, false
}

// Negotiate picks the dialect for a connection from what the client offered
// and what the server supports: the highest common MSNPn, or 0 if none. The
// server uses it on a VER request; the client uses it on the VER reply (which
// may echo one dialect, several, or CVR0 too: MSNP.md §2.2, §11).
func Negotiate(offered, supported DialectSet) Dialect {
	return DialectSet{Bits: offered.Bits & supported.Bits}.Highest()
}

// AppendDialect appends "MSNPn".
func AppendDialect(dst []byte, d Dialect) []byte {
	dst = append(dst, "MSNP"...)
	if d >= 10 {
		dst = append(dst, byte('0'+d/10))
	}
	return append(dst, byte('0'+d%10))
}

// DialectSetRange returns the set of dialects lo..hi inclusive.
func DialectSetRange(lo, hi Dialect) DialectSet {
	var s DialectSet
	for d := lo; d <= hi; d++ {
		s.Add(d)
	}
	return s
}
