package report_test

import (
	"fmt"
	"math"
	"math/rand/v2"
	"os"
	"time"

	"github.com/msnbench/msnbench/report"
)

// A load generator records each finished session into its worker's stripe,
// ticks once per interval, and finishes the Run at the end.
func ExampleRecorder() {
	rec := report.NewRecorder(4, time.Second)
	for i := 0; i < 100; i++ {
		start := int64(i) * int64(10*time.Millisecond)
		rec.Started(i, start)
		s := report.Sample{Intended: start, Start: start, End: start + 3e6}
		s.Set(report.DSConnect, 150e3)
		s.Set(report.Login, 2e6+int64(i)*10e3)
		rec.Record(i, &s) // worker i records into stripe i mod 4
		rec.Tick(s.End)   // normally a ticker goroutine, once per interval
	}
	run := &report.Run{Config: report.Config{Model: "closed"}}
	rec.Finish(run, int64(time.Second+5e6))
	login := run.Phase("login")
	fmt.Println(run.Counts.OK, len(run.Series), login.Summary.Count, login.Summary.P50, login.Summary.Max)
	// Output: 100 2 100 2491 2991
}

func ExampleParseSLO() {
	slo, err := report.ParseSLO("login:p99<200ms, ns.usr.s:p50<5ms, errors<0.1%")
	if err != nil {
		fmt.Println(err)
		return
	}
	run := &report.Run{
		Counts: report.Counts{Attempted: 1000, OK: 998, Failed: 2},
		Phases: []report.PhaseResult{
			{Name: "login", Summary: report.Summary{Count: 998, P99: 183_000}},
			{Name: "ns.usr.s", Summary: report.Summary{Count: 998, P50: 1_200}},
		},
	}
	res := slo.Check(run)
	res.WriteTo(os.Stdout)
	fmt.Println("passed:", res.Passed())
	// Output:
	// PASS login p99 183ms < 200ms
	// PASS ns.usr.s p50 1.20ms < 5.00ms
	// FAIL errors 0.20% < 0.10%
	// passed: false
}

// Merge joins the parts of a sharded run exactly.
func ExampleMerge() {
	start := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	part := func(shard int) *report.Run {
		rec := report.NewRecorder(1, time.Second)
		for i := 0; i < 10; i++ {
			s := report.Sample{End: 5e6}
			s.Set(report.Login, int64(shard+1)*1e6)
			rec.Record(0, &s)
		}
		run := &report.Run{
			Schema: report.SchemaVersion, Start: start, End: start.Add(time.Second),
			Config: report.Config{Target: "ns.example:1863", Interval: report.Duration(time.Second)},
			Shard:  report.Shard{Index: shard, Count: 2, Group: "demo"},
		}
		rec.Finish(run, int64(time.Second))
		return run
	}
	all, err := report.Merge(part(0), part(1))
	if err != nil {
		fmt.Println(err)
		return
	}
	s := all.Phase("login").Summary
	fmt.Println(all.Counts.OK, all.Shard.Parts, s.Count, s.P50, s.Max)
	// Output: 20 [0 1] 20 1000 2000
}

// exampleRun makes a run of 5000 logins whose latency is log-normal around
// median µs.
func exampleRun(seed uint64, median float64) *report.Run {
	r := rand.New(rand.NewPCG(seed, 1))
	h := report.NewHist()
	for i := 0; i < 5000; i++ {
		h.RecordValue(int64(median * math.Exp(0.3*r.NormFloat64())))
	}
	enc, err := report.EncodeHist(h)
	if err != nil {
		panic(err)
	}
	return &report.Run{
		Schema: report.SchemaVersion,
		Counts: report.Counts{Attempted: 5000, OK: 5000},
		Phases: []report.PhaseResult{{Name: "login", Hist: enc, Summary: report.SummaryOf(h)}},
	}
}

// Render a saved run as a self-contained HTML page.
func ExampleWriteHTML() {
	run := exampleRun(1, 2000)
	f, err := os.CreateTemp("", "run-*.html")
	if err != nil {
		panic(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if err := report.WriteHTML(f, run); err != nil {
		panic(err)
	}
	// The same page is available through the format registry.
	_, ok := report.Lookup("html")
	fmt.Println("html registered:", ok)
	// Output: html registered: true
}
