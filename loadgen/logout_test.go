package loadgen

import (
	"context"
	"errors"
	"io"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msnbench/msnbench/msnp"
)

// slowCloser answers OUT by closing only after a while, as a busy server
// does, and counts the sessions whose client closed first (it used to,
// 250 ms after its OUT, leaving the server a reset).
type slowCloser struct {
	after                   time.Duration
	outs, clientFirst, kept atomic.Int64
	// never closing: the most connections open at an OUT
	srv     *fakeServer
	maxOpen int // under srv.mu
}

func (sc *slowCloser) override(st *fakeConn, cmd *msnp.Command) (bool, bool) {
	if !cmd.Is("OUT") {
		return false, false
	}
	sc.outs.Add(1)
	if sc.after < 0 {
		if sc.srv != nil {
			sc.srv.mu.Lock()
			sc.maxOpen = max(sc.maxOpen, len(sc.srv.conn))
			sc.srv.mu.Unlock()
		}
		return true, false // never closes: the client's deadline must
	}
	_ = st.c.SetReadDeadline(time.Now().Add(sc.after))
	var b [1]byte
	if _, err := st.c.Read(b[:]); errors.Is(err, io.EOF) {
		sc.clientFirst.Add(1)
	} else {
		sc.kept.Add(1)
	}
	return true, true
}

// TestLogoutWaitsForServerClose: after OUT, msnbench waits up to --timeout
// for the server to close (issue 10 item 10), yet the session is done at
// once: the run does not wait for it between logins, and its end waits
// only until the servers have closed.
func TestLogoutWaitsForServerClose(t *testing.T) {
	for _, io := range []string{IONet, IOLoop} {
		if io == IOLoop && !loopsSupported {
			continue
		}
		t.Run(io, func(t *testing.T) {
			sc := &slowCloser{after: 600 * time.Millisecond}
			srv := newFake(t, fakeOpts{override: sc.override})
			cfg := baseConfig(srv.addr())
			cfg.IO, cfg.Loops = io, 0
			cfg.TargetRole = RoleNS
			cfg.Steps = nil
			cfg.Concurrency, cfg.Logins = 2, 6
			cfg.Timeout = 20 * time.Second
			run := runEngine(t, context.Background(), cfg)
			if run.Counts.OK != 6 {
				t.Fatalf("counts %+v errors %+v", run.Counts, run.Errors)
			}
			// Run has returned: every OUT was answered by the server's own
			// close, none by the client closing first.
			waitFor(t, "the server to see every OUT", func() bool { return sc.kept.Load()+sc.clientFirst.Load() == 6 })
			if n := sc.clientFirst.Load(); n != 0 {
				t.Errorf("the client closed first after %d of 6 OUTs", n)
			}
		})
	}
}

// TestLogoutServerNeverCloses: a server that never closes after OUT costs
// each connection --timeout, not the run: the sessions go on, and the end
// of the run closes what is left once their time is up.
func TestLogoutServerNeverCloses(t *testing.T) {
	for _, io := range []string{IONet, IOLoop} {
		if io == IOLoop && !loopsSupported {
			continue
		}
		t.Run(io, func(t *testing.T) {
			sc := &slowCloser{after: -1}
			srv := newFake(t, fakeOpts{override: sc.override})
			srv.mu.Lock()
			sc.srv = srv
			srv.mu.Unlock()
			cfg := baseConfig(srv.addr())
			cfg.IO, cfg.Loops = io, 0
			cfg.TargetRole = RoleNS
			cfg.Steps = nil
			cfg.Concurrency, cfg.Logins = 1, 20
			cfg.Timeout = 2 * time.Second
			run := runEngine(t, context.Background(), cfg)
			if run.Counts.OK != 20 || sc.outs.Load() != 20 {
				t.Fatalf("counts %+v, %d OUTs", run.Counts, sc.outs.Load())
			}
			// One worker did 20 logins one after the other: it went on
			// after each OUT while the connection waited for the server,
			// so several were open at once.
			srv.mu.Lock()
			open := sc.maxOpen
			srv.mu.Unlock()
			if open < 5 {
				t.Errorf("at most %d connections open at an OUT: the worker waited for each to close", open)
			}
			waitFor(t, "every connection closed", func() bool {
				srv.mu.Lock()
				defer srv.mu.Unlock()
				return len(srv.conn) == 0
			})
		})
	}
}
