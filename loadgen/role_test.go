package loadgen

import (
	"context"
	"testing"

	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/server"
)

// unknownOdd is a notification server without a dispatch tier that knows
// only the even-numbered accounts: the others get 911 already at USR I,
// as some servers do (MSNP.md §11).
func unknownOdd(st *fakeConn, cmd *msnp.Command) (bool, bool) {
	if !matches(cmd, "USR I") {
		return false, false
	}
	h := cmd.Arg(2)
	// user<N>@example.com: the digit before '@'
	for i, c := range h {
		if c == '@' && i > 0 && (h[i-1]-'0')%2 == 1 {
			st.out = msnp.AppendError(st.out, 911, cmd.TrID)
			return true, true
		}
	}
	return false, false
}

// errorPhases returns the phases the failures of class were counted in.
func errorPhases(run *report.Run, class string) map[string]int64 {
	m := map[string]int64{}
	for _, e := range run.Errors {
		if e.Class == class {
			m[e.Phase] += e.Count
		}
	}
	return m
}

// TestTargetRole: the same reply never lands in two phases within one run
// (issue 10 item 6). Sessions run one at a time, so the first (an even,
// known account) has seen a challenge before the first 911 comes: the old
// engine then moved every later 911 from ds.usr to ns.usr.i.
func TestTargetRole(t *testing.T) {
	tests := []struct {
		role    string
		probe   bool
		want911 string // the one phase every 911 is counted in
		wantBy  string
		ok      []string // phases every successful session has
	}{
		{role: RoleAuto, want911: "ds.usr", ok: []string{"ns.connect", "ns.ver", "ns.inf", "ns.usr.i"}},
		{role: RoleNS, want911: "ns.usr.i", ok: []string{"ns.connect", "ns.ver", "ns.inf", "ns.usr.i"}},
		{role: RoleDS, want911: "ds.usr", ok: []string{"ds.connect", "ds.ver", "ds.inf", "ds.usr"}},
		{role: RoleAuto, probe: true, want911: "ns.usr.i", wantBy: "probe",
			ok: []string{"ns.connect", "ns.ver", "ns.inf", "ns.usr.i"}},
	}
	for _, tt := range tests {
		name := tt.role
		if tt.probe {
			name += "/probe"
		}
		t.Run(name, func(t *testing.T) {
			srv := newFake(t, fakeOpts{override: unknownOdd})
			cfg := baseConfig(srv.addr())
			cfg.TargetRole = tt.role
			cfg.Concurrency, cfg.Logins = 1, 10
			e, err := New(cfg)
			if err != nil {
				t.Fatal(err)
			}
			if tt.probe {
				if err := e.Probe(context.Background()); err != nil {
					t.Fatal(err)
				}
				if e.TargetRole() != RoleNS {
					t.Fatalf("after the probe the role is %q, want ns", e.TargetRole())
				}
			}
			run, err := e.Run(context.Background())
			if err != nil {
				t.Fatal(err)
			}
			checkCounts(t, run)
			if run.Counts.OK != 5 || run.Counts.Failed != 5 {
				t.Fatalf("counts %+v errors %+v", run.Counts, run.Errors)
			}
			if got := errorPhases(run, "auth-fail"); len(got) != 1 || got[tt.want911] != 5 {
				t.Errorf("911s counted in %v, want all 5 in %s", got, tt.want911)
			}
			for _, name := range tt.ok {
				if p := phase(run, name); p == nil || p.Summary.Count < 5 {
					t.Errorf("phase %s: %+v, want the 5 successful sessions", name, p)
				}
			}
			if run.Config.TargetRole == "" || run.Config.TargetRoleBy != tt.wantBy {
				t.Errorf("report says role %q by %q", run.Config.TargetRole, run.Config.TargetRoleBy)
			}
		})
	}
}

// TestTargetRoleReferenceServer: the reference server without a dispatch
// tier, with unknown accounts (a challenge, then 911 at USR S) and 911
// injected at USR I: with the role learned by the probe, every 911 keeps
// one phase per reply: ns.usr.i for USR I, ns.usr.s for USR S.
func TestTargetRoleReferenceServer(t *testing.T) {
	_, target := refServer(t, false, func(c *server.Config) {
		c.Accounts = 24 // the run uses 48: half of them unknown
		c.ErrorCode, c.ErrorRate, c.ErrorPhases = 911, 0.3, server.PhaseSetOf(server.PhaseNSUSRI)
	})
	cfg := baseConfig(target)
	cfg.Accounts = 48
	cfg.Concurrency, cfg.Logins = 4, 96
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	// The probe's login may be one the server refuses with the injected
	// 911 at USR I: then it tells nothing, and it is tried again.
	for try := 0; e.TargetRole() == RoleAuto; try++ {
		if try == 50 {
			t.Fatal("50 probes did not learn the role")
		}
		if err := e.Probe(context.Background()); err != nil {
			t.Logf("probe: %v", err)
		}
	}
	run, err := e.Run(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	checkCounts(t, run)
	for _, ec := range run.Errors {
		if ec.Class != "auth-fail" || (ec.Phase != "ns.usr.i" && ec.Phase != "ns.usr.s") {
			t.Errorf("error %+v, want 911s at ns.usr.i or ns.usr.s only", ec)
		}
	}
	if phase(run, "ds.connect") != nil || phase(run, "ds.usr") != nil {
		t.Errorf("ds.* phases measured without a dispatch tier: %v", run.Phases)
	}
}
