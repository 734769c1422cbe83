package compare

import (
	"testing"
	"time"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/fixture"
)

// chatRun is fixture.RecordedRun with the held-session phases of presence
// and chat (issue 14) recorded too, each value scaled by scale.
func chatRun(t testing.TB, scale float64) *report.Run {
	t.Helper()
	samples := fixture.Samples(42, 4000, 5*time.Second, false)
	rec := report.NewRecorder(4, time.Second)
	last := fixture.Feed(rec, samples, 4, time.Second)
	for i := range 2000 {
		at := int64(i) * int64(2500*time.Microsecond)
		v := float64(800*time.Microsecond) + float64(i%97)*float64(20*time.Microsecond)
		for j, ph := range []report.Phase{report.Presence, report.SBXfr, report.SBCal, report.SBJoi, report.MsgAck, report.MsgDeliver} {
			rec.RecordValue((i+j)%4, ph, int64(v*scale)+int64(j)*1000, at)
		}
	}
	end := last + int64(time.Millisecond)
	run := fixture.Meta(false)
	run.End = fixture.Start.Add(time.Duration(end))
	rec.Finish(run, end)
	return run
}

// TestComparePhasesOfChat: compare compares the presence, sb.* and msg.*
// phases as it does the login's: present on both sides, they are in the
// comparison, and twice as slow is found slower.
func TestComparePhasesOfChat(t *testing.T) {
	a, b := chatRun(t, 1), chatRun(t, 2)
	c, err := Compare([]*report.Run{a}, []*report.Run{b}, Options{Resamples: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"presence", "sb.xfr", "sb.cal", "sb.joi", "msg.ack", "msg.deliver"} {
		var p *PhaseComparison
		for i := range c.Phases {
			if c.Phases[i].Phase == name {
				p = &c.Phases[i]
			}
		}
		if p == nil {
			t.Errorf("%s not compared", name)
			continue
		}
		if p.Verdict != Slower || len(p.Percentiles) == 0 {
			t.Errorf("%s twice as slow: verdict %q, %d percentiles", name, p.Verdict, len(p.Percentiles))
		}
	}
	// The login's phases did not change.
	for _, p := range c.Phases {
		if p.Phase == "login" && p.Verdict == Slower {
			t.Errorf("login: %q", p.Verdict)
		}
	}
}
