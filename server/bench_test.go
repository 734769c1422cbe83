package server

import (
	"net"
	"strconv"
	"sync/atomic"
	"testing"

	"github.com/msnbench/msnbench/msnp"
)

// benchClient is a lean login client for the benchmark: one buffer, the
// msnp Reader and append writers, so the figure is mostly the server's.
type benchClient struct {
	out []byte
	rd  *msnp.Reader
}

// login does a full DS -> NS login and OUT for account i. With withSYN it
// also syncs the lists and sets the status.
func (bc *benchClient) login(addr, email string, withSYN bool) error {
	var trid uint32
	for hop := 0; hop < 2; hop++ {
		nc, err := net.Dial("tcp", addr)
		if err != nil {
			return err
		}
		if bc.rd == nil {
			bc.rd = msnp.NewReader(nc, msnp.FromServer, 0)
		} else {
			bc.rd.Reset(nc)
		}
		xchg := func(b []byte) (*msnp.Command, error) {
			if _, err := nc.Write(b); err != nil {
				return nil, err
			}
			return bc.rd.Next()
		}
		trid++
		if _, err := xchg(msnp.AppendVER(bc.out[:0], trid, []byte("MSNP7 MSNP6 CVR0"))); err != nil {
			nc.Close()
			return err
		}
		trid++
		if _, err := xchg(msnp.AppendINF(bc.out[:0], trid)); err != nil {
			nc.Close()
			return err
		}
		trid++
		r, err := xchg(msnp.AppendUSRI(bc.out[:0], trid, []byte(email)))
		if err != nil {
			nc.Close()
			return err
		}
		if r.Is("XFR") {
			addr = string(r.Arg(1))
			nc.Close()
			continue
		}
		var h [32]byte
		msnp.LoginHash(&h, r.Arg(2), []byte("pw"))
		trid++
		if _, err = xchg(msnp.AppendUSRS(bc.out[:0], trid, &h)); err == nil {
			_, err = bc.rd.Next() // profile
		}
		if err == nil && withSYN {
			trid++
			nc.Write(msnp.AppendSYN(bc.out[:0], trid, 0))
			for {
				var c *msnp.Command
				if c, err = bc.rd.Next(); err != nil || (c.Is("LST") && string(c.Arg(0)) == "RL" &&
					string(c.Arg(2)) == string(c.Arg(3))) {
					break
				}
			}
		}
		if err == nil {
			_, err = nc.Write(msnp.AppendOUT(bc.out[:0], ""))
		}
		nc.Close()
		return err
	}
	return nil
}

// BenchmarkLogin measures full logins (dispatch referral, notification
// server, hash check, USR OK, OUT) per second against an in-process server,
// client included; -cpu and the parallelism set the concurrency.
func BenchmarkLogin(b *testing.B) {
	for _, tc := range []struct {
		name    string
		withSYN bool
	}{{"login", false}, {"login+syn20", true}} {
		b.Run(tc.name, func(b *testing.B) {
			s, err := New(Config{DSAddr: "127.0.0.1:0", Accounts: 100000, Password: "pw", Contacts: 20})
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			emails := make([]string, 100000)
			for i := range emails {
				emails[i] = "user" + strconv.Itoa(i) + "@example.com"
			}
			var next atomic.Int64
			b.ReportAllocs()
			b.SetParallelism(4)
			b.ResetTimer()
			b.RunParallel(func(pb *testing.PB) {
				bc := &benchClient{out: make([]byte, 0, 256)}
				for pb.Next() {
					i := next.Add(1) % int64(len(emails))
					if err := bc.login(s.Addr(), emails[i], tc.withSYN); err != nil {
						b.Error(err)
						return
					}
				}
			})
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "logins/s")
		})
	}
}

// BenchmarkSBRelay measures the switchboard's message path over loopback:
// one participant pipelines MSG U (a 100-byte chat message), the other
// reads each relayed MSG. Client and server share the process, so ns/op is
// both sides' cost per message.
func BenchmarkSBRelay(b *testing.B) {
	var clk fakeClock
	s, err := New(sbConfig(&clk))
	if err != nil {
		b.Fatal(err)
	}
	defer s.Close()
	asb, bsb := sbPair(b, s)
	if bsb.rd.Buffered() != 0 {
		b.Fatal("unread data after joining")
	}
	rd := msnp.NewReader(bsb.nc, msnp.FromServer, 0) // without the test client's copy of every byte
	payload := make([]byte, 100)
	for i := range payload {
		payload[i] = 'x'
	}
	var one []byte
	one = msnp.AppendSBMSG(one, 1, 'U', payload)
	batch := make([]byte, 0, 64*len(one))
	for len(batch)+len(one) <= cap(batch) {
		batch = append(batch, one...)
	}
	per := len(batch) / len(one)
	b.ReportAllocs()
	b.SetBytes(int64(len(one)))
	b.ResetTimer()
	errc := make(chan error, 1)
	go func() {
		for sent := 0; sent < b.N; sent += per {
			chunk := batch
			if b.N-sent < per {
				chunk = batch[:(b.N-sent)*len(one)]
			}
			if _, err := asb.nc.Write(chunk); err != nil {
				errc <- err
				return
			}
		}
		errc <- nil
	}()
	for i := 0; i < b.N; i++ {
		cmd, err := rd.Next()
		if err != nil || !cmd.Is("MSG") || len(cmd.Payload) != len(payload) {
			b.Fatalf("message %d: %v", i, err)
		}
	}
	if err := <-errc; err != nil {
		b.Fatal(err)
	}
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "msgs/s")
}
