package report_test

import (
	"bytes"
	"encoding/json"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/fixture"
)

// rpShardRuns splits one synthetic set of sessions over n recorders, as n
// generators would, and returns their runs and the run of one recorder fed
// every session.
func rpShardRuns(t *testing.T, n int) (parts []*report.Run, whole *report.Run) {
	t.Helper()
	samples := fixture.Samples(7, 3000, 4*time.Second, true)
	end := int64(0)
	for _, s := range samples {
		end = max(end, s.End)
	}
	end += int64(time.Millisecond)
	finish := func(rec *report.Recorder, shard int) *report.Run {
		run := fixture.Meta(true)
		run.End = fixture.Start.Add(time.Duration(end))
		run.Shard = report.Shard{Index: shard, Count: n, Group: "g1", At: fixture.Start}
		run.Machine.Hostname = "gen" + string(rune('a'+shard))
		rec.Finish(run, end)
		return run
	}
	for i := 0; i < n; i++ {
		var mine []report.Sample
		for j := i; j < len(samples); j += n {
			mine = append(mine, samples[j])
		}
		rec := report.NewRecorder(2, time.Second)
		fixture.Feed(rec, mine, 2, time.Second)
		parts = append(parts, finish(rec, i))
	}
	rec := report.NewRecorder(3, time.Second)
	fixture.Feed(rec, samples, 3, time.Second)
	whole = finish(rec, 0)
	whole.Shard = report.Shard{}
	return parts, whole
}

// TestMergeEqualsOneRecorder: merging the shards gives exactly what one
// recorder fed all sessions gives: counts, errors, histograms byte for byte
// (whole run and every interval), series.
func TestMergeEqualsOneRecorder(t *testing.T) {
	parts, whole := rpShardRuns(t, 3)
	got, err := report.Merge(parts...)
	if err != nil {
		t.Fatal(err)
	}
	if got.Counts != whole.Counts {
		t.Errorf("counts %+v, want %+v", got.Counts, whole.Counts)
	}
	if !equalJSON(t, got.Errors, whole.Errors) {
		t.Errorf("errors %+v, want %+v", got.Errors, whole.Errors)
	}
	if len(got.Phases) != len(whole.Phases) {
		t.Fatalf("%d phases, want %d", len(got.Phases), len(whole.Phases))
	}
	for i := range whole.Phases {
		if !equalJSON(t, got.Phases[i], whole.Phases[i]) {
			t.Errorf("phase %s differs:\n got %+v\nwant %+v", whole.Phases[i].Name, got.Phases[i].Summary, whole.Phases[i].Summary)
		}
	}
	if !equalJSON(t, got.Series, whole.Series) {
		t.Errorf("series\n got %+v\nwant %+v", got.Series, whole.Series)
	}
	if got.Config.Rate != 800 || len(got.Health.Warnings) != 0 || got.Shard.Count != 3 || !equalJSON(t, got.Shard.Parts, []int{0, 1, 2}) {
		t.Errorf("config rate %v shard %+v", got.Config.Rate, got.Shard)
	}
	if got.Machine.Hostname != "gena,genb,genc" || got.Machine.NumCPU != 6 {
		t.Errorf("machine %+v", got.Machine)
	}
	if !got.Start.Equal(fixture.Start) || !got.End.Equal(whole.End) {
		t.Errorf("start %v end %v", got.Start, got.End)
	}
	if got.Health.CPUUserSec != 3*parts[0].Health.CPUUserSec || got.Health.NumGC != 36 {
		t.Errorf("health %+v", got.Health)
	}

	// Merging in steps gives the same result.
	ab, err := report.Merge(parts[0], parts[1])
	if err != nil {
		t.Fatal(err)
	}
	if w := ab.Health.Warnings; len(w) != 1 || !strings.Contains(w[0], "merged 2 of 3") {
		t.Errorf("partial merge warnings %q", w)
	}
	abc, err := report.Merge(ab, parts[2])
	if err != nil {
		t.Fatal(err)
	}
	if !equalJSON(t, abc.Phases, got.Phases) || !equalJSON(t, abc.Series, got.Series) || abc.Counts != got.Counts {
		t.Error("merge((a,b),c) differs from merge(a,b,c)")
	}
	// Another rate is another test (issue 10 item 12: it used to be a
	// warning); Force merges it with the warning.
	parts[2].Config.Rate = 900
	if _, err := report.Merge(parts...); !errors.Is(err, report.ErrNotOneRun) || !strings.Contains(err.Error(), "run 3 has a different rate (900) than run 1 (800)") {
		t.Errorf("different rate: %v", err)
	}
	if m, err := (report.MergeOptions{Force: true}).Merge(parts...); err != nil || len(m.Health.Warnings) != 1 || !strings.Contains(m.Health.Warnings[0], report.ForcedPrefix+"run 3 has a different rate") {
		t.Errorf("different rate, forced: %v %q", err, m.Health.Warnings)
	}
	parts[2].Config.Rate = 800
	parts[2].Config.MaxInflight = 50 // lowered on that generator's machine: the same test
	if m, err := report.Merge(parts...); err != nil || len(m.Health.Warnings) != 1 || !strings.Contains(m.Health.Warnings[0], "run 3 was started with a different --max-inflight") {
		t.Errorf("different --max-inflight: %v %q", err, m.Health.Warnings)
	}
	if _, err := report.Merge(ab, parts[1]); err == nil || !strings.Contains(err.Error(), "shard 1") {
		t.Errorf("re-merging shard 1: %v", err)
	}
}

