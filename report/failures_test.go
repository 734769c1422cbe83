package report_test

import (
	"bytes"
	"strings"
	"testing"
	"time"

	"github.com/msnbench/msnbench/report"
)

// failRun is a small run of failures of class other, interrupted, whose
// workers backed off.
func failRun(t *testing.T, shard int) *report.Run {
	t.Helper()
	parts, _ := rpShardRuns(t, 2)
	run := parts[shard]
	run.Interrupted = shard == 0
	run.Errors = append(run.Errors, report.ErrorCount{Phase: "ds.connect", Class: "other", Count: 7})
	run.Counts.Failed += 7
	run.Counts.Attempted += 7
	run.ErrorTexts = []report.ErrorText{
		{Phase: "ds.connect", Class: "other", Message: "dial tcp: address 127.0.0.1:99999: invalid port", Count: 5},
		{Phase: "ds.connect", Class: "other", Message: "<b>markup</b> from a peer", Count: 1},
	}
	run.Health.BackoffTotal = report.Duration(1500 * time.Millisecond)
	run.Health.Backoffs = 12
	return run
}

// TestReportsShowFailFast: every format carries the interrupted mark, the
// messages of class other and the time spent backing off.
func TestReportsShowFailFast(t *testing.T) {
	run := failRun(t, 0)

	var text bytes.Buffer
	if err := report.WriteText(&text, run); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"INTERRUPTED", "invalid port", "5  dial tcp", "1 more with other messages",
		"backoff   1.5s in 12 waits"} {
		if !strings.Contains(text.String(), want) {
			t.Errorf("text report lacks %q:\n%s", want, text.String())
		}
	}

	var html bytes.Buffer
	if err := report.WriteHTML(&html, run); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"Interrupted:", "invalid port", "&lt;b&gt;markup&lt;/b&gt;", "1 more with other messages",
		"1.5s in 12 waits"} {
		if !strings.Contains(html.String(), want) {
			t.Errorf("HTML report lacks %q", want)
		}
	}

	var js bytes.Buffer
	if err := report.Encode(&js, run); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{`"interrupted": true`, `"error_texts"`, `"backoff_total": "1.5s"`, `"backoffs": 12`} {
		if !strings.Contains(js.String(), want) {
			t.Errorf("JSON lacks %s", want)
		}
	}
	back, err := report.Decode(&js)
	if err != nil {
		t.Fatal(err)
	}
	if !back.Interrupted || len(back.ErrorTexts) != 2 || back.Health.Backoffs != 12 ||
		back.Health.BackoffTotal != run.Health.BackoffTotal {
		t.Errorf("decoded %v %+v %+v", back.Interrupted, back.ErrorTexts, back.Health)
	}

	// A run that was neither interrupted nor failed says nothing of it.
	clean, _ := rpShardRuns(t, 1)
	var ct bytes.Buffer
	if err := report.WriteText(&ct, clean[0]); err != nil {
		t.Fatal(err)
	}
	for _, no := range []string{"INTERRUPTED", "error messages", "backoff"} {
		if strings.Contains(ct.String(), no) {
			t.Errorf("a clean run's text says %q", no)
		}
	}
}

func TestMergeFailFast(t *testing.T) {
	a, b := failRun(t, 0), failRun(t, 1)
	b.ErrorTexts = append(b.ErrorTexts, report.ErrorText{Phase: "ns.connect", Class: "other", Message: "m3", Count: 9},
		report.ErrorText{Phase: "ns.connect", Class: "other", Message: "m4", Count: 1},
		report.ErrorText{Phase: "ns.connect", Class: "other", Message: "m5", Count: 1},
		report.ErrorText{Phase: "ns.connect", Class: "other", Message: "m6", Count: 1})
	m, err := report.Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if !m.Interrupted {
		t.Error("merging an interrupted part gives a run not marked interrupted")
	}
	if m.Health.Backoffs != 24 || m.Health.BackoffTotal != report.Duration(3*time.Second) {
		t.Errorf("merged backoff %d %v", m.Health.Backoffs, time.Duration(m.Health.BackoffTotal))
	}
	if len(m.ErrorTexts) != report.MaxErrorTexts || m.ErrorTexts[0].Count != 10 || m.ErrorTexts[1].Message != "m3" {
		t.Errorf("merged texts %+v: want the %d most frequent, summed", m.ErrorTexts, report.MaxErrorTexts)
	}
}
