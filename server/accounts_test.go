package server

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msnbench/msnbench/msnp"
)

func TestURLEncode(t *testing.T) {
	// The examples of MSNP.md §1.6.
	tests := []struct{ in, want string }{
		{"Auntie Em", "Auntie%20Em"},
		{"100% cool", "100%25%20cool"},
		{"Zoë", "Zo%C3%AB"},
		{"alice@example.com", "alice%40example.com"},
		{"Bob", "Bob"},
		{"a-b_c.d~e", "a-b_c.d~e"},
	}
	for _, tt := range tests {
		if got := urlEncode(tt.in); got != tt.want {
			t.Errorf("urlEncode(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

func TestContactOffsets(t *testing.T) {
	tests := []struct {
		k, n int
		want []int32
	}{
		{0, 10, nil},
		{1, 10, []int32{1}},
		{4, 10, []int32{1, 9, 2, 8}},
		{5, 3, []int32{1, 2}}, // capped at n-1, no self
		{3, 2, []int32{1}},
		{2, 1, nil},
		{2, 0, nil},
	}
	for _, tt := range tests {
		got := contactOffsets(tt.k, tt.n)
		if len(got) != len(tt.want) {
			t.Errorf("contactOffsets(%d, %d) = %v, want %v", tt.k, tt.n, got, tt.want)
			continue
		}
		for i := range got {
			if got[i] != tt.want[i] {
				t.Errorf("contactOffsets(%d, %d) = %v, want %v", tt.k, tt.n, got, tt.want)
			}
		}
	}
}

// TestContactsSymmetric checks that "i has j on its forward list" and "j
// has i on its reverse list" agree for every pair, which presence fan-out
// relies on.
func TestContactsSymmetric(t *testing.T) {
	for _, tc := range []struct{ n, k int }{{10, 3}, {7, 6}, {100, 20}, {2, 1}} {
		d, err := newDirectory(&Config{Accounts: tc.n, Contacts: tc.k, UserPattern: DefaultUserPattern})
		if err != nil {
			t.Fatal(err)
		}
		fl := map[[2]int32]bool{}
		for i := int32(0); i < int32(tc.n); i++ {
			for k := range d.offsets {
				j := d.contact(i, k)
				if j == i {
					t.Fatalf("n=%d k=%d: account %d is its own contact", tc.n, tc.k, i)
				}
				fl[[2]int32{i, j}] = true
			}
		}
		for j := int32(0); j < int32(tc.n); j++ {
			for k := range d.offsets {
				if i := d.watcher(j, k); !fl[[2]int32{i, j}] {
					t.Errorf("n=%d k=%d: %d watches %d but does not have it on its FL", tc.n, tc.k, i, j)
				}
			}
		}
	}
}

func TestUsersFile(t *testing.T) {
	tests := []struct {
		name, content string
		wantErr       string
		wantFriendly  map[string]string
	}{
		{"ok", "# comment\n\nalice@example.com,secret\nbob@example.com,pw,Bob Smith\n", "",
			map[string]string{"alice@example.com": "alice%40example.com", "bob@example.com": "Bob%20Smith"}},
		{"comma in password field kept after the first", "carol@example.com,p,Carol, Jr.\n", "",
			map[string]string{"carol@example.com": "Carol%2C%20Jr."}},
		{"no password", "alice@example.com\n", "want email,password", nil},
		{"no domain", "alice,pw\n", "has no domain", nil},
		{"duplicate", "a@x.com,1\na@x.com,2\n", "duplicate account", nil},
		{"too long", strings.Repeat("a", 130) + "@x.com,pw\n", "longer than 129", nil},
		{"empty", "# nothing\n", "holds no accounts", nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), "users.txt")
			if err := os.WriteFile(path, []byte(tt.content), 0o600); err != nil {
				t.Fatal(err)
			}
			d, err := newDirectory(&Config{UsersFile: path})
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("error %v, want one containing %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			for email, friendly := range tt.wantFriendly {
				i, ok := d.lookup([]byte(email))
				if !ok || d.accounts[i].friendly != friendly {
					t.Errorf("%s: found %v, friendly %q, want %q", email, ok, d.accounts[i].friendly, friendly)
				}
			}
		})
	}
}

func TestPhaseSet(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{"ns.usr.s", "ns.usr.s", false},
		{"ds.ver, ping,qry", "ds.ver,ping,qry", false},
		{"all", "all", false},
		{"", "", false},
		{"ns.usr", "", true},
	}
	for _, tt := range tests {
		s, err := ParsePhaseSet(tt.in)
		if (err != nil) != tt.bad || (!tt.bad && s.String() != tt.want) {
			t.Errorf("ParsePhaseSet(%q) = %q, %v; want %q", tt.in, s, err, tt.want)
		}
	}
	for p := Phase(0); p < NumPhases; p++ {
		if q, err := ParsePhase(p.String()); err != nil || q != p {
			t.Errorf("ParsePhase(%q) = %v, %v", p, q, err)
		}
	}
}

// TestFullProfile checks the long MSNP3–7 profile: its declared length is its
// real length, and MSNP2 keeps the minimal form.
func TestFullProfile(t *testing.T) {
	s := newServer(t, Config{Accounts: 1, Password: "pw", FullProfile: true})
	for _, vers := range []string{"MSNP7 CVR0", "MSNP2 CVR0"} {
		c := dial(t, s.Addr())
		c.send("VER 1 " + vers)
		c.expectPrefix("VER 1 ")
		c.send("USR 2 MD5 I user0@example.com")
		ch := c.expectPrefix("USR 2 MD5 S ")
		var h [32]byte
		msnp.LoginHash(&h, ch.Arg(2), []byte("pw"))
		c.send("USR 3 MD5 S " + string(h[:]))
		c.expectPrefix("USR 3 OK ")
		m := c.expectPrefix("MSG Hotmail Hotmail ")
		full := strings.Contains(string(m.Payload), "MSPAuth: ")
		if full != (vers == "MSNP7 CVR0") {
			t.Errorf("%s: full profile %v:\n%s", vers, full, m.Payload)
		}
		if !strings.HasSuffix(string(m.Payload), "\r\n\r\n") {
			t.Errorf("%s: profile does not end with an empty line: %q", vers, m.Payload)
		}
	}
}