// TestMergeAlignsByAbsoluteTime: a part that started two intervals later
// lands two intervals later in the merged run.
func TestMergeAlignsByAbsoluteTime(t *testing.T) {
	mk := func(start time.Time, idx int) *report.Run {
		rec := report.NewRecorder(1, time.Second)
		rec.Started(0, 0)
		rec.Record(0, rpOK(0, int64(500*time.Millisecond)))
		run := fixture.Meta(false)
		run.Start, run.End = start, start.Add(time.Second)
		run.Shard = report.Shard{Index: idx, Count: 2}
		rec.Finish(run, int64(time.Second))
		return run
	}
	a, b := mk(fixture.Start, 0), mk(fixture.Start.Add(2*time.Second+3*time.Millisecond), 1)
	m, err := report.Merge(b, a)
	if err != nil {
		t.Fatal(err)
	}
	login := m.Phase("login")
	if len(login.Intervals) != 2 || login.Intervals[0].Start != 0 || login.Intervals[1].Start != 2 {
		t.Errorf("intervals %+v", login.Intervals)
	}
	if len(m.Series) != 2 || m.Series[1].T != 2 || m.Series[1].OK != 1 {
		t.Errorf("series %+v", m.Series)
	}
	if !m.Start.Equal(fixture.Start) || !m.End.Equal(b.End) || login.Summary.Count != 2 {
		t.Errorf("start %v end %v count %d", m.Start, m.End, login.Summary.Count)
	}
}

func TestMergeRefuses(t *testing.T) {
	base := func() []*report.Run {
		parts, _ := rpShardRuns(t, 2)
		return parts
	}
	tests := []struct {
		name   string
		change func(a, b *report.Run)
		want   string
	}{
		{"target", func(a, b *report.Run) { b.Config.Target = "10.0.0.1:1863" }, "target"},
		{"steps", func(a, b *report.Run) { b.Config.Steps = []string{"syn", "chg"} }, "steps"},
		{"dialects", func(a, b *report.Run) { b.Config.Dialects = "MSNP2" }, "dialects"},
		{"interval", func(a, b *report.Run) { b.Config.Interval = report.Duration(2 * time.Second) }, "interval"},
		{"schema", func(a, b *report.Run) { b.Schema = 0 }, "schema"},
		{"group", func(a, b *report.Run) { b.Shard.Group = "other" }, "shard group"},
		{"count", func(a, b *report.Run) { b.Shard.Count = 3 }, "shard count"},
		{"duplicate", func(a, b *report.Run) { b.Shard.Index = 0 }, "shard 0 is in both"},
		{"range", func(a, b *report.Run) { b.Shard.Index = 5 }, "outside"},
		{"unsharded", func(a, b *report.Run) { b.Shard = report.Shard{Group: "g1"} }, "unsharded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			runs := base()
			tt.change(runs[0], runs[1])
			_, err := report.Merge(runs...)
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error about %q", err, tt.want)
			}
		})
	}
	if _, err := report.Merge(); err == nil {
		t.Error("Merge() succeeded")
	}
}

// TestMergeRefusesOtherConfigurations: parts of one run differ only in
// their shard; any other setting of the test makes them different tests
// (issue 10 item 12), refused with ErrNotOneRun unless forced.
func TestMergeRefusesOtherConfigurations(t *testing.T) {
	for _, tt := range []struct {
		name   string
		change func(c *report.Config)
		want   string
	}{
		{"model", func(c *report.Config) { c.Model, c.Rate, c.Concurrency = "open", 100, 0 }, "load model"},
		{"concurrency", func(c *report.Config) { c.Concurrency = 7 }, "concurrency"},
		{"duration", func(c *report.Config) { c.Duration = report.Duration(time.Minute) }, "duration"},
		{"hold", func(c *report.Config) { c.Hold = report.Duration(time.Minute) }, "hold"},
		{"accounts", func(c *report.Config) { c.Accounts = 99 }, "accounts"},
		{"timeout", func(c *report.Config) { c.Timeout = report.Duration(time.Second) }, "timeout"},
		{"steps", func(c *report.Config) { c.Steps = nil }, "steps"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			a, b := fixture.RecordedRun(t, false), fixture.RecordedRun(t, false)
			b.ID = "b"
			tt.change(&b.Config)
			_, err := report.Merge(a, b)
			if !errors.Is(err, report.ErrNotOneRun) || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want ErrNotOneRun about %q", err, tt.want)
			}
			m, err := report.MergeOptions{Force: true}.Merge(a, b)
			if err != nil || len(m.Health.Warnings) == 0 || !strings.HasPrefix(m.Health.Warnings[0], report.ForcedPrefix) {
				t.Errorf("forced: %v, warnings %q", err, m.Health.Warnings)
			}
		})
	}
}

