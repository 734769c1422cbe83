package loadgen

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

// TestServerWordsKept: the report keeps what the server said, not only
// the class: the OUT reason, "VER t 0", and a code's meaning (issue 10
// item 7).
func TestServerWordsKept(t *testing.T) {
	tests := []struct {
		name     string
		override func(st *fakeConn, cmd *msnp.Command) (bool, bool)
		want     report.ErrorCount
		meaning  string
	}{
		{"VER 0", answer("VER", "VER {t} 0\r\n", true), report.ErrorCount{Phase: "ds.ver", Class: "protocol",
			Detail: "no common dialect (server answered 0)"}, "no common dialect (server answered 0)"},
		{"OUT OTH", answer("SYN", "OUT OTH\r\n", true), report.ErrorCount{Phase: "ns.syn", Class: "kicked",
			Detail: "OUT OTH: the account signed in elsewhere"}, "OUT OTH: the account signed in elsewhere"},
		{"OUT SSD", answer("CHG", "OUT SSD\r\n", true), report.ErrorCount{Phase: "ns.chg", Class: "kicked",
			Detail: "OUT SSD: the server is shutting down"}, "OUT SSD: the server is shutting down"},
		{"911", answer("USR S", "911 {t}\r\n", true), report.ErrorCount{Phase: "ns.usr.s", Class: "auth-fail",
			Code: 911}, "authentication failed"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := newFake(t, fakeOpts{override: tt.override})
			cfg := baseConfig(srv.addr())
			cfg.TargetRole = RoleDS
			cfg.Concurrency, cfg.Logins = 1, 2
			run := runEngine(t, context.Background(), cfg)
			checkCounts(t, run)
			want := tt.want
			want.Count = 2
			if len(run.Errors) != 1 || run.Errors[0] != want {
				t.Fatalf("errors %+v, want %+v", run.Errors, want)
			}
			if m := run.Errors[0].Meaning(); m != tt.meaning {
				t.Errorf("meaning %q, want %q", m, tt.meaning)
			}
			var txt strings.Builder
			if err := report.WriteText(&txt, run); err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(txt.String(), tt.meaning) {
				t.Errorf("the text report does not say %q:\n%s", tt.meaning, txt.String())
			}
		})
	}
	t.Run("held session kicked", func(t *testing.T) {
		srv := newFake(t, fakeOpts{override: answer("PNG", "OUT OTH\r\n", true)})
		cfg := baseConfig(srv.addr())
		cfg.Concurrency, cfg.Logins = 1, 1
		cfg.Hold, cfg.Ping = time.Minute, 10*time.Millisecond
		run := runEngine(t, context.Background(), cfg)
		if len(run.HoldErrors) != 1 || run.HoldErrors[0].Detail != "OUT OTH: the account signed in elsewhere" {
			t.Fatalf("hold errors %+v, want the OUT OTH", run.HoldErrors)
		}
		found := false
		for _, w := range run.Health.Warnings {
			found = found || strings.Contains(w, "OUT OTH")
		}
		if !found {
			t.Errorf("warnings %q do not name the OUT OTH", run.Health.Warnings)
		}
	})
}
