package msnp

import (
	"testing"
)

// The client side of the worked transcript, MSNP.md §5, byte for byte.
func TestClientCommandsMatchTranscript(t *testing.T) {
	list := []byte("MSNP7 MSNP6 MSNP5 MSNP4 CVR0")
	handle := []byte("alice@example.com")
	var hash, qry [32]byte
	LoginHash(&hash, []byte("1013928519.693957190"), []byte("password"))
	QRYHash(&qry, []byte("15570131571988941333"), []byte(DefaultQRYKey))
	var b []byte
	b = AppendVER(b, 1, list)
	b = AppendINF(b, 2)
	b = AppendUSRI(b, 3, handle)
	b = AppendVER(b, 4, list)
	b = AppendINF(b, 5)
	b = AppendUSRI(b, 6, handle)
	b = AppendUSRS(b, 7, &hash)
	b = AppendSYN(b, 8, 0)
	b = AppendCHG(b, 9, []byte("NLN"))
	b = AppendQRY(b, 10, []byte(DefaultQRYClientID), &qry)
	b = AppendPNG(b)
	b = AppendOUT(b, "")
	want := "VER 1 MSNP7 MSNP6 MSNP5 MSNP4 CVR0\r\n" +
		"INF 2\r\n" +
		"USR 3 MD5 I alice@example.com\r\n" +
		"VER 4 MSNP7 MSNP6 MSNP5 MSNP4 CVR0\r\n" +
		"INF 5\r\n" +
		"USR 6 MD5 I alice@example.com\r\n" +
		"USR 7 MD5 S 7f919fab309532df353c901430df36fa\r\n" +
		"SYN 8 0\r\n" +
		"CHG 9 NLN\r\n" +
		"QRY 10 msmsgs@msnmsgr.com 32\r\n8f2f5a91b72102cd28355e9fc9000d6e" +
		"PNG\r\n" +
		"OUT\r\n"
	if string(b) != want {
		t.Fatalf("got:\n%q\nwant:\n%q", b, want)
	}
}

func TestServerReplies(t *testing.T) {
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"ver", AppendVERReply(nil, 1, 7), "VER 1 MSNP7\r\n"},
		{"ver refused", AppendVERReply(nil, 1, 0), "VER 1 0\r\n"},
		{"inf", AppendINFReply(nil, 2), "INF 2 MD5\r\n"},
		{"xfr msnp2", AppendXFRNS(nil, 3, 2, "10.0.0.5:1863", "10.0.0.1:1863"), "XFR 3 NS 10.0.0.5:1863\r\n"},
		{"xfr msnp5", AppendXFRNS(nil, 3, 5, "10.0.0.5:1863", "10.0.0.1:1863"), "XFR 3 NS 10.0.0.5:1863 0\r\n"},
		{"xfr msnp7", AppendXFRNS(nil, 3, 7, "10.0.0.5:1863", "10.0.0.1:1863"),
			"XFR 3 NS 10.0.0.5:1863 0 10.0.0.1:1863\r\n"},
		{"challenge", AppendUSRChallenge(nil, 6, []byte("1013928519.693957190")),
			"USR 6 MD5 S 1013928519.693957190\r\n"},
		{"ok msnp5", AppendUSROK(nil, 7, 5, "alice@example.com", "Alice"), "USR 7 OK alice@example.com Alice\r\n"},
		{"ok msnp7", AppendUSROK(nil, 7, 7, "alice@example.com", "alice%40example.com"),
			"USR 7 OK alice@example.com alice%40example.com 1\r\n"},
		{"error", AppendError(nil, 911, 7), "911 7\r\n"},
		{"error without trid", AppendErrorCode(nil, 600), "600\r\n"},
		{"msg", AppendMSG(nil, "Hotmail", "Hotmail", []byte("ab\r\n")), "MSG Hotmail Hotmail 4\r\nab\r\n"},
		{"chl", AppendCHL(nil, []byte("15570131571988941333")), "CHL 0 15570131571988941333\r\n"},
		{"qng", AppendQNG(nil), "QNG\r\n"},
		{"iln", AppendILN(nil, 9, "NLN", "bob@example.com", "Bob"), "ILN 9 NLN bob@example.com Bob\r\n"},
		{"nln", AppendNLN(nil, "BSY", "bob@example.com", "Bob"), "NLN BSY bob@example.com Bob\r\n"},
		{"fln", AppendFLN(nil, "bob@example.com"), "FLN bob@example.com\r\n"},
		{"out oth", AppendOUT(nil, "OTH"), "OUT OTH\r\n"},
		{"trid max", AppendINF(nil, 1<<32-1), "INF 4294967295\r\n"},
	}
	for _, tt := range tests {
		if string(tt.got) != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
}

