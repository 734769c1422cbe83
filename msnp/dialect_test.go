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

// TestParseDialectList: one grammar for run's VER list and serve's set
// (serve accepted MSNP2-MSNP7, run refused it). The serve cases are those
// of cmd/msnbench's former parseDialectList test.
func TestParseDialectList(t *testing.T) {
	tests := []struct {
		in   string
		ver  string
		want DialectSet
		bad  bool
	}{
		{in: "MSNP2-MSNP7", ver: "MSNP7 MSNP6 MSNP5 MSNP4 MSNP3 MSNP2", want: DialectSetRange(2, 7)},
		{in: "MSNP7", ver: "MSNP7", want: DialectSetRange(7, 7)},
		{in: "msnp2, MSNP5-MSNP7", ver: "MSNP2 MSNP7 MSNP6 MSNP5", want: DialectSet{Bits: 1<<2 | 1<<5 | 1<<6 | 1<<7}},
		{in: "2-4", ver: "MSNP4 MSNP3 MSNP2", want: DialectSetRange(2, 4)},
		{in: "MSNP7 MSNP6 MSNP5 MSNP4 MSNP3 MSNP2 CVR0", ver: "MSNP7 MSNP6 MSNP5 MSNP4 MSNP3 MSNP2 CVR0",
			want: DialectSet{Bits: DialectSetRange(2, 7).Bits, CVR0: true}},
		{in: "7,\t6 cvr0", ver: "MSNP7 MSNP6 CVR0", want: DialectSet{Bits: 1<<6 | 1<<7, CVR0: true}},
		{in: "MSNP8", bad: true},
		{in: "MSNP1", bad: true},
		{in: "MSNP7-MSNP2", bad: true},
		{in: "MSNP7 MSNP7", bad: true},
		{in: "2-4,3-5", bad: true},
		{in: "CVR0 MSNP7 CVR0", bad: true},
		{in: "CVR0", bad: true},
		{in: "MSNP7-", bad: true},
		{in: "", bad: true},
	}
	for _, tt := range tests {
		ver, got, err := ParseDialectList(tt.in)
		if (err != nil) != tt.bad || (!tt.bad && (got != tt.want || string(ver) != tt.ver)) {
			t.Errorf("ParseDialectList(%q) = %q, %+v, %v; want %q, %+v (error: %v)", tt.in, ver, got, err, tt.ver, tt.want, tt.bad)
		}
	}
}
