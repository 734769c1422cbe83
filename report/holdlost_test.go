package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/fixture"
)

// Held sessions that ended early are their own table and count: kept out of
// Errors (their logins succeeded), summed by merge, checked by the "lost"
// SLO metric and shown by the text writer.
func TestHoldLost(t *testing.T) {
	a, b := fixture.RecordedRun(t, false), fixture.RecordedRun(t, false)
	a.Shard, b.Shard = report.Shard{Index: 0, Count: 2, Group: "g"}, report.Shard{Index: 1, Count: 2, Group: "g"}
	a.HoldErrors = []report.ErrorCount{{Phase: "ping", Class: "timeout", Count: 3}, {Phase: "qry", Class: "challenge", Code: 540, Count: 1}}
	a.Counts.HoldLost = 4
	b.HoldErrors = []report.ErrorCount{{Phase: "ping", Class: "timeout", Count: 2}}
	b.Counts.HoldLost = 2

	m, err := report.Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if m.Counts.HoldLost != 6 {
		t.Errorf("merged HoldLost = %d, want 6", m.Counts.HoldLost)
	}
	want := []report.ErrorCount{{Phase: "ping", Class: "timeout", Count: 5}, {Phase: "qry", Class: "challenge", Code: 540, Count: 1}}
	if len(m.HoldErrors) != len(want) || m.HoldErrors[0] != want[0] || m.HoldErrors[1] != want[1] {
		t.Errorf("merged HoldErrors = %+v, want %+v", m.HoldErrors, want)
	}
	if m.Counts.Failed != a.Counts.Failed+b.Counts.Failed {
		t.Errorf("hold losses leaked into Failed")
	}

	for _, tt := range []struct {
		slo  string
		pass bool
	}{{"lost<1", false}, {"lost<=6", true}, {"lost<0.01%", false}, {"lost<50%", true}} {
		slo, err := report.ParseSLO(tt.slo)
		if err != nil {
			t.Fatal(err)
		}
		if got := slo.Check(m).Passed(); got != tt.pass {
			t.Errorf("%s on %d lost: pass = %v, want %v", tt.slo, m.Counts.HoldLost, got, tt.pass)
		}
	}
	if _, err := report.ParseSLO("ping:lost<1"); err == nil {
		t.Error("lost with a phase was accepted")
	}

	var buf bytes.Buffer
	if err := report.WriteText(&buf, m); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(buf.String(), "held sessions ended early") || !strings.Contains(buf.String(), "ping") {
		t.Errorf("text report does not show the held sessions that ended early:\n%s", buf.String())
	}

	// The JSON form round-trips, and a run without holds has no such keys.
	var js bytes.Buffer
	if err := report.Encode(&js, m); err != nil {
		t.Fatal(err)
	}
	back, err := report.Decode(&js)
	if err != nil {
		t.Fatal(err)
	}
	if back.Counts.HoldLost != 6 || len(back.HoldErrors) != 2 {
		t.Errorf("round trip lost the hold losses: %+v %+v", back.Counts, back.HoldErrors)
	}
	js.Reset()
	if err := report.Encode(&js, fixture.RecordedRun(t, false)); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(js.String(), "hold_") {
		t.Error("a run without held sessions carries hold keys")
	}
}
