package loadgen

import "testing"

// TestSessionListAbort: abortAll reaches every session an I/O engine kept,
// and a session made after it began is canceled as it is made (before,
// with a negative grace period, abortAll left the flag unset and a session
// made afterwards waited its full timeouts).
func TestSessionListAbort(t *testing.T) {
	cfg := baseConfig("127.0.0.1:1")
	cfg.Concurrency, cfg.Logins = 2, 2
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	n := &netIO{e: e}
	e.io = n
	before := n.session(0)
	if before.canceled.Load() {
		t.Fatal("a session made before the abort is canceled")
	}
	e.abortAll()
	after := n.session(1)
	if !before.canceled.Load() || !after.canceled.Load() {
		t.Errorf("after abortAll: kept session canceled %v, new one %v; want both", before.canceled.Load(),
			after.canceled.Load())
	}
	count := 0
	n.each(func(*session) { count++ }, false)
	if count != 2 {
		t.Errorf("each reached %d sessions, want 2", count)
	}
}
