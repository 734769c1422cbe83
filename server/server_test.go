package server

import (
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/msnbench/msnbench/msnp"
)

var verLists = map[msnp.Dialect]string{
	2: "MSNP2 CVR0",
	3: "MSNP3 MSNP2 CVR0",
	4: "MSNP4 MSNP3 CVR0",
	5: "MSNP5 MSNP4 CVR0",
	6: "MSNP6 MSNP5 CVR0",
	7: "MSNP7 MSNP6 MSNP5 MSNP4 CVR0",
}

// synWant is the SYN answer for user0 with two contacts (user1, user9) in
// dialect d, TrID 8, list version 1 (MSNP.md §4.1).
func synWant(d msnp.Dialect) []string {
	w := []string{"SYN 8 1", "GTC 8 1 A", "BLP 8 1 AL"}
	if d >= 5 {
		w = append(w, "PRP 8 1 PHH", "PRP 8 1 PHW", "PRP 8 1 PHM", "PRP 8 1 MOB N", "PRP 8 1 MBE N")
	}
	if d >= 7 {
		w = append(w, "LSG 8 1 1 1 0 Other%20Contacts 0")
	}
	for i, u := range []string{"user1", "user9"} {
		l := "LST 8 FL 1 " + strconv.Itoa(i+1) + " 2 " + u + "@example.com " + u + "%40example.com"
		if d >= 7 {
			l += " 0"
		}
		w = append(w, l)
		if d >= 5 {
			for _, b := range []string{"PHH", "PHW", "PHM", "MOB N"} {
				w = append(w, "BPR 1 "+u+"@example.com "+b)
			}
		}
	}
	w = append(w, "LST 8 AL 1 1 2 user1@example.com user1%40example.com",
		"LST 8 AL 1 2 2 user9@example.com user9%40example.com",
		"LST 8 BL 1 0 0",
		"LST 8 RL 1 1 2 user9@example.com user9%40example.com",
		"LST 8 RL 1 2 2 user1@example.com user1%40example.com")
	return w
}

