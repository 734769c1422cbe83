package report_test

import (
	"bytes"
	"encoding/json"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/fixture"
)

// TestOnIntervalSums: the intervals OnInterval reports add up to the run
// Finish produces: counts, failures by class, and every phase's count.
func TestOnIntervalSums(t *testing.T) {
	samples := fixture.Samples(42, 4000, 5*time.Second, false)
	rec := report.NewRecorder(4, time.Second)
	var got []*report.IntervalStats
	var lines bytes.Buffer
	rec.OnInterval(fixture.Start, func(s *report.IntervalStats) {
		got = append(got, s)
		if err := report.WriteIntervalJSON(&lines, s); err != nil {
			t.Fatal(err)
		}
	})
	last := fixture.Feed(rec, samples, 4, time.Second)
	end := last + int64(time.Millisecond)
	run := fixture.Meta(false)
	run.End = fixture.Start.Add(time.Duration(end))
	rec.Finish(run, end)

	if len(got) != len(run.Series) || len(got) < 5 {
		t.Fatalf("%d intervals reported, the run has %d", len(got), len(run.Series))
	}
	var sum report.IntervalStats
	byClass := map[string]int64{}
	phases := map[string]int64{}
	for i, s := range got {
		if s.Index != int64(i) || !s.Start.Equal(fixture.Start.Add(time.Duration(i)*time.Second)) || !s.End.After(s.Start) {
			t.Errorf("interval %d: index %d, %s .. %s", i, s.Index, s.Start, s.End)
		}
		sum.Started += s.Started
		sum.OK += s.OK
		sum.Failed += s.Failed
		sum.Warmup += s.Warmup
		for c, n := range s.FailedByClass {
			byClass[c] += n
		}
		var errSum int64
		for _, e := range s.Errors {
			errSum += e.Count
		}
		if errSum != sumValues(s.FailedByClass) {
			t.Errorf("interval %d: errors sum to %d, failed_by_class to %d", i, errSum, sumValues(s.FailedByClass))
		}
		for _, p := range s.Phases {
			phases[p.Phase] += p.Count
			if !(p.P50 <= p.P90 && p.P90 <= p.P99 && p.P99 <= p.Max) {
				t.Errorf("interval %d %s: percentiles out of order %+v", i, p.Phase, p)
			}
		}
	}
	if lastEnd := got[len(got)-1].End; !lastEnd.Equal(run.End) {
		t.Errorf("last interval ends %s, the run %s", lastEnd, run.End)
	}
	c := run.Counts
	if sum.OK != c.OK || sum.Failed != c.Failed || sum.Warmup != c.Warmup || c.Failed == 0 {
		t.Errorf("intervals sum to ok %d failed %d warm-up %d, the run has %+v", sum.OK, sum.Failed, sum.Warmup, c)
	}
	wantClass := map[string]int64{}
	for _, e := range run.Errors {
		wantClass[e.Class] += e.Count
	}
	for cl, n := range wantClass {
		if byClass[cl] != n {
			t.Errorf("failed_by_class %s sums to %d, the run has %d", cl, byClass[cl], n)
		}
	}
	// The run's series splits its failures by class as the intervals did.
	for i, pt := range run.Series {
		if sumValues(pt.FailedByClass) != pt.Failed || !reflect.DeepEqual(pt.FailedByClass, got[i].FailedByClass) && pt.Failed > 0 {
			t.Errorf("series point %d: failed %d, by class %v; interval %v", i, pt.Failed, pt.FailedByClass, got[i].FailedByClass)
		}
	}
	for _, p := range run.Phases {
		if phases[p.Name] != p.Summary.Count {
			t.Errorf("phase %s: intervals sum to %d, the run has %d", p.Name, phases[p.Name], p.Summary.Count)
		}
	}
	// The last interval's totals are the run's phases.
	totals := got[len(got)-1].Total
	if len(totals) != len(run.Phases) {
		t.Fatalf("%d totals, %d phases", len(totals), len(run.Phases))
	}
	for i, pt := range totals {
		if p := run.Phases[i]; pt.Phase != p.Name || pt.Summary != p.Summary {
			t.Errorf("total %s %+v, run %s %+v", pt.Phase, pt.Summary, p.Name, p.Summary)
		}
	}

	// Each line is one JSON object with the documented fields.
	rows := strings.Split(strings.TrimSuffix(lines.String(), "\n"), "\n")
	if len(rows) != len(got) {
		t.Fatalf("%d lines for %d intervals", len(rows), len(got))
	}
	for _, row := range rows {
		var m map[string]any
		if err := json.Unmarshal([]byte(row), &m); err != nil {
			t.Fatalf("%v: %s", err, row)
		}
		for _, k := range []string{"interval", "start", "end", "ok", "failed", "in_flight", "failed_by_class", "phases"} {
			if _, ok := m[k]; !ok {
				t.Errorf("line lacks %q: %s", k, row)
			}
		}
	}
}

func sumValues(m map[string]int64) int64 {
	var n int64
	for _, v := range m {
		n += v
	}
	return n
}

// TestTotalOfBuckets: PhaseTotal.Buckets, from the packed histogram's
// buckets, are the counts of values whose highest equivalent value is at or
// below each bound, as the dense histogram's Distribution gives them, and
// cumulative, ending at the count.
func TestTotalOfBuckets(t *testing.T) {
	h, dense := report.NewPackedHist(), report.NewHist()
	// Values around every bound (below, at, just above, a HDR bucket above)
	// and a spread across the range, some above the last bound.
	var vals []int64
	for _, b := range report.LatencyBounds {
		vals = append(vals, b-1, b, b+1, b+b/500+1)
	}
	for v := int64(1); v < 2*report.HistMax/3; v = v*3/2 + 7 {
		vals = append(vals, v)
	}
	for i, v := range vals {
		n := int64(i%3 + 1)
		if err := h.RecordValues(v, n); err != nil {
			t.Fatal(err)
		}
		if err := dense.RecordValues(v, n); err != nil {
			t.Fatal(err)
		}
	}
	tot := report.TotalOf("login", h)
	if tot.Phase != "login" || tot.Count != h.TotalCount() || len(tot.Buckets) != len(report.LatencyBounds) {
		t.Fatalf("TotalOf: phase %q count %d, %d buckets", tot.Phase, tot.Count, len(tot.Buckets))
	}
	for i, b := range report.LatencyBounds {
		var want int64
		for _, bar := range dense.Distribution() {
			if bar.To <= b {
				want += bar.Count
			}
		}
		if tot.Buckets[i] != want {
			t.Errorf("le %dµs: %d, want %d", b, tot.Buckets[i], want)
		}
		if i > 0 && tot.Buckets[i] < tot.Buckets[i-1] {
			t.Errorf("le %dµs: %d below the bucket before (%d)", b, tot.Buckets[i], tot.Buckets[i-1])
		}
	}
	if last := tot.Buckets[len(tot.Buckets)-1]; last >= tot.Count || last == 0 {
		t.Errorf("last bucket %d of %d: the test wants values above it", last, tot.Count)
	}
}
