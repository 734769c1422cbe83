package loadgen

import (
	"strings"
	"testing"
)

func FuzzParseStages(f *testing.F) {
	for _, s := range []string{"30s:0->500,2m:500,30s:500->0", "1s:1", "", "x", "1h:1e7->0", "1s:1->2->3"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		st, err := ParseStages(s)
		if err != nil {
			return
		}
		// What parses must format and parse back to the same profile.
		again, err := ParseStages(FormatStages(st))
		if err != nil || len(again) != len(st) {
			t.Fatalf("round trip of %q: %v %v", s, again, err)
		}
		for i := range st {
			if again[i] != st[i] {
				t.Fatalf("round trip of %q: stage %d %+v != %+v", s, i, again[i], st[i])
			}
		}
	})
}

func FuzzParseSource(f *testing.F) {
	for _, s := range []string{"127.0.0.2-127.0.0.40", "10.0.0.1,10.0.0.2", "::1-::3", "1.2.3.4-", ","} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		a, err := ParseSource(s)
		if err == nil && (len(a) == 0 || len(a) > MaxSourceAddrs) {
			t.Fatalf("ParseSource(%q) = %d addresses", s, len(a))
		}
	})
}

func FuzzReadUsers(f *testing.F) {
	f.Add("alice@example.com,pw\n#x\nbob@example.com\n")
	f.Add("a b,c\n")
	f.Fuzz(func(t *testing.T, s string) {
		u, err := ReadUsers(strings.NewReader(s))
		if err != nil {
			return
		}
		for _, a := range u {
			if a.Handle == "" || len(a.Handle) > 129 || strings.ContainsAny(a.Handle, " \t") {
				t.Fatalf("bad handle %q accepted", a.Handle)
			}
		}
	})
}
