package server

import (
	"math/rand/v2"
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
		done := make(chan struct{})
		go func() { s.Close(); close(done) }()
		select {
		case <-done:
		case <-time.After(testTimeout):
			t.Fatal("Close hung")
		}
	}
}