// TestLoginEachDialect walks a whole session (login, SYN, CHG, PNG, OUT) in
// every dialect, with and without a dispatch tier, and checks the forms that
// differ by dialect: XFR, USR OK, SYN.
func TestLoginEachDialect(t *testing.T) {
	for d := msnp.Dialect(2); d <= 7; d++ {
		for _, withDS := range []bool{true, false} {
			name := "MSNP" + strconv.Itoa(int(d))
			if withDS {
				name += "/ds"
			} else {
				name += "/ns-only"
			}
			t.Run(name, func(t *testing.T) {
				t.Parallel()
				cfg := Config{Accounts: 10, Password: "pw", Contacts: 2}
				if withDS {
					cfg.DSAddr = "127.0.0.1:0"
				}
				s := newServer(t, cfg)
				res := login(t, s.Addr(), "user0@example.com", "pw", verLists[d])
				if res.dialect != d {
					t.Fatalf("negotiated MSNP%d, want MSNP%d", res.dialect, d)
				}
				if withDS {
					want := "XFR 3 NS " + s.NSAddr()
					switch {
					case d >= 7:
						want += " 0 " + s.DSAddr()
					case d >= 3:
						want += " 0"
					}
					if res.xfr != want {
						t.Errorf("referral %q, want %q", res.xfr, want)
					}
				} else if res.xfr != "" {
					t.Errorf("referral %q without a dispatch tier", res.xfr)
				}
				c := res.c
				c.trid = 7
				c.send("SYN 8 0")
				got := c.readSYN()
				if want := synWant(d); strings.Join(got, "\n") != strings.Join(want, "\n") {
					t.Errorf("SYN:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
				}
				c.send("SYN 9 1") // same version: only the SYN line
				c.expect("SYN 9 1")
				c.send("CHG 10 NLN")
				c.expect("CHG 10 NLN")
				c.send("PNG")
				c.expect("QNG")
				c.send("OUT")
				c.expectClosed()
				waitFor(t, "session end", func() bool { return s.Stats().ConnsOpen == 0 })
				st := s.Stats()
				if st.LoginsOK != 1 || st.Syncs != 2 || st.StatusChanges != 1 || st.Pings != 1 || st.Logouts != 1 {
					t.Errorf("stats %v", st)
				}
				if withDS && st.Referrals != 1 {
					t.Errorf("referrals %d, want 1", st.Referrals)
				}
			})
		}
	}
}

func TestVersionNegotiation(t *testing.T) {
	tests := []struct {
		serverDialects msnp.DialectSet
		offer, want    string
	}{
		{msnp.DialectSet{}, "MSNP7 MSNP6 MSNP5 MSNP4 CVR0", "VER 1 MSNP7"},
		{msnp.DialectSet{}, "msnp5 CVR0", "VER 1 MSNP5"}, // case-insensitive, reply in upper case
		{msnp.DialectSet{}, "MSNP8 CVR0", "VER 1 0"},
		{msnp.DialectSet{}, "CVR0", "VER 1 0"},
		{msnp.DialectSetRange(2, 2), "MSNP7 MSNP6 MSNP2 CVR0", "VER 1 MSNP2"},
		{msnp.DialectSetRange(2, 4), "MSNP7 MSNP6 MSNP5 CVR0", "VER 1 0"},
	}
	for _, tt := range tests {
		t.Run(tt.offer, func(t *testing.T) {
			s := newServer(t, Config{Dialects: tt.serverDialects})
			c := dial(t, s.Addr())
			c.send("VER 1 " + tt.offer)
			c.expect(tt.want)
			if strings.HasSuffix(tt.want, " 0") {
				c.expectClosed()
			}
		})
	}
}

func TestWrongPassword(t *testing.T) {
	s := newServer(t, Config{Accounts: 2, Password: "right", DSAddr: "127.0.0.1:0"})
	for _, email := range []string{"user1@example.com", "nobody@example.com"} {
		c := dial(t, s.NSAddr())
		c.send("VER 1 MSNP7 CVR0")
		c.expect("VER 1 MSNP7")
		c.send("INF 2")
		c.expect("INF 2 MD5")
		c.send("USR 3 MD5 I " + email)
		ch := c.expectPrefix("USR 3 MD5 S ")
		var h [32]byte
		msnp.LoginHash(&h, ch.Arg(2), []byte("wrong"))
		c.send("USR 4 MD5 S " + string(h[:]))
		c.expect("911 4")
		c.expectClosed()
	}
	if st := s.Stats(); st.AuthFailures != 2 || st.LoginsOK != 0 {
		t.Errorf("stats %v", st)
	}
}

// TestFreshChallenge checks that every login gets a new challenge, so a
// replayed hash fails.
func TestFreshChallenge(t *testing.T) {
	s := newServer(t, Config{Accounts: 1, Password: "pw"})
	seen := map[string]bool{}
	for i := 0; i < 20; i++ {
		c := dial(t, s.Addr())
		c.send("VER 1 MSNP7")
		c.expect("VER 1 MSNP7")
		c.send("USR 2 MD5 I user0@example.com") // INF is optional
		ch := string(c.expectPrefix("USR 2 MD5 S ").Arg(2))
		if seen[ch] {
			t.Fatalf("challenge %q repeated", ch)
		}
		seen[ch] = true
	}
}

func TestDuplicateLogin(t *testing.T) {
	s := newServer(t, Config{Accounts: 3, Password: "pw", Contacts: 2})
	old := login(t, s.Addr(), "user1@example.com", "pw", "MSNP7 CVR0").c
	old.send("CHG 10 NLN")
	old.expect("CHG 10 NLN")
	watcher := login(t, s.Addr(), "user0@example.com", "pw", "MSNP7 CVR0").c
	watcher.send("CHG 10 NLN")
	watcher.expect("CHG 10 NLN")
	watcher.expect("ILN 10 NLN user1@example.com user1%40example.com")
	old.expect("NLN NLN user0@example.com user0%40example.com")

	fresh := login(t, s.Addr(), "user1@example.com", "pw", "MSNP7 CVR0").c
	old.expect("OUT OTH")
	old.expectClosed()
	fresh.send("PNG")
	fresh.expect("QNG")
	// The account stayed online (the new session took it over), so the
	// watcher must not have been told it went offline.
	watcher.send("PNG")
	watcher.expect("QNG")
	if st := s.Stats(); st.Kicked != 1 || st.LoginsOK != 3 {
		t.Errorf("stats %v", st)
	}
}

// TestPresence checks ILN on the first CHG and NLN/FLN fan-out to watchers.
func TestPresence(t *testing.T) {
	s := newServer(t, Config{Accounts: 3, Password: "pw", Contacts: 1})
	// Offsets with one contact: user i has user i+1 on its FL, and is on
	// the FL of user i-1, who therefore watches it.
	a := login(t, s.Addr(), "user0@example.com", "pw", "MSNP5 CVR0").c
	a.send("CHG 10 NLN")
	a.expect("CHG 10 NLN") // user1 is offline: no ILN
	b := login(t, s.Addr(), "user1@example.com", "pw", "MSNP5 CVR0").c
	b.send("CHG 10 BSY")
	b.expect("CHG 10 BSY")
	a.expect("NLN BSY user1@example.com user1%40example.com")
	b.send("CHG 11 HDN")
	b.expect("CHG 11 HDN")
	a.expect("FLN user1@example.com")
	b.send("CHG 12 AWY")
	b.expect("CHG 12 AWY")
	a.expect("NLN AWY user1@example.com user1%40example.com")
	b.send("CHG 13 FLN")
	b.expect("201 13")
	b.send("OUT")
	b.expectClosed()
	a.expect("FLN user1@example.com")

	// user2 has user0 on its FL: ILN on its first CHG.
	c := login(t, s.Addr(), "user2@example.com", "pw", "MSNP5 CVR0").c
	c.send("CHG 10 NLN")
	c.expect("CHG 10 NLN")
	c.expect("ILN 10 NLN user0@example.com user0%40example.com")
	c.send("PNG")
	c.expect("QNG")
}

func TestChallenge(t *testing.T) {
	tests := []struct {
		name     string
		clientID string
		key      string
		want     string // reply to the QRY
	}{
		{"good", "msmsgs@msnmsgr.com", "Q1P7W2E4J9R8U3S5", "QRY 11"},
		{"good-prod-id", "PROD0038W!61ZTF9", "VT6PX?UQTM4WM%YR", "QRY 11"},
		{"wrong-key", "msmsgs@msnmsgr.com", "AAAAAAAAAAAAAAAA", "540 11"},
		{"unknown-id", "someone@example.com", "Q1P7W2E4J9R8U3S5", "540 11"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, Config{Accounts: 1, Password: "pw", CHL: true})
			c := login(t, s.Addr(), "user0@example.com", "pw", "MSNP7 CVR0").c
			c.send("CHG 10 NLN")
			c.expect("CHG 10 NLN")
			chl := c.expectPrefix("CHL 0 ")
			var h [32]byte
			msnp.QRYHash(&h, chl.Arg(0), []byte(tt.key))
			if _, err := c.nc.Write(msnp.AppendQRY(nil, 11, []byte(tt.clientID), &h)); err != nil {
				t.Fatal(err)
			}
			c.expect(tt.want)
			if tt.want[0] == '5' {
				c.expectClosed()
				if st := s.Stats(); st.ChallengesFailed != 1 {
					t.Errorf("stats %v", st)
				}
				return
			}
			c.send("PNG")
			c.expect("QNG")
			c.send("QRY 12 msmsgs@msnmsgr.com 32\r\n" + string(h[:])) // no challenge outstanding
			c.expect("715 12")
		})
	}
}

