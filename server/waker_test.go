package server

import (
	"io"
	"math/rand/v2"
	"net"
	"sync"
	"testing"
	"time"
)

// TestWakerHeap checks the deadline heap: entries come out in deadline
// order, and cancelled ones never come out.
func TestWakerHeap(t *testing.T) {
	r := rand.New(rand.NewPCG(1, 2))
	for round := 0; round < 50; round++ {
		var w waker
		n := 1 + r.IntN(200)
		conns := make([]*conn, n)
		for i := range conns {
			conns[i] = &conn{}
			w.push(wakeEntry{at: time.Duration(r.IntN(1000)), c: conns[i]})
		}
		cancelled := map[*conn]bool{}
		for i := 0; i < n/3; i++ {
			c := conns[r.IntN(n)]
			if got := w.cancel(c); got == cancelled[c] {
				t.Fatalf("cancel returned %v for an entry cancelled before: %v", got, cancelled[c])
			}
			cancelled[c] = true
		}
		last := time.Duration(-1)
		for len(w.h) > 0 {
			e := w.pop()
			if e.at < last {
				t.Fatalf("round %d: %v after %v", round, e.at, last)
			}
			if cancelled[e.c] {
				t.Fatalf("round %d: cancelled entry popped", round)
			}
			last = e.at
			delete(cancelled, e.c)
		}
	}
}

// TestDelayedRepliesAtClose closes servers while replies wait for the
// waker; Close must return and the race detector must stay quiet.
func TestDelayedRepliesAtClose(t *testing.T) {
	for round := 0; round < 10; round++ {
		s, err := New(Config{Delay: time.Millisecond, DelaySpin: -1})
		if err != nil {
			t.Fatal(err)
		}
		for i := 0; i < 20; i++ {
			c := dial(t, s.Addr())
			c.nc.Write([]byte("VER 1 MSNP7\r\n"))
		}
		waitFor(t, "a reply to wait", func() bool { return s.Stats().Delayed > 0 })
		closeWithin(t, s, "Close hung")
	}
}

// closeWithin closes s and fails the test with msg if Close does not
// return within testTimeout.
func closeWithin(t *testing.T, s *Server, msg string) {
	t.Helper()
	done := make(chan struct{})
	go func() { s.Close(); close(done) }()
	select {
	case <-done:
	case <-time.After(testTimeout):
		t.Fatal(msg)
	}
}

// wakerConn is a connection for driving the waker directly: its reply goes
// to a pipe that a goroutine drains.
func wakerConn(t *testing.T, s *Server) *conn {
	t.Helper()
	a, b := net.Pipe()
	t.Cleanup(func() { a.Close(); b.Close() })
	go io.Copy(io.Discard, b)
	return &conn{s: s, nc: a, out: []byte("QNG 60\r\n"), wake: make(chan struct{}, 1)}
}

// awaitToken fails the test if c's reply is not delivered in testTimeout.
func awaitToken(t *testing.T, c *conn, what string) {
	t.Helper()
	select {
	case <-c.wake:
	case <-time.After(testTimeout):
		t.Fatalf("%s: never delivered", what)
	}
}

// awaitSleep waits until w is about to sleep for at least d (it has read
// its futex word: an add from now on wakes it).
func awaitSleep(t *testing.T, w *waker, d time.Duration) {
	t.Helper()
	for {
		select {
		case got := <-w.sleeps:
			if got >= d {
				return
			}
		case <-time.After(testTimeout):
			t.Fatalf("the waker never went to sleep for %v", d)
		}
	}
}

// TestWakerEarlierEntryWakes: the waker, asleep towards an entry an hour
// away, is woken by an earlier one.
func TestWakerEarlierEntryWakes(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	far, near := wakerConn(t, s), wakerConn(t, s)
	s.wakers[0].sleeps = make(chan time.Duration, 1)
	s.wakers[0].add(time.Since(s.epoch)+time.Hour, far)
	awaitSleep(t, &s.wakers[0], 30*time.Minute) // asleep towards it
	s.wakers[0].add(time.Since(s.epoch)+time.Millisecond, near)
	awaitToken(t, near, "an entry due before the one the waker sleeps towards")
	if !s.wakers[0].cancel(far) {
		t.Fatal("the far entry was delivered")
	}
}

// TestWakerEntriesDueNow adds entries from several goroutines that are due
// already, now, or within a few hundred microseconds (the waker is then
// between looking at its heap and sleeping): every one is delivered. An
// entry that fell due in that gap once made the waker sleep for good.
func TestWakerEntriesDueNow(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	const workers, rounds = 8, 300
	var wg sync.WaitGroup
	for w := range workers {
		c := wakerConn(t, s)
		wg.Go(func() {
			r := rand.New(rand.NewPCG(uint64(w), 7))
			for i := range rounds {
				due := time.Since(s.epoch) + time.Duration(r.IntN(400)-100)*time.Microsecond
				s.wakers[0].add(due, c)
				select {
				case <-c.wake:
				case <-time.After(testTimeout):
					t.Errorf("worker %d round %d: never delivered", w, i)
					return
				}
			}
		})
	}
	wg.Wait()
}

// TestCloseWakesWaker: Close returns while the waker sleeps towards an
// entry an hour away.
func TestCloseWakesWaker(t *testing.T) {
	s, err := New(Config{})
	if err != nil {
		t.Fatal(err)
	}
	c := wakerConn(t, s)
	s.wakers[0].sleeps = make(chan time.Duration, 1)
	s.wakers[0].add(time.Since(s.epoch)+time.Hour, c)
	awaitSleep(t, &s.wakers[0], 30*time.Minute)
	closeWithin(t, s, "Close hung with the waker asleep")
}

// TestWakerMarginAdapts: the busy-waited margin follows the 90th
// percentile of the recent overshoots plus 10 µs, never below DelaySpin
// nor above maxMargin.
func TestWakerMarginAdapts(t *testing.T) {
	w := waker{s: &Server{cfg: Config{DelaySpin: 100 * time.Microsecond}}}
	w.margin = w.s.cfg.DelaySpin
	feed := func(over time.Duration, n int) {
		for range n {
			w.adapt(over)
		}
	}
	feed(40*time.Microsecond, 32)
	if w.margin != 100*time.Microsecond {
		t.Errorf("small overshoots: margin %v, want DelaySpin (100µs)", w.margin)
	}
	// 4 of 32 at 300 µs: the 90th percentile (index 28 of 32) is 300 µs.
	feed(150*time.Microsecond, 28)
	feed(300*time.Microsecond, 4)
	if w.margin != 310*time.Microsecond {
		t.Errorf("margin %v, want 310µs", w.margin)
	}
	feed(5*time.Millisecond, 32)
	if w.margin != maxMargin {
		t.Errorf("huge overshoots: margin %v, want the cap %v", w.margin, maxMargin)
	}
	feed(-time.Microsecond, 32) // a sleep cut short counts as no overshoot
	if w.margin != 100*time.Microsecond {
		t.Errorf("after short sleeps: margin %v, want 100µs", w.margin)
	}
}
