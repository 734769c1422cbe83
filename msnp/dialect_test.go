package msnp

import (
	"bytes"
	"testing"
)

func fields(s string) [][]byte { return bytes.Fields([]byte(s)) }

func TestNegotiate(t *testing.T) {
	all := DialectSetRange(MinDialect, MaxDialect)
	tests := []struct {
		name      string
		offered   string // VER parameters
		supported DialectSet
		want      Dialect
		refused   bool
	}{
		{"msnp7 client", "MSNP7 MSNP6 MSNP5 MSNP4 CVR0", all, 7, false},
		{"msnp2 only", "MSNP2 CVR0", all, 2, false},
		{"lower case", "msnp5 msnp4", all, 5, false},
		{"server only msnp2", "MSNP7 MSNP6 MSNP2 CVR0", DialectSetRange(2, 2), 2, false},
		{"msnp8 only", "MSNP8 CVR0", all, 0, false},
		{"cvr0 only", "CVR0", all, 0, false},
		{"refusal", "0", all, 0, true},
		{"refusal with list", "0 MSNP21 MSNP2", all, 0, true},
		{"echo of several", "MSNP8 MSNP7 CVR0", all, 7, false},
		{"junk ignored", "MSNP7 FOO BAR MSNP", all, 7, false},
		{"msnp10 two digits", "MSNP10 MSNP7", DialectSetRange(2, 10), 10, false},
	}
	for _, tt := range tests {
		set, refused := ParseDialects(fields(tt.offered))
		if refused != tt.refused {
			t.Errorf("%s: refused = %v", tt.name, refused)
		}
		if got := Negotiate(set, tt.supported); got != tt.want {
			t.Errorf("%s: Negotiate = %d, want %d", tt.name, got, tt.want)
		}
	}
	set, _ := ParseDialects(fields("MSNP2 CVR0"))
	if !set.CVR0 {
		t.Error("CVR0 not noticed")
	}
}

func TestAppendDialect(t *testing.T) {
	for d, want := range map[Dialect]string{2: "MSNP2", 7: "MSNP7", 12: "MSNP12"} {
		if got := string(AppendDialect(nil, d)); got != want {
			t.Errorf("%d: %q", d, got)
		}
		if p, ok := ParseDialect([]byte(want)); !ok || p != d {
			t.Errorf("ParseDialect(%q) = %d %v", want, p, ok)
		}
	}
}
