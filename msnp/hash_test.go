package msnp

import (
	"crypto/md5"
	"encoding/hex"
	"strings"
	"testing"
)

// Test vectors of MSNP.md §10.1 and §10.2.
func TestLoginHash(t *testing.T) {
	tests := []struct{ challenge, password, want string }{
		{"1013928519.693957190", "password", "7f919fab309532df353c901430df36fa"},
		{"1013928519.693957190", "mypassword", "6f3963009fc8a9d2b2ff137da0905c55"},
		{"1234567890.123456789", "password", "f59af8f2fa91d38aff7c870c17f99903"},
		{"abcdefg", "1234567", "d1713d0f1d2e8fae230328d8fd59de01"},
		{"1013928519.693957190", "p\xc3\xa4ssword", "5e64d415b83e4bafd19279d7cdb8748f"}, // UTF-8
		{"1013928519.693957190", "p\xe4ssword", "a544a08136dac6fa59612eb028641cd5"},     // Latin-1
	}
	for _, tt := range tests {
		var got [32]byte
		LoginHash(&got, []byte(tt.challenge), []byte(tt.password))
		if string(got[:]) != tt.want {
			t.Errorf("LoginHash(%q, %q) = %s, want %s", tt.challenge, tt.password, got, tt.want)
		}
	}
	// Inputs longer than the stack buffer take the streaming path; compare
	// both paths with an independent computation.
	for _, n := range []int{0, 1, 255, 256, 257, 1000} {
		chal, pw := strings.Repeat("9", n/2), strings.Repeat("p", n-n/2)
		sum := md5.Sum([]byte(chal + pw))
		var got [32]byte
		LoginHash(&got, []byte(chal), []byte(pw))
		if want := hex.EncodeToString(sum[:]); string(got[:]) != want {
			t.Errorf("length %d: %s, want %s", n, got, want)
		}
	}
}

func TestQRYHash(t *testing.T) {
	tests := []struct{ challenge, clientID, want string }{
		{"15570131571988941333", "msmsgs@msnmsgr.com", "8f2f5a91b72102cd28355e9fc9000d6e"},
		{"12345678901234567890", "msmsgs@msnmsgr.com", "8ba1bb9d6dbf624fee31a2053af5fdd0"},
		{"11111111111111111111", "msmsgs@msnmsgr.com", "3b6666b60157322b6fc6e41a115968f5"},
		{"15570131571988941333", "PROD0038W!61ZTF9", "ca90e6a7c94a14aae7b3ae0f6018433e"},
	}
	for _, tt := range tests {
		var got [32]byte
		QRYHash(&got, []byte(tt.challenge), []byte(QRYKeys[tt.clientID]))
		if string(got[:]) != tt.want {
			t.Errorf("QRYHash(%q, %s) = %s, want %s", tt.challenge, tt.clientID, got, tt.want)
		}
	}
	// The exact bytes on the wire (MSNP.md §10.2): 62 bytes, no trailing CRLF.
	var d [32]byte
	QRYHash(&d, []byte("15570131571988941333"), []byte(DefaultQRYKey))
	line := AppendQRY(nil, 12, []byte(DefaultQRYClientID), &d)
	if want := "QRY 12 msmsgs@msnmsgr.com 32\r\n8f2f5a91b72102cd28355e9fc9000d6e"; string(line) != want || len(line) != 62 {
		t.Errorf("QRY line %q (%d bytes)", line, len(line))
	}
}

func TestHashAllocs(t *testing.T) {
	var d [32]byte
	chal, pw := []byte("1013928519.693957190"), []byte("password")
	if n := testing.AllocsPerRun(100, func() { LoginHash(&d, chal, pw) }); n != 0 {
		t.Errorf("LoginHash: %v allocs", n)
	}
}
