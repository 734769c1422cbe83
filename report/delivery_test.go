package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/fixture"
)

// TestDeliverySLO: presence:lost counts and shares the notifications that
// never came; a run without presence has no value for it (a failure).
func TestDeliverySLO(t *testing.T) {
	run := fixture.RecordedRun(t, false)
	slo, err := report.ParseSLO("presence:lost<1")
	if err != nil {
		t.Fatal(err)
	}
	if rep := slo.Check(run); rep.Passed() || !rep[0].Missing {
		t.Errorf("no deliveries: %v, want a missing value", rep)
	}
	run.Deliveries = []report.Delivery{{Phase: "presence", Expected: 2000, Lost: 3}}
	for _, tc := range []struct {
		slo  string
		text string
	}{
		{"presence:lost<1", "FAIL presence lost 3 < 1"},
		{"presence:lost<=3", "PASS presence lost 3 <= 3"},
		{"presence:lost<0.1%", "FAIL presence lost 0.15% < 0.10%"},
		{"presence:lost<1%", "PASS presence lost 0.15% < 1.00%"},
		{"lost<1", "PASS lost 0 < 1"}, // held sessions, as before
	} {
		slo, err := report.ParseSLO(tc.slo)
		if err != nil {
			t.Fatal(err)
		}
		if got := slo.Check(run)[0].String(); got != tc.text {
			t.Errorf("%s: %q, want %q", tc.slo, got, tc.text)
		}
	}
	for _, bad := range []string{"nosuch:lost<1", "presence:errors<1"} {
		if _, err := report.ParseSLO(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// TestDeliveryReports: every format shows the deliveries; merge adds them
// up by phase; JSON keeps them.
func TestDeliveryReports(t *testing.T) {
	a, b := fixture.RecordedRun(t, false), fixture.RecordedRun(t, false)
	a.Deliveries = []report.Delivery{{Phase: "presence", Expected: 100, Lost: 1}}
	b.Deliveries = []report.Delivery{{Phase: "presence", Expected: 50, Lost: 2, Duplicate: 1}}
	want := "presence: 100 notifications expected, 1 lost (1.00%)"
	for name, w := range map[string]func(*bytes.Buffer, *report.Run) error{
		"text":     func(buf *bytes.Buffer, r *report.Run) error { return report.WriteText(buf, r) },
		"markdown": func(buf *bytes.Buffer, r *report.Run) error { return report.WriteMarkdown(buf, r) },
		"html":     func(buf *bytes.Buffer, r *report.Run) error { return report.WriteHTML(buf, r) },
	} {
		var buf bytes.Buffer
		if err := w(&buf, a); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(buf.String(), want) {
			t.Errorf("%s: no %q", name, want)
		}
	}
	var buf bytes.Buffer
	if err := report.Encode(&buf, a); err != nil {
		t.Fatal(err)
	}
	back, err := report.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if d := back.Delivery("presence"); d == nil || *d != a.Deliveries[0] {
		t.Errorf("JSON round trip: %+v", back.Deliveries)
	}
	m := report.MergeDeliveries([]*report.Run{a, b})
	if len(m) != 1 || m[0] != (report.Delivery{Phase: "presence", Expected: 150, Lost: 3, Duplicate: 1}) {
		t.Errorf("merged %+v", m)
	}
}