func TestChallengeTimeoutAndDialect(t *testing.T) {
	s := newServer(t, Config{Accounts: 2, Password: "pw", CHL: true, CHLTimeout: 50e6})
	// MSNP5 has no CHL: the CHG is answered with the echo only, and the
	// session survives past the CHL timeout.
	old := login(t, s.Addr(), "user1@example.com", "pw", "MSNP5 CVR0").c
	old.send("CHG 10 NLN")
	old.expect("CHG 10 NLN")
	c := login(t, s.Addr(), "user0@example.com", "pw", "MSNP6 CVR0").c
	c.send("CHG 10 NLN")
	c.expect("CHG 10 NLN")
	c.expectPrefix("CHL 0 ")
	c.expect("OUT") // no QRY in time
	c.expectClosed()
	old.send("PNG")
	old.expect("QNG")
	if st := s.Stats(); st.Challenges != 1 || st.ChallengesFailed != 1 {
		t.Errorf("stats %v", st)
	}
}

// TestOutOfOrder covers the login-stage state machine (MSNP.md §6.1).
func TestOutOfOrder(t *testing.T) {
	tests := []struct {
		name  string
		lines []string // sent one at a time; each but the last must be answered as in replies
		reps  []string
		close bool // the connection is closed after the last reply
	}{
		{"VER twice", []string{"VER 1 MSNP7", "VER 2 MSNP7"}, []string{"VER 1 MSNP7", "715 2"}, true},
		{"INF before VER", []string{"INF 1"}, []string{"715 1"}, true},
		{"INF twice", []string{"VER 1 MSNP7", "INF 2", "INF 3"}, []string{"VER 1 MSNP7", "INF 2 MD5", "715 3"}, true},
		{"USR I before VER", []string{"USR 1 MD5 I user0@example.com"}, []string{"715 1"}, true},
		{"USR S before USR I", []string{"VER 1 MSNP7", "USR 2 MD5 S 0123"}, []string{"VER 1 MSNP7", "715 2"}, true},
		{"CVR before USR", []string{"VER 1 MSNP7", "CVR 2 0x0409 winnt 5.1 i386 MSNMSGR 4.5.0127 MSMSGS"},
			[]string{"VER 1 MSNP7", "731 2"}, true},
		{"CVR after USR I", []string{"VER 1 MSNP7", "USR 2 MD5 I user0@example.com", "CVR 3 0x0409 winnt"},
			[]string{"VER 1 MSNP7", "USR 2 MD5 S ", "715 3"}, true},
		{"SYN before login", []string{"VER 1 MSNP7", "SYN 2 0"}, []string{"VER 1 MSNP7"}, true},
		{"PNG before login", []string{"PNG"}, nil, true},
		{"MSG to the NS", []string{"MSG 1 N 2\r\nhi"}, nil, true},
		{"no TrID", []string{"VER MSNP7 CVR0"}, nil, true},
		{"bad package", []string{"VER 1 MSNP7", "USR 2 TWN I user0@example.com"}, []string{"VER 1 MSNP7"}, true},
		{"unknown command", []string{"VER 1 MSNP7", "ZZZ 2"}, []string{"VER 1 MSNP7"}, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := newServer(t, Config{Accounts: 1, Password: "pw"})
			c := dial(t, s.Addr())
			for i, l := range tt.lines {
				c.send(l)
				if i < len(tt.reps) {
					c.expectPrefix(tt.reps[i])
				}
			}
			if tt.close {
				c.expectClosed()
			}
			waitFor(t, "close", func() bool { return s.Stats().ConnsOpen == 0 })
			if st := s.Stats(); st.ProtocolViolations == 0 {
				t.Errorf("no protocol violation counted: %v", st)
			}
		})
	}
}

