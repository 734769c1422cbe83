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
// every format, without judging them.
func TestDeliveryCompare(t *testing.T) {
	a, b := rpRun(t, false), rpRun(t, false)
	a.Deliveries = []Delivery{{Phase: "presence", Expected: 100, Lost: 0}}
	b.Deliveries = []Delivery{{Phase: "presence", Expected: 90, Lost: 9}}
	c, err := Compare([]*Run{a}, []*Run{b}, CompareOptions{Resamples: 200, Seed: 1})
	if err != nil {
		t.Fatal(err)
	}
	want := DeliveryChange{Phase: "presence", ExpectedA: 100, ExpectedB: 90, LostB: 9}
	if len(c.Deliveries) != 1 || c.Deliveries[0] != want {
		t.Fatalf("deliveries %+v", c.Deliveries)
	}
	for name, w := range map[string]func(*bytes.Buffer) error{
		"text":     func(buf *bytes.Buffer) error { return WriteCompareText(buf, c) },
		"markdown": func(buf *bytes.Buffer) error { return WriteCompareMarkdown(buf, c) },
		"html":     func(buf *bytes.Buffer) error { return WriteCompareHTML(buf, c) },
	} {
		var buf bytes.Buffer
		if err := w(&buf); err != nil {
			t.Fatal(err)
		}
		if s := buf.String(); !strings.Contains(s, "9 of 90 (10.0%)") {
			t.Errorf("%s: no lost notifications shown", name)
		}
	}
}

// TestDeliveryLineNames: messages are messages, notifications are
// notifications, each with its own reason when none was expected.
func TestDeliveryLineNames(t *testing.T) {
	for _, tc := range []struct {
		d    Delivery
		want string
	}{
		{Delivery{Phase: "msg.deliver", Expected: 2732}, "msg.deliver: 2732 messages expected, 0 lost (0%)"},
		{Delivery{Phase: "msg.deliver"}, "msg.deliver: 0 messages expected, 0 lost (0%) (no message went to a user held by this run)"},
		{Delivery{Phase: "presence", Expected: 3, Lost: 1}, "presence: 3 notifications expected, 1 lost (33.3%)"},
	} {
		if got := deliveryLine(&tc.d); got != tc.want {
			t.Errorf("got  %q\nwant %q", got, tc.want)
		}
	}
}