// TestMergeRefusesRunTwice: the same run given twice, by ID, inside an
// already merged run, or (runs saved before IDs) by start, configuration,
// shard and counts, is refused (issue 10 item 12); two independent
// generators of one test are not.
func TestMergeRefusesRunTwice(t *testing.T) {
	a, b := fixture.RecordedRun(t, false), fixture.RecordedRun(t, false)
	a.ID, b.ID = report.NewRunID(), report.NewRunID()
	if a.ID == b.ID || len(a.ID) != 32 {
		t.Fatalf("run IDs %q and %q", a.ID, b.ID)
	}
	ab, err := report.Merge(a, b)
	if err != nil {
		t.Fatalf("two generators of one test: %v", err)
	}
	if ab.Counts.Attempted != 2*a.Counts.Attempted || len(ab.PartIDs) != 2 || ab.ID == "" || ab.ID == a.ID {
		t.Errorf("merged counts %+v, id %q, parts %q", ab.Counts, ab.ID, ab.PartIDs)
	}
	c := fixture.RecordedRun(t, false)
	c.ID = report.NewRunID()
	for _, tt := range []struct {
		name string
		runs []*report.Run
		want string
	}{
		{"same ID", []*report.Run{a, a}, "run 2 is run 1 again (run ID " + a.ID + ")"},
		{"inside a merged run", []*report.Run{ab, c, b}, "run 3 and run 1 hold the same part (run ID " + b.ID + ")"},
		{"legacy", []*report.Run{fixture.RecordedRun(t, false), fixture.RecordedRun(t, false)}, "run 2 is run 1 again (same start, end, configuration, shard and counts)"},
	} {
		_, err := report.Merge(tt.runs...)
		if !errors.Is(err, report.ErrNotOneRun) || !strings.Contains(err.Error(), tt.want) {
			t.Errorf("%s: got %v, want %q", tt.name, err, tt.want)
		}
	}
	m, err := report.MergeOptions{Force: true}.Merge(a, a)
	if err != nil || m.Counts.Attempted != 2*a.Counts.Attempted || len(m.Health.Warnings) != 1 {
		t.Errorf("forced: %v, counts %+v, warnings %q", err, m.Counts, m.Health.Warnings)
	}
	// A legacy run differs from another in its start.
	l1, l2 := fixture.RecordedRun(t, false), fixture.RecordedRun(t, false)
	l2.Start = l2.Start.Add(time.Minute)
	l2.End = l2.End.Add(time.Minute)
	if _, err := report.Merge(l1, l2); err != nil {
		t.Errorf("two legacy runs at different times: %v", err)
	}
}

func equalJSON(t *testing.T, a, b any) bool {
	t.Helper()
	var x, y bytes.Buffer
	if err := jsonEncodeAny(&x, a); err != nil {
		t.Fatal(err)
	}
	if err := jsonEncodeAny(&y, b); err != nil {
		t.Fatal(err)
	}
	return bytes.Equal(x.Bytes(), y.Bytes())
}

// TestHeldInSeries: the held sessions of each interval are added up by
// merge and drawn in the HTML report beside those in flight.
func TestHeldInSeries(t *testing.T) {
	a, b := fixture.RecordedRun(t, false), fixture.RecordedRun(t, false)
	for i := range a.Series {
		a.Series[i].Held = 3
	}
	for i := range b.Series {
		b.Series[i].Held = 4
	}
	m, err := (report.MergeOptions{Force: true}).Merge(a, b)
	if err != nil {
		t.Fatal(err)
	}
	if len(m.Series) == 0 || m.Series[0].Held != 7 {
		t.Fatalf("merged series %+v, want 7 held", m.Series)
	}
	var buf bytes.Buffer
	if err := report.WriteHTML(&buf, m); err != nil {
		t.Fatal(err)
	}
	if page := buf.String(); !strings.Contains(page, "Sessions in flight and held") || !strings.Contains(page, "held (logged in)") {
		t.Error("the HTML report does not draw the held sessions")
	}
}

func jsonEncodeAny(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }
