package loadgen

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/server"
)

// chatConfig is a run of n users held together, each sending a message
// every every to another.
func chatConfig(target string, n int, hold, every time.Duration) Config {
	cfg := baseConfig(target)
	cfg.Concurrency, cfg.Logins = n, int64(n)
	cfg.Hold, cfg.ChatEvery, cfg.Seed = hold, every, 7
	return cfg
}

// TestE2EChat: held users chat over the reference server's switchboard;
// every sb.* and msg.* phase is measured, nothing fails, nothing is lost.
func TestE2EChat(t *testing.T) {
	srv, target := refServer(t, true, func(c *server.Config) { c.SBAddr = "127.0.0.1:0" })
	cfg := chatConfig(target, 8, 1500*time.Millisecond, 100*time.Millisecond)
	run := runEngine(t, context.Background(), cfg)
	checkCounts(t, run)
	if run.Counts.OK != 8 || run.Counts.HoldLost != 0 {
		t.Fatalf("counts %+v errors %+v hold errors %+v", run.Counts, run.Errors, run.HoldErrors)
	}
	if len(run.ChatErrors) != 0 {
		t.Errorf("chat errors: %+v", run.ChatErrors)
	}
	ch := run.Chat
	if ch == nil || ch.Sent == 0 || ch.Switchboards == 0 {
		t.Fatalf("chat: %+v", ch)
	}
	if ch.Lost != 0 || ch.Duplicated != 0 || ch.Reordered != 0 {
		t.Errorf("chat: %+v, want nothing lost, duplicated or reordered", ch)
	}
	if ch.Acked+ch.Naked != ch.Sent || ch.Delivered != ch.Acked {
		t.Errorf("chat: %+v, want every message answered and every acknowledged one delivered", ch)
	}
	for _, ph := range []report.Phase{report.SBXfr, report.SBConnect, report.SBUsr, report.SBCal, report.SBRing,
		report.SBAns, report.SBJoi, report.MsgAck, report.MsgDeliver} {
		if p := phase(run, ph.String()); p == nil || p.Summary.Count == 0 {
			t.Errorf("phase %s not measured", ph)
		}
	}
	if p := phase(run, "msg.ack"); p != nil && p.Summary.Count != ch.Acked {
		t.Errorf("msg.ack count %d, acked %d", p.Summary.Count, ch.Acked)
	}
	if d := run.Delivery("msg.deliver"); d == nil || d.Expected != ch.Acked || d.Lost != 0 {
		t.Errorf("delivery %+v, want %d expected, none lost", d, ch.Acked)
	}
	if p := phase(run, "msg.deliver"); p != nil && p.Summary.Count != ch.Delivered {
		t.Errorf("msg.deliver count %d, delivered %d", p.Summary.Count, ch.Delivered)
	}
	t.Logf("chat %+v", *ch)
	waitFor(t, "server to see every connection closed", func() bool { return srv.Stats().ConnsOpen == 0 })
}

// TestChatNoSwitchboard: a server without a switchboard answers XFR SB
// with 502; that is one sb.xfr failure per held user, and the sessions stay
// held to the end.
func TestChatNoSwitchboard(t *testing.T) {
	_, target := refServer(t, true, nil) // no SBAddr: XFR SB gets 502
	cfg := chatConfig(target, 4, 600*time.Millisecond, 50*time.Millisecond)
	run := runEngine(t, context.Background(), cfg)
	checkCounts(t, run)
	if run.Counts.OK != 4 || run.Counts.HoldLost != 0 {
		t.Fatalf("counts %+v hold errors %+v", run.Counts, run.HoldErrors)
	}
	if len(run.ChatErrors) != 1 {
		t.Fatalf("chat errors %+v, want one row", run.ChatErrors)
	}
	got := run.ChatErrors[0]
	if got.Phase != "sb.xfr" || got.Code != 502 || got.Count < 1 || got.Count > 4 {
		t.Errorf("chat errors %+v, want sb.xfr 502 once per user at most", got)
	}
	if run.Chat == nil || run.Chat.Sent != 0 {
		t.Errorf("chat %+v", run.Chat)
	}
}

func TestChatConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Config)
		want string
	}{
		{"no hold", func(c *Config) { c.Hold = 0 }, "needs --hold"},
		{"no chg", func(c *Config) { c.Steps = []Step{StepSyn} }, "chg step"},
		{"shared accounts", func(c *Config) { c.AllowSharedAccounts = true }, "allow-shared-accounts"},
		{"negative", func(c *Config) { c.ChatEvery = -time.Second }, "negative"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			cfg := chatConfig("127.0.0.1:1", 2, time.Second, time.Second)
			tc.mod(&cfg)
			err := cfg.Validate()
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Validate: %v, want %q", err, tc.want)
			}
		})
	}
}
