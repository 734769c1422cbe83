package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/fixture"
)

func TestParseSLO(t *testing.T) {
	tests := []struct {
		in   string
		want []report.Threshold
		err  string
	}{
		{in: "login:p99<200ms, ns.usr.s:p50<5ms,errors<0.1%", want: []report.Threshold{
			{Phase: "login", Metric: "p99", Op: "<", Limit: 200e3},
			{Phase: "ns.usr.s", Metric: "p50", Op: "<", Limit: 5e3},
			{Metric: "errors", Op: "<", Limit: 0.001, Pct: true},
		}},
		{in: "p99.9<=1.5s", want: []report.Threshold{{Phase: "login", Metric: "p99.9", Op: "<=", Limit: 1.5e6}}},
		{in: "session:max < 2s , login:mean<900µs", want: []report.Threshold{
			{Phase: "session", Metric: "max", Op: "<", Limit: 2e6},
			{Phase: "login", Metric: "mean", Op: "<", Limit: 900},
		}},
		{in: "rate>500,dropped<=0,errors<10", want: []report.Threshold{
			{Metric: "rate", Op: ">", Limit: 500},
			{Metric: "dropped", Op: "<=", Limit: 0},
			{Metric: "errors", Op: "<", Limit: 10},
		}},
		{in: "login:p95>=1ms", want: []report.Threshold{{Phase: "login", Metric: "p95", Op: ">=", Limit: 1e3}}},
		{in: "", err: "no thresholds"},
		{in: "login:p99", err: "want metric<limit"},
		{in: "login:p98<1ms", err: "unknown metric"},
		{in: "lgin:p99<1ms", err: "unknown phase"},
		{in: "login:p99<fast", err: "bad duration"},
		{in: "login:p99<-1ms", err: "bad duration"},
		{in: "login:errors<1%", err: "takes no phase"},
		{in: "errors<lots", err: "bad limit"},
		{in: "login:p99<", err: "missing limit"},
		{in: ":p99<1ms", err: "empty phase"},
	}
	for _, tt := range tests {
		got, err := report.ParseSLO(tt.in)
		if tt.err != "" {
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("ParseSLO(%q): got %v, want error %q", tt.in, err, tt.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseSLO(%q): %v", tt.in, err)
			continue
		}
		if len(got) != len(tt.want) {
			t.Errorf("ParseSLO(%q) = %+v", tt.in, got)
			continue
		}
		for i := range got {
			got[i].Text = ""
			if got[i] != tt.want[i] {
				t.Errorf("ParseSLO(%q)[%d] = %+v, want %+v", tt.in, i, got[i], tt.want[i])
			}
		}
	}
}

func TestSLOCheck(t *testing.T) {
	run := fixture.RecordedRun(t, false) // login p99 4.46ms, errors 2.63%, 778.6 logins/s (over the measured window)
	login := run.Phase("login").Summary
	tests := []struct {
		slo  string
		pass bool
		text string
	}{
		{"login:p99<200ms", true, "PASS login p99 4.46ms < 200ms"},
		{"login:p99<4ms", false, "FAIL login p99 4.46ms < 4.00ms"},
		{"ns.usr.s:p50<5ms", true, "PASS ns.usr.s p50 909µs < 5.00ms"},
		{"errors<0.1%", false, "FAIL errors 2.63% < 0.10%"},
		{"errors<5%", true, "PASS errors 2.63% < 5.00%"},
		{"errors<=103", true, "PASS errors 103 <= 103"},
		{"rate>500", true, "PASS rate 778.6/s > 500.0/s"},
		{"rate>1000", false, "FAIL rate 778.6/s > 1000.0/s"},
		{"dropped<=0", true, "PASS dropped 0 <= 0"},
		{"login:max<1s", true, "PASS login max 80.4ms < 1.00s"},
		{"login:p95<1s", true, ""},
		{"ns.chg:p99<1s", false, "FAIL ns.chg p99: no values recorded (ns.chg:p99<1s)"},
	}
	for _, tt := range tests {
		slo, err := report.ParseSLO(tt.slo)
		if err != nil {
			t.Fatal(err)
		}
		rep := slo.Check(run)
		if len(rep) != 1 || rep.Passed() != tt.pass {
			t.Errorf("%s: %v, want pass=%v", tt.slo, rep, tt.pass)
			continue
		}
		if tt.text != "" && rep[0].String() != tt.text {
			t.Errorf("%s: %q, want %q", tt.slo, rep[0].String(), tt.text)
		}
	}
	if login.P99 != 4455 {
		t.Fatalf("synthetic login p99 changed to %d; update the table", login.P99)
	}
	// p95 is read from the histogram: between p90 and p99.
	slo, _ := report.ParseSLO("login:p95<1s")
	if m := slo.Check(run)[0].Measured; m < float64(login.P90) || m > float64(login.P99) {
		t.Errorf("p95 = %v, not within p90 %d .. p99 %d", m, login.P90, login.P99)
	}
	var buf bytes.Buffer
	slo, _ = report.ParseSLO("login:p99<200ms,errors<0.1%")
	rep := slo.Check(run)
	if _, err := rep.WriteTo(&buf); err != nil || buf.String() != "PASS login p99 4.46ms < 200ms\nFAIL errors 2.63% < 0.10%\n" {
		t.Errorf("WriteTo: %q %v", buf.String(), err)
	}
	if rep.Passed() {
		t.Error("a failing report passed")
	}
}

// TestSLODeliveryLost: phase:lost reads the phase's row of Run.Deliveries,
// as a count or a share of those expected; no row is no values.
func TestSLODeliveryLost(t *testing.T) {
	run := &report.Run{Deliveries: []report.Delivery{{Phase: "msg.deliver", Expected: 200, Lost: 2}}}
	for _, tt := range []struct {
		slo  string
		pass bool
		text string
	}{
		{"msg.deliver:lost<1", false, "FAIL msg.deliver lost 2 < 1"},
		{"msg.deliver:lost<=2", true, "PASS msg.deliver lost 2 <= 2"},
		{"msg.deliver:lost<2%", true, "PASS msg.deliver lost 1.00% < 2.00%"},
		{"presence:lost<1", false, "FAIL presence lost: no values recorded (presence:lost<1)"},
	} {
		slo, err := report.ParseSLO(tt.slo)
		if err != nil {
			t.Fatal(err)
		}
		rep := slo.Check(run)
		if rep.Passed() != tt.pass || rep[0].String() != tt.text {
			t.Errorf("%s: %q pass=%v, want %q pass=%v", tt.slo, rep[0].String(), rep.Passed(), tt.text, tt.pass)
		}
	}
	if _, err := report.ParseSLO("msg.dlvr:lost<1"); err == nil || !strings.Contains(err.Error(), "lost takes no phase") {
		t.Errorf("unknown phase: %v", err)
	}
}
