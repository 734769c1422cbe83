package msnp

import (
	"fmt"
	"strings"
)

// ParseDialectList parses a list of dialects as msnbench's command line
// takes it, for the client's VER (run --dialects) and for the server's
// supported set (serve --dialects) alike: names or bare numbers ("MSNP7",
// "msnp7", "7"), ranges written low to high ("MSNP2-MSNP7", "2-7") and
// CVR0, separated by commas or blanks. It returns the list as a VER request
// offers it (upper case, one blank between; a range from its highest
// dialect down, so a server that takes the first dialect it knows takes the
// highest) and the set. A dialect outside MSNP2..MSNP7, one listed twice, a
// range from high to low and a list without an MSNP dialect are errors.
func ParseDialectList(s string) (ver []byte, set DialectSet, err error) {
	one := func(tok string) (Dialect, error) {
		if tok != "" && tok[0] >= '0' && tok[0] <= '9' {
			tok = "MSNP" + tok
		}
		d, ok := ParseDialect([]byte(tok))
		if !ok || d < MinDialect || d > MaxDialect {
			return 0, fmt.Errorf("dialect %q is not one of MSNP2..MSNP7 or CVR0", tok)
		}
		return d, nil
	}
	for _, tok := range strings.FieldsFunc(s, func(r rune) bool { return r == ',' || r == ' ' || r == '\t' }) {
		if isCVR0([]byte(tok)) {
			if set.CVR0 {
				return nil, set, fmt.Errorf("dialect %q listed twice", tok)
			}
			set.CVR0 = true
			ver = appendBlank(ver)
			ver = append(ver, "CVR0"...)
			continue
		}
		lo, hi, isRange := strings.Cut(tok, "-")
		a, err := one(lo)
		if err != nil {
			return nil, set, err
		}
		b := a
		if isRange {
			if b, err = one(hi); err != nil {
				return nil, set, err
			}
			if b < a {
				return nil, set, fmt.Errorf("dialect range %q runs backwards (write it low to high)", tok)
			}
		}
		for d := b; d >= a; d-- {
			if set.Has(d) {
				return nil, set, fmt.Errorf("dialect %s listed twice (in %q)", AppendDialect(nil, d), tok)
			}
			set.Add(d)
			ver = AppendDialect(appendBlank(ver), d)
		}
	}
	if set.Bits == 0 {
		return nil, set, fmt.Errorf("dialect list %q has no MSNP version", s)
	}
	return ver, set, nil
}

func appendBlank(b []byte) []byte {
	if len(b) > 0 {
		b = append(b, ' ')
	}
	return b
}
