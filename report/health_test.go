package report_test

import (
	"bytes"
	"math"
	"strings"
	"testing"
	"time"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/fixture"
)

// limitedRun is a run whose generator other processes kept waiting.
func limitedRun(t *testing.T) *report.Run {
	run := fixture.RecordedRun(t, true)
	h := &run.Health
	h.Cores, h.CPUUtil = 1, 0.14
	h.SchedLagP50Us, h.SchedLagP99Us, h.SchedLagMaxUs = 27700, 181000, 240000
	h.ReadLagMeanUs, h.ReadLagShare = 7100, 0.78
	h.RunQueueKnown, h.RunQueueSec, h.MachineCPU, h.OtherCPU, h.Steal = true, 8.1, 1, 0.96, 0.002
	h.MachineBusy, h.Limited = true, true
	h.Warnings = []string{"other processes used 96% of the machine's CPU time"}
	return run
}

// TestHealthEvidenceInReports: every report shows the figures the verdict
// rests on, and which verdict it is.
func TestHealthEvidenceInReports(t *testing.T) {
	run := limitedRun(t)
	var text, html, js, md, junit bytes.Buffer
	if err := report.WriteText(&text, run); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteHTML(&html, run); err != nil {
		t.Fatal(err)
	}
	if err := report.Encode(&js, run); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteMarkdown(&md, run); err != nil {
		t.Fatal(err)
	}
	if err := report.WriteJUnit(&junit, report.SLOJUnit(run, nil)); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name, got string
		want      []string
	}{
		{"text", text.String(), []string{"14.0% of 1 CPUs it may use", "sched lag p50 27.7ms p99 181ms",
			"read.lag 7.10ms per session (78.0% of the session time)", "run-queue wait 8.10s (82.2% of the time msnbench was ready to run)",
			"machine 100.0% busy (other processes 96.0%, steal 0.20%)", "WARNING: other processes kept the machine busy: msnbench waited",
			"WARNING: other processes used 96%"}},
		{"html", html.String(), []string{"Other processes kept the machine busy during this run", "run-queue wait",
			"8.10s, 82.2% of the time msnbench was ready to run", "other processes 96.0%", "7.10ms per session",
			"MACHINE BUSY: other processes kept the machine busy", "p50 27.7ms"}},
		{"json", js.String(), []string{`"runq_wait_s": 8.1`, `"other_cpu": 0.96`, `"machine_busy": true`, `"limited": true`,
			`"read_lag_share": 0.78`, `"cores": 1`, `"sched_lag_p50_us": 27700`}},
		{"markdown", md.String(), []string{"other processes kept the machine busy: msnbench waited",
			"run-queue wait 8.10s (82.2% of the time msnbench was ready to run)", "other processes used 96%"}},
		{"junit", junit.String(), []string{"WARNING: other processes kept the machine busy: msnbench waited",
			"run-queue wait 8.10s"}},
	} {
		for _, w := range tc.want {
			if !strings.Contains(tc.got, w) {
				t.Errorf("%s report does not say %q", tc.name, w)
			}
		}
	}
	if strings.Contains(text.String(), "itself was the bottleneck") || strings.Contains(html.String(), "SATURATED") {
		t.Error("a machine-busy run is reported as saturated")
	}
	back, err := report.Decode(&js)
	if err != nil {
		t.Fatal(err)
	}
	if h := back.Health; !h.MachineBusy || !h.Limited || h.Saturated || h.RunQueueSec != 8.1 || !h.RunQueueKnown {
		t.Errorf("JSON round trip: %+v", h)
	}

	// Neither verdict: the evidence is shown and the verdict says so.
	text.Reset()
	if err := report.WriteText(&text, fixture.RecordedRun(t, true)); err != nil {
		t.Fatal(err)
	}
	if s := text.String(); !strings.Contains(s, "generator verdict: not limited") || strings.Contains(s, "WARNING") {
		t.Errorf("an unlimited run:\n%s", s)
	}
}