// Building any client command into a buffer with room allocates nothing.
func TestWriterAllocs(t *testing.T) {
	buf := make([]byte, 0, 512)
	list, handle, status := []byte("MSNP7 MSNP6 CVR0"), []byte("user1@example.com"), []byte("NLN")
	id := []byte(DefaultQRYClientID)
	var h [32]byte
	n := testing.AllocsPerRun(100, func() {
		b := AppendVER(buf[:0], 1, list)
		b = AppendINF(b, 2)
		b = AppendUSRI(b, 3, handle)
		b = AppendUSRS(b, 4, &h)
		b = AppendSYN(b, 5, 0)
		b = AppendCHG(b, 6, status)
		b = AppendQRY(b, 7, id, &h)
		b = AppendPNG(b)
		_ = AppendOUT(b, "")
	})
	if n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}

// The switchboard commands of MSNP.md §4.9, both sides, with their cookie
// example.
func TestSwitchboardCommands(t *testing.T) {
	ck, h := []byte("16925950.1016955577.17693"), []byte("bob@example.com")
	tests := []struct {
		name string
		got  []byte
		want string
	}{
		{"xfr sb", AppendXFRSB(nil, 10), "XFR 10 SB\r\n"},
		{"xfr sb reply", AppendXFRSBReply(nil, 10, "64.4.12.193:1863", ck),
			"XFR 10 SB 64.4.12.193:1863 CKI 16925950.1016955577.17693\r\n"},
		{"usr", AppendUSRSB(nil, 1, []byte("alice@example.com"), ck),
			"USR 1 alice@example.com 16925950.1016955577.17693\r\n"},
		{"usr ok", AppendSBUSROK(nil, 1, "alice@example.com", "Alice"), "USR 1 OK alice@example.com Alice\r\n"},
		{"cal", AppendCAL(nil, 2, h), "CAL 2 bob@example.com\r\n"},
		{"ringing", AppendCALRinging(nil, 2, 11752013), "CAL 2 RINGING 11752013\r\n"},
		{"rng", AppendRNG(nil, 11752013, "64.4.12.193:1863", ck, "alice@example.com", "Alice"),
			"RNG 11752013 64.4.12.193:1863 CKI 16925950.1016955577.17693 alice@example.com Alice\r\n"},
		{"ans", AppendANS(nil, 1, h, ck, []byte("11752013")),
			"ANS 1 bob@example.com 16925950.1016955577.17693 11752013\r\n"},
		{"iro", AppendIRO(nil, 1, 1, 2, "alice@example.com", "Alice"), "IRO 1 1 2 alice@example.com Alice\r\n"},
		{"ans ok", AppendANSOK(nil, 1), "ANS 1 OK\r\n"},
		{"joi", AppendJOI(nil, "bob@example.com", "Bob"), "JOI bob@example.com Bob\r\n"},
		{"msg", AppendSBMSG(nil, 3, 'A', []byte("hi")), "MSG 3 A 2\r\nhi"},
		{"ack", AppendACK(nil, 3), "ACK 3\r\n"},
		{"nak", AppendNAK(nil, 3), "NAK 3\r\n"},
		{"bye", AppendBYE(nil, "bob@example.com"), "BYE bob@example.com\r\n"},
	}
	for _, tt := range tests {
		if string(tt.got) != tt.want {
			t.Errorf("%s: got %q, want %q", tt.name, tt.got, tt.want)
		}
	}
	buf := make([]byte, 0, 512)
	if n := testing.AllocsPerRun(100, func() {
		b := AppendXFRSB(buf[:0], 1)
		b = AppendUSRSB(b, 2, h, ck)
		b = AppendCAL(b, 3, h)
		b = AppendANS(b, 4, h, ck, ck)
		b = AppendSBMSG(b, 5, 'A', ck)
		b = AppendRNG(b, 6, "127.0.0.1:1", ck, "a", "b")
		b = AppendIRO(b, 7, 1, 1, "a", "b")
		_ = AppendCALRinging(b, 8, 9)
	}); n != 0 {
		t.Errorf("%v allocations, want 0", n)
	}
}
