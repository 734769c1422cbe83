package report

import (
	"bytes"
	"strings"
	"testing"
)

// TestDeliverySLO: presence:lost counts and shares the notifications that
// never came; a run without presence has no value for it (a failure).
func TestDeliverySLO(t *testing.T) {
	run := rpRun(t, false)
	slo, err := ParseSLO("presence:lost<1")
	if err != nil {
		t.Fatal(err)
	}
	if rep := slo.Check(run); rep.Passed() || !rep[0].Missing {
		t.Errorf("no deliveries: %v, want a missing value", rep)
	}
	run.Deliveries = []Delivery{{Phase: "presence", Expected: 2000, Lost: 3}}
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
		slo, err := ParseSLO(tc.slo)
		if err != nil {
			t.Fatal(err)
		}
		if got := slo.Check(run)[0].String(); got != tc.text {
			t.Errorf("%s: %q, want %q", tc.slo, got, tc.text)
		}
	}
	for _, bad := range []string{"nosuch:lost<1", "presence:errors<1"} {
		if _, err := ParseSLO(bad); err == nil {
			t.Errorf("%s accepted", bad)
		}
	}
}

// TestDeliveryReports: every format shows the deliveries; merge adds them
// up by phase; JSON keeps them.
func TestDeliveryReports(t *testing.T) {
	a, b := rpRun(t, false), rpRun(t, false)
	a.Deliveries = []Delivery{{Phase: "presence", Expected: 100, Lost: 1}}
	b.Deliveries = []Delivery{{Phase: "presence", Expected: 50, Lost: 2, Duplicate: 1}}
	want := "presence: 100 notifications expected, 1 lost (1.00%)"
	for name, w := range map[string]func(*bytes.Buffer, *Run) error{
		"text":     func(buf *bytes.Buffer, r *Run) error { return WriteText(buf, r) },
		"markdown": func(buf *bytes.Buffer, r *Run) error { return WriteMarkdown(buf, r) },
		"html":     func(buf *bytes.Buffer, r *Run) error { return WriteHTML(buf, r) },
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
	if err := Encode(&buf, a); err != nil {
		t.Fatal(err)
	}
	back, err := Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	if d := back.Delivery("presence"); d == nil || *d != a.Deliveries[0] {
		t.Errorf("JSON round trip: %+v", back.Deliveries)
	}
	m := mergeDeliveries([]*Run{a, b})
	if len(m) != 1 || m[0] != (Delivery{Phase: "presence", Expected: 150, Lost: 3, Duplicate: 1}) {
		t.Errorf("merged %+v", m)
	}
}

// TestDeliveryCompare: compare shows each side's lost notifications in
// every format, and judges the share lost as the failure rate is (issue
// 14): 9 of 90 lost against none of 100 is a regression; the same counts
// on both sides are not. (Before, they were shown and never judged.)
func TestDeliveryCompare(t *testing.T) {
	a, b := rpRun(t, false), rpRun(t, false)
	a.Deliveries = []Delivery{{Phase: "presence", Expected: 100, Lost: 0}}
	b.Deliveries = []Delivery{{Phase: "presence", Expected: 90, Lost: 9}}
	c, err := Compare([]*Run{a}, []*Run{b}, CompareOptions{Resamples: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	if len(c.Deliveries) != 1 {
		t.Fatalf("deliveries %+v", c.Deliveries)
	}
	d := c.Deliveries[0]
	if d.Phase != "presence" || d.ExpectedA != 100 || d.ExpectedB != 90 || d.LostA != 0 || d.LostB != 9 {
		t.Fatalf("delivery %+v", d)
	}
	if d.Lost.Verdict != MoreFailures || d.Verdict() != MoreFailures || !c.Regressed(c.Threshold) {
		t.Errorf("9 of 90 lost against 0 of 100: verdict %q (%+v), regressed %v; want more failures, a regression",
			d.Verdict(), d.Lost, c.Regressed(c.Threshold))
	}
	for name, w := range map[string]func(*bytes.Buffer) error{
		"text":     func(buf *bytes.Buffer) error { return WriteCompareText(buf, c) },
		"markdown": func(buf *bytes.Buffer) error { return WriteCompareMarkdown(buf, c) },
		"html":     func(buf *bytes.Buffer) error { return WriteCompareHTML(buf, c) },
		"junit":    func(buf *bytes.Buffer) error { return WriteCompareJUnit(buf, c) },
	} {
		var buf bytes.Buffer
		if err := w(&buf); err != nil {
			t.Fatal(err)
		}
		s := buf.String()
		if !strings.Contains(s, "9 of 90 (10.0%)") {
			t.Errorf("%s: no lost notifications shown", name)
		}
		if !strings.Contains(s, string(MoreFailures)) {
			t.Errorf("%s: no verdict on the lost notifications", name)
		}
	}
	if s := summaryLine(c); !strings.Contains(s, "REGRESSION") || !strings.Contains(s, "more lost: presence") {
		t.Errorf("summary %q", s)
	}

	// The same losses on both sides, and duplicates.
	b.Deliveries = []Delivery{{Phase: "presence", Expected: 100, Lost: 0}, {Phase: "msg.deliver", Expected: 1000,
		Lost: 0, Duplicate: 40}}
	a.Deliveries = append(a.Deliveries, Delivery{Phase: "msg.deliver", Expected: 1000})
	if c, err = Compare([]*Run{a}, []*Run{b}, CompareOptions{Resamples: 200, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if len(c.Deliveries) != 2 || c.Deliveries[0].Verdict() != NoChange {
		t.Fatalf("deliveries %+v", c.Deliveries)
	}
	if m := c.Deliveries[1]; m.Phase != "msg.deliver" || m.Duplicated.Verdict != MoreFailures || !c.Regressed(c.Threshold) {
		t.Errorf("40 of 1000 duplicated against none: %+v, regressed %v", m, c.Regressed(c.Threshold))
	}
}
