package loadgen

import (
	"context"
	"errors"
	"net"
	"testing"
	"time"

	"github.com/msnbench/msnbench/internal/rxstamp"
	"github.com/msnbench/msnbench/report"
)

// connPool hands out connections dialed before the measurement, so that
// what is measured is the login itself, not net.Dial. With stamps they are
// dialed and wrapped as the dialer does for kernel timestamps, so the
// reads go through recvmsg as in a run.
type connPool struct {
	conns []net.Conn
	next  int
}

func (p *connPool) dial() (net.Conn, error) {
	if p.next >= len(p.conns) {
		return nil, errors.New("pool exhausted")
	}
	c := p.conns[p.next]
	p.next++
	return c, nil
}

func predial(t testing.TB, f *fakeServer, n int, stamps bool) *connPool {
	t.Helper()
	p := &connPool{}
	base := f.served.Load()
	d := newDialer(context.Background(), 5*time.Second, nil, stamps)
	for range n {
		c, err := d.dial(f.addr())
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { c.Close() })
		p.conns = append(p.conns, c)
	}
	// The fake's per-connection goroutines and buffers are made when it
	// accepts: wait until it has, so none of that is counted either.
	waitFor(t, "fake server to accept", func() bool { return f.served.Load()-base >= int64(n) })
	return p
}

// TestLoginAllocs runs whole sessions (account lease, dispatch + referral,
// notification login, SYN, CHG, CHL/QRY, OUT, recording) over pre-dialed
// loopback connections and asserts they allocate nothing.
func TestLoginAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation test")
	}
	for _, ts := range []string{TimestampsKernel, TimestampsUser} {
		if ts == TimestampsKernel && !rxstamp.Supported {
			continue
		}
		t.Run(ts, func(t *testing.T) { testLoginAllocs(t, ts) })
	}
}

func testLoginAllocs(t *testing.T, timestamps string) {
	ns := newFake(t, fakeOpts{profile: true, contacts: 3, override: chlBeforeEcho})
	ds := newFake(t, fakeOpts{nsAddr: ns.addr()})

	cfg := baseConfig(ds.addr())
	cfg.Timestamps = timestamps
	cfg.Concurrency = 1
	cfg.Logins = 1
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.p.start = time.Now()
	e.p.rec = report.NewRecorder(1, time.Hour)
	// The recorder's histograms grow as they see new latencies (their first
	// values allocate buckets); warm them up so what is measured is the
	// steady state of a long run.
	const warm, runs = 300, 50
	dsPool := predial(t, ds, warm+runs+1, e.p.stamps)
	nsPool := predial(t, ns, warm+runs+1, e.p.stamps)
	e.p.dial = func(addr string) (net.Conn, error) {
		if addr == ds.addr() {
			return dsPool.dial()
		}
		return nsPool.dial()
	}
	s := e.newSession(0)
	for range warm {
		e.runOne(s, e.p.now())
	}
	var failed int
	allocs := testing.AllocsPerRun(runs, func() {
		e.runOne(s, e.p.now())
		if !s.sm.OK() {
			failed++
		}
	})
	if failed > 0 {
		t.Fatalf("%d logins failed (last: %v at %v)", failed, s.sm.Class, s.sm.FailPhase)
	}
	if !s.sm.Has(report.NSSyn) || !s.sm.Has(report.NSChg) || !s.sm.Has(report.DSUsr) {
		t.Fatal("the measured login did not go through DS, SYN and CHG")
	}
	if allocs != 0 {
		t.Fatalf("%v allocations per login, want 0", allocs)
	}
}
