package loadgen

import (
	"context"
	"errors"
	"net"
	"sync/atomic"
	"testing"
	"time"

	"github.com/msnbench/msnbench/internal/hostile"
	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/server"
)

func probeEngine(t *testing.T, cfg Config) *Engine {
	t.Helper()
	if cfg.Concurrency == 0 && cfg.Rate == 0 {
		cfg.Concurrency = 2
	}
	if cfg.Duration == 0 && cfg.Logins == 0 {
		cfg.Duration = time.Hour // never run: only probed
	}
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// TestProbe: the probe login says, before any load, why every session
// would fail, with the phase, the server's reply and whether it is fatal.
func TestProbe(t *testing.T) {
	t.Run("ok with a dispatch tier", func(t *testing.T) {
		_, target := refServer(t, true, nil)
		if err := probeEngine(t, baseConfig(target)).Probe(context.Background()); err != nil {
			t.Fatalf("probe: %v", err)
		}
	})
	// Nothing listens there, and nothing can start to while the test runs.
	dead, release, err := hostile.ReserveRefused()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	// A listener that accepts and never answers.
	mute, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer mute.Close()
	go func() {
		var held []net.Conn
		for {
			c, err := mute.Accept()
			if err != nil {
				for _, c := range held {
					c.Close()
				}
				return
			}
			held = append(held, c)
		}
	}()
	_, refNS := refServer(t, false, nil)
	_, refDS := refServer(t, true, nil)
	_, refMSNP2 := refServer(t, false, func(c *server.Config) { c.Dialects = msnp.DialectSetRange(2, 2) })
	tests := []struct {
		name    string
		target  string
		mod     func(*Config)
		phase   report.Phase
		class   msnp.Class
		reply   string // a prefix of ProbeError.Reply
		fatal   bool
		account string // default user0@example.com
	}{
		{name: "refused", target: dead, phase: report.DSConnect, class: msnp.ClassRefused, fatal: true},
		{name: "no answer", target: mute.Addr().String(), mod: func(c *Config) { c.Timeout = 200 * time.Millisecond },
			phase: report.DSVer, class: msnp.ClassTimeout, fatal: true},
		{name: "wrong password", target: refDS, mod: func(c *Config) { c.Password = "wrong" },
			phase: report.NSUsrS, class: msnp.ClassAuthFail, reply: "911 ", fatal: true},
		{name: "unknown account", target: refNS, mod: func(c *Config) { c.AccountStart = 1000 },
			phase: report.NSUsrS, class: msnp.ClassAuthFail, reply: "911 ", fatal: true, account: "user1000@example.com"},
		{name: "no common dialect", target: refMSNP2, mod: func(c *Config) { c.Dialects = "MSNP7 CVR0" },
			phase: report.DSVer, class: msnp.ClassProtocol, fatal: true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			cfg := baseConfig(tt.target)
			if tt.mod != nil {
				tt.mod(&cfg)
			}
			err := probeEngine(t, cfg).Probe(context.Background())
			var pe *ProbeError
			if !errors.As(err, &pe) {
				t.Fatalf("probe: %v, want a *ProbeError", err)
			}
			if tt.class == msnp.ClassTimeout && pe.Phase == report.DSConnect {
				// A machine busy enough to delay the connect itself past the
				// timeout: the same verdict, one phase earlier.
				tt.phase = report.DSConnect
			}
			if pe.Phase != tt.phase || pe.Class != tt.class || pe.Fatal != tt.fatal {
				t.Errorf("probe failed at %v as %v (fatal %v), want %v, %v (fatal %v): %v", pe.Phase, pe.Class,
					pe.Fatal, tt.phase, tt.class, tt.fatal, pe)
			}
			if len(pe.Reply) < len(tt.reply) || pe.Reply[:len(tt.reply)] != tt.reply {
				t.Errorf("reply %q, want %q...", pe.Reply, tt.reply)
			}
			if tt.account == "" {
				tt.account = "user0@example.com"
			}
			if pe.Hint() == "" || pe.Account != tt.account {
				t.Errorf("hint %q account %q", pe.Hint(), pe.Account)
			}
		})
	}
	t.Run("canceled", func(t *testing.T) {
		ctx, cancel := context.WithCancel(context.Background())
		cancel()
		err := probeEngine(t, baseConfig(mute.Addr().String())).Probe(ctx)
		if !errors.Is(err, context.Canceled) {
			t.Fatalf("probe with a canceled context: %v", err)
		}
	})
}

// TestProbeDoesNotHold: with --hold the probe still takes the configured
// steps and then logs out at once.
func TestProbeDoesNotHold(t *testing.T) {
	var syn, chg, out atomic.Int32
	count := func(st *fakeConn, cmd *msnp.Command) (bool, bool) {
		switch {
		case cmd.Is("SYN"):
			syn.Add(1)
		case cmd.Is("CHG"):
			chg.Add(1)
		case cmd.Is("OUT"):
			out.Add(1)
		}
		return false, false
	}
	ds, _ := fakePair(t, fakeOpts{override: count})
	cfg := baseConfig(ds.addr())
	cfg.Hold = time.Hour
	cfg.Concurrency = 1
	cfg.Logins = 1
	if err := probeEngine(t, cfg).Probe(context.Background()); err != nil {
		t.Fatalf("probe: %v", err)
	}
	waitFor(t, "the probe's OUT", func() bool { return out.Load() == 1 })
	if syn.Load() != 1 || chg.Load() != 1 {
		t.Errorf("the probe sent %d SYN and %d CHG, want one each", syn.Load(), chg.Load())
	}
}