// TestAfterLoginCommands checks the replies to misplaced or extra commands
// once logged in: these keep the session open.
func TestAfterLoginCommands(t *testing.T) {
	s := newServer(t, Config{Accounts: 1, Password: "pw"})
	c := login(t, s.Addr(), "user0@example.com", "pw", "MSNP7 CVR0").c
	steps := []struct{ send, want string }{
		{"USR 10 MD5 I user0@example.com", "207 10"},
		{"VER 11 MSNP7", "715 11"},
		{"INF 12", "715 12"},
		{"GTC 13 A", "218 13"},
		{"GTC 14 N", "GTC 14 2 N"},
		{"BLP 15 BL", "BLP 15 3 BL"},
		{"BLP 16 XX", "201 16"},
		{"CHG 17 XYZ", "201 17"},
		{"CVR 18 0x0409 winnt 5.1 i386 MSNMSGR 4.5.0127 MSMSGS", "CVR 18 4.5.0127 4.5.0127 4.5.0127 "},
		{"ADD 19 FL bob@example.com bob", "502 19"},
		{"SYN 20 3", "SYN 20 3"},
		{"PNG", "QNG"},
	}
	for _, st := range steps {
		c.send(st.send)
		c.expectPrefix(st.want)
	}
	c.send("ZZZ 21") // unknown: closed by default
	c.expectClosed()

	s2 := newServer(t, Config{Accounts: 1, Password: "pw", IgnoreUnknown: true})
	c = login(t, s2.Addr(), "user0@example.com", "pw", "MSNP7 CVR0").c
	c.send("ZZZ 21")
	c.send("PNG")
	c.expect("QNG")
}

func TestConfigErrors(t *testing.T) {
	tests := []Config{
		{NSAddr: "256.0.0.1:99999"},
		{NSAddr: "127.0.0.1:0", DSAddr: "nonsense"},
		{UsersFile: "testdata/does-not-exist.txt"},
		{UserPattern: "user@example.com"},
		{ErrorRate: 0.5, ErrorCode: 42},
		{ErrorRate: 2, ErrorCode: 600},
		{MaxLine: 10},
		{Dialects: msnp.DialectSetRange(8, 9)},
	}
	for i, cfg := range tests {
		if s, err := New(cfg); err == nil {
			s.Close()
			t.Errorf("%d: New(%+v) succeeded", i, cfg)
		}
	}
}

// TestRepeatedChallenge checks Config.CHLEvery: after a correct QRY the
// server challenges again on its own, while the client is quiet.
func TestRepeatedChallenge(t *testing.T) {
	s := newServer(t, Config{Accounts: 1, Password: "pw", CHL: true, CHLEvery: 20 * time.Millisecond})
	c := login(t, s.Addr(), "user0@example.com", "pw", "MSNP7 CVR0").c
	c.send("CHG 10 NLN")
	c.expect("CHG 10 NLN")
	for i := 0; i < 3; i++ {
		chl := c.expectPrefix("CHL 0 ")
		var h [32]byte
		msnp.QRYHash(&h, chl.Arg(0), []byte(msnp.DefaultQRYKey))
		trid := uint32(11 + i)
		c.nc.Write(msnp.AppendQRY(nil, trid, []byte(msnp.DefaultQRYClientID), &h))
		c.expect("QRY " + strconv.Itoa(int(trid)))
	}
	if st := s.Stats(); st.Challenges < 3 || st.ChallengesOK != 3 {
		t.Errorf("stats %v", st)
	}
}
