package loadgen

import (
	"context"
	"os"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/msnbench/msnbench/internal/hostile"
	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/server"
)

// TestChatHostileSwitchboard: a switchboard that misbehaves (a proxy in
// front of the reference server's) costs the conversations it touches,
// each failure classified and counted, never a held session, a hang or a
// leaked goroutine or descriptor.
func TestChatHostileSwitchboard(t *testing.T) {
	for _, tc := range []struct {
		act   hostile.SBAction
		check func(t *testing.T, run *report.Run)
	}{
		{hostile.SBCloseMid, func(t *testing.T, run *report.Run) {
			wantChatError(t, run, "msg.deliver", "eof", 0)
			if run.Chat.Lost == 0 {
				t.Errorf("chat %+v: the message cut off was acknowledged, want it lost", *run.Chat)
			}
		}},
		{hostile.SBTruncate, func(t *testing.T, run *report.Run) {
			wantChatError(t, run, "msg.deliver", "protocol", 0)
		}},
		{hostile.SBWrongUser, func(t *testing.T, run *report.Run) {
			wantChatError(t, run, "msg.deliver", "protocol", 0)
			if run.Chat.Lost == 0 {
				t.Errorf("chat %+v: the message relayed elsewhere was acknowledged, want it lost", *run.Chat)
			}
		}},
		{hostile.SBNoJOI, func(t *testing.T, run *report.Run) {
			wantChatError(t, run, "sb.joi", "timeout", 0)
			if run.Chat.Sent != 0 {
				t.Errorf("chat %+v: messages sent without a JOI", *run.Chat)
			}
		}},
		{hostile.SBUnknownSession, func(t *testing.T, run *report.Run) {
			wantChatError(t, run, "sb.ans", "auth-fail", 911)
		}},
		{hostile.SBMsgBeforeAnsOK, func(t *testing.T, run *report.Run) {
			// Not a failure: the server may relay the caller's first
			// message before its reply to the callee's ANS.
			if c := run.Chat; len(run.ChatErrors) != 0 || c.Lost != 0 || c.Delivered != c.Acked {
				t.Errorf("chat %+v errors %+v, want every message delivered", *c, run.ChatErrors)
			}
		}},
		{hostile.SBByeThenNak, func(t *testing.T, run *report.Run) {
			// Not a failure, and not the server refusing a message it
			// could deliver: the receiver left while it was on its way.
			if c := run.Chat; len(run.ChatErrors) != 0 || c.Naked == 0 || c.NakedLeft != c.Naked || c.Lost != 0 {
				t.Errorf("chat %+v errors %+v, want every NAK counted as after the receiver left", *c, run.ChatErrors)
			}
			if line := run.Chat.Line(); !strings.Contains(line, "after the receiver had left") {
				t.Errorf("chat line %q does not say the refusals came after the receiver left", line)
			}
		}},
		{hostile.SBFlood, func(t *testing.T, run *report.Run) {
			if run.Chat.Duplicated == 0 {
				t.Errorf("chat %+v: a flood of one message, want duplicates counted", *run.Chat)
			}
		}},
	} {
		t.Run(tc.act.String(), func(t *testing.T) {
			g0, fd0 := runtime.NumGoroutine(), countOpenFDs()
			px, err := hostile.NewSBProxy(tc.act)
			if err != nil {
				t.Fatal(err)
			}
			srv, target := refServer(t, true, func(c *server.Config) {
				c.SBAddr, c.SBPublicAddr = "127.0.0.1:0", px.Addr()
			})
			px.SetUpstream(srv.SBAddr())
			// The timeout bounds the waits the misbehaviours cause (no JOI,
			// the flood at the end), and must leave a JOI timeout room
			// within the hold.
			cfg := chatConfig(target, 6, 3*time.Second, 100*time.Millisecond)
			cfg.Timeout = 1500 * time.Millisecond
			if tc.act == hostile.SBByeThenNak || tc.act == hostile.SBMsgBeforeAnsOK {
				// These cases want no chat error at all, so no wait may
				// time out: with 1.5 s, under -race beside a busy loop per
				// core, an ANS got no answer in time, and a callee's ANS
				// came after its caller had given up waiting for the JOI
				// (911). Nothing in them needs a timeout to end.
				cfg.Timeout = 30 * time.Second
			}
			done := make(chan *report.Run, 1)
			go func() {
				e, err := New(cfg)
				if err != nil {
					t.Error(err)
					done <- nil
					return
				}
				run, err := e.Run(context.Background())
				if err != nil {
					t.Error(err)
				}
				done <- run
			}()
			var run *report.Run
			select {
			case run = <-done:
			case <-time.After(time.Minute):
				t.Fatal("the run did not end within a minute: it hangs")
			}
			if run == nil {
				return
			}
			if px.Fired() == 0 {
				t.Fatalf("the misbehaviour never happened; chat %+v errors %+v", run.Chat, run.ChatErrors)
			}
			if run.Counts.OK != 6 || run.Counts.HoldLost != 0 || run.Chat == nil {
				t.Fatalf("counts %+v hold errors %+v chat %+v: the held sessions must go on", run.Counts,
					run.HoldErrors, run.Chat)
			}
			tc.check(t, run)
			px.Close()
			srv.Close()
			waitFor(t, "goroutines and descriptors back to where they were", func() bool {
				return runtime.NumGoroutine() <= g0 && countOpenFDs() <= fd0
			})
		})
	}
}

func wantChatError(t *testing.T, run *report.Run, phase, class string, code int) {
	t.Helper()
	for _, e := range run.ChatErrors {
		if e.Phase == phase && e.Class == class && e.Code == code && e.Count > 0 {
			return
		}
	}
	t.Errorf("chat errors %+v, want %s/%s/%d; chat %+v", run.ChatErrors, phase, class, code, *run.Chat)
}

func countOpenFDs() int {
	ents, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return 0
	}
	return len(ents)
}