// TestDecodeOldSaturatedIsLimited: a run written before Limited existed
// and marked saturated is limited for every reader (compare among them).
func TestDecodeOldSaturatedIsLimited(t *testing.T) {
	run := fixture.RecordedRun(t, false)
	run.Health.Saturated = true
	var buf bytes.Buffer
	if err := report.Encode(&buf, run); err != nil {
		t.Fatal(err)
	}
	old := strings.Replace(buf.String(), `"limited": false`, "", 1)
	old = strings.Replace(old, `"saturated": true,`, `"saturated": true`, 1)
	got, err := report.Decode(strings.NewReader(old))
	if err != nil {
		t.Fatal(err)
	}
	if !got.Health.Limited {
		t.Error("an old saturated run is not limited")
	}
}

// TestMergeKeepsVerdicts: a merged run is limited when any part was, and
// keeps the evidence: run-queue waits add up, machine shares take the
// largest, read.lag comes from the merged histograms.
func TestMergeKeepsVerdicts(t *testing.T) {
	parts, _ := rpShardRuns(t, 2)
	parts[1].Health.MachineBusy, parts[1].Health.Limited = true, true
	parts[1].Health.RunQueueSec, parts[1].Health.OtherCPU = 2, 0.9
	got, err := report.Merge(parts...)
	if err != nil {
		t.Fatal(err)
	}
	h := got.Health
	if !h.MachineBusy || !h.Limited || h.Saturated || !h.RunQueueKnown || h.RunQueueSec != 2.125 || h.OtherCPU != 0.9 || h.Cores != 2 {
		t.Errorf("merged health %+v", h)
	}
	if rl := got.Phase(report.ReadLag.String()); rl != nil && h.ReadLagMeanUs != int64(rl.Summary.Mean) {
		t.Errorf("read.lag mean %d, merged phase %v", h.ReadLagMeanUs, rl.Summary.Mean)
	}
}

// TestReadLagShare: read.lag is a share of the session phase (the span it
// covers), of login only in runs without one; a merged run uses the same
// rule as a recorded one (it used login, and disagreed with the recorder).
func TestReadLagShare(t *testing.T) {
	phase := func(name string, mean float64) report.PhaseResult {
		return report.PhaseResult{Name: name, Summary: report.Summary{Count: 10, Mean: mean}}
	}
	for _, tc := range []struct {
		name      string
		phases    []report.PhaseResult
		mean      int64
		wantShare float64
	}{
		{"session", []report.PhaseResult{phase("login", 2000), phase("session", 4000), phase("read.lag", 1000)}, 1000, 0.25},
		{"login only", []report.PhaseResult{phase("login", 2000), phase("read.lag", 1000)}, 1000, 0.5},
		{"no read.lag", []report.PhaseResult{phase("login", 2000)}, 0, 0},
	} {
		r := &report.Run{Phases: tc.phases}
		if mean, share := r.ReadLag(); mean != tc.mean || share != tc.wantShare {
			t.Errorf("%s: ReadLag() = %d, %v; want %d, %v", tc.name, mean, share, tc.mean, tc.wantShare)
		}
	}

	// Two shards whose sessions have a read.lag of 1 ms each.
	samples := fixture.Samples(7, 400, time.Second, true)
	end := int64(0)
	for i := range samples {
		samples[i].Set(report.ReadLag, int64(time.Millisecond))
		end = max(end, samples[i].End)
	}
	end += int64(time.Millisecond)
	var parts []*report.Run
	for i := 0; i < 2; i++ {
		rec := report.NewRecorder(2, time.Second)
		var mine []report.Sample
		for j := i; j < len(samples); j += 2 {
			mine = append(mine, samples[j])
		}
		fixture.Feed(rec, mine, 2, time.Second)
		run := fixture.Meta(true)
		run.End = fixture.Start.Add(time.Duration(end))
		run.Shard = report.Shard{Index: i, Count: 2, Group: "g1", At: fixture.Start}
		rec.Finish(run, end)
		parts = append(parts, run)
	}
	got, err := report.Merge(parts...)
	if err != nil {
		t.Fatal(err)
	}
	session := got.Phase(report.Session.String())
	if got.Phase(report.ReadLag.String()) == nil || session == nil {
		t.Fatal("the merged run has no read.lag or session phase")
	}
	want := 1000 / session.Summary.Mean
	if got.Health.ReadLagMeanUs != 1000 || math.Abs(got.Health.ReadLagShare-want) > 1e-9 {
		t.Errorf("merged health: read.lag %d µs, share %v; want 1000 µs, %v (of the session's mean %v µs)",
			got.Health.ReadLagMeanUs, got.Health.ReadLagShare, want, session.Summary.Mean)
	}
}
