package rxstamp

import (
	"context"
	"net"
	"testing"
	"time"
)

// stampedPair returns both ends of a loopback TCP connection whose server
// side has receive timestamps on (inherited from its listener); the test's
// cleanup closes them.
func stampedPair(t *testing.T) (cli, srv net.Conn) {
	t.Helper()
	lc := net.ListenConfig{Control: Control}
	ln, err := lc.Listen(context.Background(), "tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	cli, err = net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { cli.Close() })
	srv, err = ln.Accept()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return cli, srv
}

// TestReaderStamp: the stamp is when the data reached the socket, not when
// it was read. The checks are causal, not timed: the data was written after
// t0 and before the sleep, and read after it.
func TestReaderStamp(t *testing.T) {
	cli, srv := stampedPair(t)
	epoch := time.Now()
	a := New(srv, epoch)
	if a == nil {
		t.Fatal("no arrival reader for a TCP connection")
	}
	buf := make([]byte, 64)
	// The kernel turns timestamps on asynchronously when the first socket
	// asks: exchange until one comes, for at most 10 s (a guard against a
	// hang, not a measure: 200 tries 5 ms apart were about a second, which
	// a loaded machine's deferred work could outlast), then check them.
	giveUp := time.Now().Add(10 * time.Second)
	for try := 1; ; try++ {
		if _, err := cli.Write([]byte("x")); err != nil {
			t.Fatal(err)
		}
		_ = srv.SetReadDeadline(time.Now().Add(5 * time.Second))
		if _, err := a.Read(buf); err != nil {
			t.Fatal(err)
		}
		if _, ok := a.Arrived(); ok {
			break
		}
		if time.Now().After(giveUp) {
			t.Fatalf("no receive timestamp after %d reads in 10 s", try)
		}
		time.Sleep(5 * time.Millisecond)
	}
	for round := range 3 {
		t0 := time.Since(epoch)
		if _, err := cli.Write([]byte("PNG\r\n")); err != nil {
			t.Fatal(err)
		}
		written := time.Since(epoch)
		time.Sleep(20 * time.Millisecond) // read well after the arrival
		readAt := time.Since(epoch)
		_ = srv.SetReadDeadline(time.Now().Add(5 * time.Second))
		n, err := a.Read(buf)
		if err != nil || string(buf[:n]) != "PNG\r\n" {
			t.Fatalf("round %d: read %q, %v", round, buf[:n], err)
		}
		at, ok := a.Arrived()
		if !ok {
			t.Fatalf("round %d: no arrival stamp", round)
		}
		// The wall-to-monotonic conversion may be off by the clocks' read
		// skew (well under a millisecond); the sleep is far longer.
		const skew = time.Millisecond
		if at < t0-skew || at > written+skew || at >= readAt {
			t.Fatalf("round %d: arrival %v, want in [%v, %v] (written), before the read at %v", round, at, t0, written, readAt)
		}
	}
	// A closed peer reads as EOF, and a deadline as a timeout, as with Read.
	_ = srv.SetReadDeadline(time.Now().Add(-time.Second))
	if _, err := a.Read(buf); err == nil {
		t.Fatal("read past the deadline succeeded")
	}
	cli.Close()
	_ = srv.SetReadDeadline(time.Now().Add(5 * time.Second))
	if n, err := a.Read(buf); n != 0 || err == nil {
		t.Fatalf("read after the peer closed: %d, %v", n, err)
	}
}

func TestParseStampRejectsGarbage(t *testing.T) {
	for _, b := range [][]byte{nil, {1, 2, 3}, make([]byte, 16), append([]byte{255, 255, 255, 255, 255, 255, 255, 127}, make([]byte, 40)...)} {
		if st := Parse(b); st != 0 {
			t.Errorf("Parse(%v) = %d, want 0", b, st)
		}
	}
}

// TestWarm: once Warm has returned true, the first read on a new
// connection is stamped (no warm-up exchange needed).
func TestWarm(t *testing.T) {
	w, ok := Warm(5 * time.Second)
	defer w.Close()
	if !ok {
		t.Fatal("no stamped data within 5s")
	}
	cli, srv := stampedPair(t)
	if _, err := cli.Write([]byte("VER 1 MSNP7\r\n")); err != nil {
		t.Fatal(err)
	}
	r := New(srv, time.Now())
	_ = srv.SetReadDeadline(time.Now().Add(5 * time.Second))
	if _, err := r.Read(make([]byte, 64)); err != nil {
		t.Fatal(err)
	}
	if _, ok := r.Arrived(); !ok {
		t.Fatal("the first read after Warm came without a stamp")
	}
}
