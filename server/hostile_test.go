package server

import (
	"math/rand/v2"
	"net"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msnbench/msnbench/msnp"
)

// TestHostileClients runs every kind of hostile client at once, while a
// well-behaved client keeps logging in and must never fail; the counters
// must show what was refused.
func TestHostileClients(t *testing.T) {
	if testing.Short() {
		t.Skip("load test")
	}
	idle := 2000
	if raceEnabled {
		idle = 800
	}
	s := newServer(t, Config{
		DSAddr:      "127.0.0.1:0",
		Accounts:    200,
		Password:    "pw",
		Contacts:    5,
		MaxLine:     512,
		ReadTimeout: 300 * time.Millisecond,
		IdleTimeout: 5 * time.Second,
	})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	var conns sync.Map // idle connections, closed at the end
	hostile := func(n int, f func(i int)) {
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				f(i)
			}()
		}
	}
	raw := func() net.Conn {
		nc, err := net.DialTimeout("tcp", s.NSAddr(), testTimeout)
		if err != nil {
			return nil
		}
		nc.SetDeadline(time.Now().Add(testTimeout))
		return nc
	}
	drain := func(nc net.Conn) {
		var buf [512]byte
		for {
			if _, err := nc.Read(buf[:]); err != nil {
				return
			}
		}
	}
	// Garbage.
	hostile(50, func(i int) {
		if nc := raw(); nc != nil {
			b := make([]byte, 2000)
			r := rand.New(rand.NewPCG(uint64(i), 1))
			for k := range b {
				b[k] = byte(r.UintN(256))
			}
			nc.Write(b)
			drain(nc)
			nc.Close()
		}
	})
	// Oversized lines, with and without a newline.
	hostile(50, func(i int) {
		if nc := raw(); nc != nil {
			line := "VER 1 " + strings.Repeat("MSNP7 ", 2000)
			if i%2 == 0 {
				line += "\r\n"
			}
			nc.Write([]byte(line))
			drain(nc)
			nc.Close()
		}
	})
	// Huge payload lengths and MSG to the notification server.
	hostile(20, func(i int) {
		if nc := raw(); nc != nil {
			if i%2 == 0 {
				nc.Write([]byte("QRY 1 msmsgs@msnmsgr.com 999999999\r\n"))
			} else {
				nc.Write([]byte("VER 1 MSNP7\r\nMSG 2 N 3\r\nabc"))
			}
			drain(nc)
			nc.Close()
		}
	})
	// Slow drip: one byte at a time, slower than the read timeout allows.
	hostile(20, func(i int) {
		if nc := raw(); nc != nil {
			for _, b := range []byte("VER 1 MSNP7 MSNP6 MSNP5 CVR0\r\n") {
				select {
				case <-stop:
					nc.Close()
					return
				case <-time.After(50 * time.Millisecond):
				}
				if _, err := nc.Write([]byte{b}); err != nil {
					break
				}
			}
			drain(nc)
			nc.Close()
		}
	})
	// Rapid connect and close.
	hostile(10, func(i int) {
		for k := 0; k < 50; k++ {
			if nc := raw(); nc != nil {
				nc.Close()
			}
		}
	})
	// Thousands of idle connections, held until the end.
	hostile(idle, func(i int) {
		if nc := raw(); nc != nil {
			conns.Store(nc, true)
		}
	})
	// Duplicate-login storm on one account.
	hostile(20, func(i int) {
		for k := 0; k < 10; k++ {
			select {
			case <-stop:
				return
			default:
			}
			nc, err := net.DialTimeout("tcp", s.NSAddr(), testTimeout)
			if err != nil {
				continue
			}
			nc.SetDeadline(time.Now().Add(testTimeout))
			// Pipelined on purpose: the server must cope.
			nc.Write([]byte("VER 1 MSNP7\r\nINF 2\r\nUSR 3 MD5 I user199@example.com\r\n"))
			var buf [512]byte
			n, _ := nc.Read(buf[:])
			if i := strings.Index(string(buf[:n]), "MD5 S "); i >= 0 {
				ch, _, _ := strings.Cut(string(buf[i+6:n]), "\r\n")
				var h [32]byte
				msnp.LoginHash(&h, []byte(ch), []byte("pw"))
				nc.Write([]byte("USR 4 MD5 S " + string(h[:]) + "\r\nCHG 5 NLN\r\n"))
				nc.Read(buf[:])
			}
			nc.Close()
		}
	})

	// Meanwhile, a well-behaved client logs in again and again.
	good := 100
	for i := 0; i < good; i++ {
		c := login(t, s.Addr(), "user"+strconv.Itoa(i%150)+"@example.com", "pw", "MSNP7 MSNP6 MSNP5 MSNP4 CVR0").c
		c.trid = 10
		c.send("SYN " + c.tr() + " 0")
		c.readSYN()
		c.send("CHG " + c.tr() + " NLN")
		c.send("PNG")
		for { // CHG, ILN, and NLN/FLN from contacts (which may even come first)
			cmd, err := c.next()
			if err != nil {
				t.Fatalf("login %d: PNG: %v", i, err)
			}
			if cmd.Is("QNG") {
				break
			}
		}
		c.send("OUT")
		c.nc.Close()
	}
	// The drips need longer than the read timeout to finish a line; on a fast
	// machine the good client is done first, so wait until the server has
	// timed them out before stopping everyone.
	waitFor(t, "the slow drips to be timed out", func() bool { return s.Stats().Timeouts > 0 })
	close(stop)
	conns.Range(func(k, _ any) bool { k.(net.Conn).Close(); return true })
	wg.Wait()
	waitFor(t, "all connections closed", func() bool { return s.Stats().ConnsOpen == 0 })
	st := s.Stats()
	t.Logf("stats: %v", st)
	if st.LoginsOK < uint64(good) || st.ProtocolViolations < 100 || st.LineTooLong < 50 || st.Timeouts == 0 ||
		st.Kicked == 0 {
		t.Errorf("counters do not show the hostile clients: %v", st)
	}
}
