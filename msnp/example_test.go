package msnp_test

import (
	"fmt"
	"os"
	"strings"

	"github.com/msnbench/msnbench/msnp"
)

func ExampleReader() {
	in := "USR 6 MD5 S 1013928519.693957190\r\nMSG Hotmail Hotmail 5\r\nhelloUSR 7 OK alice@example.com Alice 1\r\n911 8\r\n"
	r := msnp.NewReader(strings.NewReader(in), msnp.FromServer, 0)
	for {
		c, err := r.Next()
		if c == nil {
			break // io.EOF
		}
		if err != nil {
			fmt.Println("error:", err)
			continue
		}
		fmt.Printf("%s trid=%d args=%q payload=%q\n", c.Name, c.TrID, c.Args, c.Payload)
	}
	// Output:
	// USR trid=6 args=["MD5" "S" "1013928519.693957190"] payload=""
	// MSG trid=0 args=["Hotmail" "Hotmail" "5"] payload="hello"
	// USR trid=7 args=["OK" "alice@example.com" "Alice" "1"] payload=""
	// error: msnp: server error 911 (auth-fail) for TrID 8
}

func ExampleLoginHash() {
	var h [32]byte
	msnp.LoginHash(&h, []byte("1013928519.693957190"), []byte("password"))
	os.Stdout.Write(msnp.AppendUSRS(nil, 7, &h))
	// Output: USR 7 MD5 S 7f919fab309532df353c901430df36fa
}

func ExampleNegotiate() {
	offered, _ := msnp.ParseDialects([][]byte{[]byte("MSNP7"), []byte("MSNP6"), []byte("CVR0")})
	d := msnp.Negotiate(offered, msnp.DialectSetRange(2, 6)) // a server that speaks MSNP2..MSNP6
	fmt.Printf("%s\n", msnp.AppendDialect(nil, d))
	// Output: MSNP6
}
