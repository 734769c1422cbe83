package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/fixture"
)

// TestCutIsNotAFailure: sessions cut by the end of the run have their own
// count and table, which failure rates and the errors SLO leave out, the
// text and HTML show, and merge adds up (issue 10 item 5).
func TestCutIsNotAFailure(t *testing.T) {
	run := fixture.CutRun(t, 0)
	c := run.Counts
	if c.Attempted != 2 || c.OK != 1 || c.Failed != 1 || c.Cut != 2 {
		t.Fatalf("counts %+v, want 2 attempted, 1 ok, 1 failed, 2 cut", c)
	}
	if len(run.Errors) != 1 || run.Errors[0].Code != 911 {
		t.Fatalf("errors %+v, want only the 911", run.Errors)
	}
	if len(run.Cuts) != 1 || run.Cuts[0] != (report.ErrorCount{Phase: "ns.syn", Class: "cut", Count: 2}) {
		t.Fatalf("cuts %+v", run.Cuts)
	}
	if got := run.ErrorRate(); got != 0.5 {
		t.Errorf("error rate %v, want 0.5 (1 of 2 that ended; cut ones left out)", got)
	}
	slo, err := report.ParseSLO("errors<=1, errors<60%")
	if err != nil {
		t.Fatal(err)
	}
	if res := slo.Check(run); !res.Passed() {
		t.Errorf("SLO counts the cut sessions: %v", res)
	}
	var txt, html bytes.Buffer
	if err := report.WriteText(&txt, run); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"1 failed (50.0%), 2 cut by the end of the run (not failures)",
		"sessions cut by the end of the run", "ns.syn            cut"} {
		if !strings.Contains(txt.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, txt.String())
		}
	}
	if err := report.WriteHTML(&html, run); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(html.String(), "Sessions cut by the end of the run") {
		t.Error("HTML report does not show the cut sessions")
	}
	var js bytes.Buffer
	if err := report.Encode(&js, run); err != nil {
		t.Fatal(err)
	}
	back, err := report.Decode(&js)
	if err != nil {
		t.Fatal(err)
	}
	if back.Counts != run.Counts || len(back.Cuts) != 1 {
		t.Errorf("JSON round trip: counts %+v cuts %+v", back.Counts, back.Cuts)
	}

	m, err := report.Merge(fixture.CutRun(t, 0), fixture.CutRun(t, 1))
	if err != nil {
		t.Fatal(err)
	}
	if m.Counts.Cut != 4 || m.Counts.Failed != 2 || len(m.Cuts) != 1 || m.Cuts[0].Count != 4 {
		t.Errorf("merged counts %+v cuts %+v, want 4 cut, 2 failed", m.Counts, m.Cuts)
	}
	var cut int64
	for _, pt := range m.Series {
		cut += pt.Cut
	}
	if cut != 4 {
		t.Errorf("merged series counts %d cut, want 4", cut)
	}
}

// TestDecodeOldCanceled: a run written before "cut" counted those
// sessions as failures of class "canceled"; it is read with today's
// meaning.
func TestDecodeOldCanceled(t *testing.T) {
	run := fixture.CutRun(t, 0)
	run.Errors = append(run.Errors, report.ErrorCount{Phase: "ns.syn", Class: "canceled", Count: 2})
	run.Cuts = nil
	run.Counts.Cut = 0
	run.Counts.Failed += 2
	run.Counts.Attempted += 2
	var js bytes.Buffer
	if err := report.Encode(&js, run); err != nil {
		t.Fatal(err)
	}
	got, err := report.Decode(&js)
	if err != nil {
		t.Fatal(err)
	}
	if got.Counts.Cut != 2 || got.Counts.Failed != 1 || got.Counts.Attempted != 2 || len(got.Errors) != 1 ||
		len(got.Cuts) != 1 || got.Cuts[0].Class != "cut" {
		t.Fatalf("counts %+v errors %+v cuts %+v", got.Counts, got.Errors, got.Cuts)
	}
}
