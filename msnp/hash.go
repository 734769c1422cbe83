package msnp

import "crypto/md5"

// DefaultQRYClientID and DefaultQRYKey are the best-known MSNP6–10 client
// challenge pair (MSNP.md §4.5).
const (
	DefaultQRYClientID = "msmsgs@msnmsgr.com"
	DefaultQRYKey      = "Q1P7W2E4J9R8U3S5"
)

// QRYKeys maps every known MD5-era client ID to its private key (MSNP.md §4.5).
var QRYKeys = map[string]string{
	"msmsgs@msnmsgr.com": "Q1P7W2E4J9R8U3S5",
	"PROD0038W!61ZTF9":   "VT6PX?UQTM4WM%YR",
	"PROD0058#7IL2{QD":   "QHDCY@7R1TB6W?5B",
	"PROD0061VRRZH@4F":   "JXQ6J@TUOGYV@N0M",
	"PROD00504RLUG%WL":   "I2EBK%PYNLZL5_J4",
	"PROD0076ENE8*@AW":   "CEQJ8}OE0!WTSWII",
}

const hexDigits = "0123456789abcdef"

// md5Hex writes the lowercase hex MD5 of a‖b into dst. Inputs up to 256 bytes
// together are hashed from a stack buffer, so the common case allocates
// nothing.
func md5Hex(dst *[32]byte, a, b []byte) {
	var buf [256]byte
	var sum [16]byte
	if len(a)+len(b) <= len(buf) {
		n := copy(buf[:], a)
		n += copy(buf[n:], b)
		sum = md5.Sum(buf[:n])
	} else {
		h := md5.New()
		h.Write(a)
		h.Write(b)
		h.Sum(sum[:0])
	}
	for i, v := range sum {
		dst[2*i] = hexDigits[v>>4]
		dst[2*i+1] = hexDigits[v&15]
	}
}

// LoginHash computes the USR MD5 response: lowercase hex of
// md5(challenge ‖ password) (MSNP.md §3.1).
func LoginHash(dst *[32]byte, challenge, password []byte) { md5Hex(dst, challenge, password) }

// QRYHash computes the MSNP6–10 QRY payload: lowercase hex of
// md5(challenge ‖ key) (MSNP.md §4.5).
func QRYHash(dst *[32]byte, challenge, key []byte) { md5Hex(dst, challenge, key) }
