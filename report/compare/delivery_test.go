package compare

import (
	"bytes"
	"strings"
	"testing"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/fixture"
)

// TestDeliveryCompare: compare shows each side's lost notifications in
// every format, and judges the share lost as the failure rate is (issue
// 14): 9 of 90 lost against none of 100 is a regression; the same counts
// on both sides are not. (Before, they were shown and never judged.)
func TestDeliveryCompare(t *testing.T) {
	a, b := fixture.RecordedRun(t, false), fixture.RecordedRun(t, false)
	a.Deliveries = []report.Delivery{{Phase: "presence", Expected: 100, Lost: 0}}
	b.Deliveries = []report.Delivery{{Phase: "presence", Expected: 90, Lost: 9}}
	c, err := Compare([]*report.Run{a}, []*report.Run{b}, Options{Resamples: 200, Seed: 1})
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
		"text":     func(buf *bytes.Buffer) error { return WriteText(buf, c) },
		"markdown": func(buf *bytes.Buffer) error { return WriteMarkdown(buf, c) },
		"html":     func(buf *bytes.Buffer) error { return WriteHTML(buf, c) },
		"junit":    func(buf *bytes.Buffer) error { return WriteJUnit(buf, c) },
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
	b.Deliveries = []report.Delivery{{Phase: "presence", Expected: 100, Lost: 0}, {Phase: "msg.deliver", Expected: 1000,
		Lost: 0, Duplicate: 40}}
	a.Deliveries = append(a.Deliveries, report.Delivery{Phase: "msg.deliver", Expected: 1000})
	if c, err = Compare([]*report.Run{a}, []*report.Run{b}, Options{Resamples: 200, Seed: 1}); err != nil {
		t.Fatal(err)
	}
	if len(c.Deliveries) != 2 || c.Deliveries[0].Verdict() != NoChange {
		t.Fatalf("deliveries %+v", c.Deliveries)
	}
	if m := c.Deliveries[1]; m.Phase != "msg.deliver" || m.Duplicated.Verdict != MoreFailures || !c.Regressed(c.Threshold) {
		t.Errorf("40 of 1000 duplicated against none: %+v, regressed %v", m, c.Regressed(c.Threshold))
	}
}
