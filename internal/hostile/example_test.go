package hostile_test

import (
	"fmt"
	"net"

	"github.com/msnbench/msnbench/internal/hostile"
	"github.com/msnbench/msnbench/msnp"
)

// A server that answers the notification server's VER with "911 1" and then
// says nothing more.
func Example() {
	s, err := hostile.New(hostile.Script{Phase: hostile.NSVer, Action: hostile.Error, Arg: "911"})
	if err != nil {
		panic(err)
	}
	defer s.Close()

	c, err := net.Dial("tcp", s.NSAddr())
	if err != nil {
		panic(err)
	}
	defer c.Close()
	c.Write([]byte("VER 1 MSNP7 CVR0\r\n"))
	_, err = msnp.NewReader(c, msnp.FromServer, 0).Next()
	class, code := msnp.Classify(err)
	fmt.Println(class, code)
	// Output: auth-fail 911
}
