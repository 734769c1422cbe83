package compare

// The synthetic runs compare's tests use: copies of report's test fixtures
// (html_synth_test.go, rpsynth_test.go, cut_test.go there), as one
// package's tests cannot use another's test files, and a package of
// fixtures that imports report could not serve report's own tests (an
// import cycle). Keep them in step with report's.

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

// synthSpec describes a synthetic run: sessions arriving at Rate per second
// for Seconds, each phase log-normal with the given median (µs) and sigma.
// Shift adds a constant (µs) to a phase, which also moves login and session.
type synthSpec struct {
	Seed     uint64
	Label    string
	Seconds  int
	Rate     int
	FailRate float64 // share of sessions failing in ns.usr.s with a server error
	Shift    map[string]float64
	Slowdown float64 // seconds into the run after which every phase is 3x slower (0: none)
	Steps    bool    // measure ns.syn and ns.chg
	Scale    float64 // multiplies every phase (0: 1)
	// NoIntervals skips the per-second histograms: compare does not need
	// them, and they dominate the cost of building a run.
	NoIntervals bool
}

type synthPhase struct {
	name   string
	median float64
	sigma  float64
}

var synthPhases = []synthPhase{
	{"ds.connect", 90, 0.35}, {"ds.ver", 70, 0.3}, {"ds.inf", 65, 0.3}, {"ds.usr", 350, 0.45},
	{"ns.connect", 95, 0.35}, {"ns.ver", 70, 0.3}, {"ns.inf", 65, 0.3}, {"ns.usr.i", 180, 0.4},
	{"ns.usr.s", 900, 0.5}, {"ns.syn", 1500, 0.6}, {"ns.chg", 250, 0.4},
}

func newSynthHist() *hdrhistogram.Histogram {
	return hdrhistogram.New(1, int64(10*time.Minute/time.Microsecond), 3)
}

func encodeSynthHist(t testing.TB, h *hdrhistogram.Histogram) string {
	t.Helper()
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// synthRun builds a complete Run from spec, the way the recorder would.
func synthRun(t testing.TB, spec synthSpec) *report.Run {
	t.Helper()
	r := rand.New(rand.NewPCG(spec.Seed, 0x5eed))
	if spec.Seconds == 0 {
		spec.Seconds = 20
	}
	if spec.Rate == 0 {
		spec.Rate = 100
	}
	if spec.Scale == 0 {
		spec.Scale = 1
	}
	names := []string{}
	for _, p := range synthPhases {
		if !spec.Steps && (p.name == "ns.syn" || p.name == "ns.chg") {
			continue
		}
		names = append(names, p.name)
	}
	names = append(names, "login", "session")
	total := map[string]*hdrhistogram.Histogram{}
	perSec := map[string][]*hdrhistogram.Histogram{}
	for _, n := range names {
		total[n] = newSynthHist()
		if !spec.NoIntervals {
			perSec[n] = make([]*hdrhistogram.Histogram, spec.Seconds)
			for i := range perSec[n] {
				perSec[n][i] = newSynthHist()
			}
		}
	}
	start := time.Date(2026, 11, 23, 21, 0, 0, 0, time.UTC)
	run := &report.Run{
		Schema: report.SchemaVersion, Tool: "msnbench test", Label: spec.Label,
		Config: report.Config{
			Target: "127.0.0.1:1863", Model: "open", Rate: float64(spec.Rate), Arrival: "poisson",
			Duration: report.Duration(time.Duration(spec.Seconds) * time.Second), Steps: []string{},
			Dialects: "MSNP7 MSNP6 MSNP5 CVR0", Accounts: 10000, UserPattern: "user%d@example.com",
			Timeout: report.Duration(10 * time.Second), Interval: report.Duration(time.Second),
		},
		Machine: report.Machine{Hostname: "bench1", OS: "linux", Arch: "amd64", Kernel: "6.1.0", CPU: "Synthetic CPU @ 3.0GHz",
			NumCPU: 2, GOMAXPROCS: 2, GoVersion: "go1.26"},
		Start: start, End: start.Add(time.Duration(spec.Seconds) * time.Second),
	}
	if spec.Steps {
		run.Config.Steps = []string{"syn", "chg"}
		run.Config.Status = "NLN"
	}
	var failedBy = map[string]int64{}
	for sec := 0; sec < spec.Seconds; sec++ {
		pt := report.Point{T: float64(sec)}
		n := spec.Rate
		for i := 0; i < n; i++ {
			pt.Started++
			run.Counts.Attempted++
			slow := 1.0
			if spec.Slowdown > 0 && float64(sec) >= spec.Slowdown {
				slow = 3
			}
			var login, session float64
			failed := false
			for _, p := range synthPhases {
				if !spec.Steps && (p.name == "ns.syn" || p.name == "ns.chg") {
					continue
				}
				if p.name == "ns.usr.s" && r.Float64() < spec.FailRate {
					failed = true
					break
				}
				v := spec.Scale*slow*p.median*math.Exp(p.sigma*r.NormFloat64()) + spec.Shift[p.name]
				total[p.name].RecordValue(int64(v))
				if !spec.NoIntervals {
					perSec[p.name][sec].RecordValue(int64(v))
				}
				if p.name != "ns.syn" && p.name != "ns.chg" {
					login += v
				}
				session += v
			}
			if failed {
				if pt.FailedByClass == nil {
					pt.FailedByClass = map[string]int64{}
				}
				pt.FailedByClass["server"]++
				pt.Failed++
				run.Counts.Failed++
				failedBy["ns.usr.s"]++
				continue
			}
			pt.OK++
			run.Counts.OK++
			for _, x := range []struct {
				n string
				v float64
			}{{"login", login}, {"session", session}} {
				total[x.n].RecordValue(int64(x.v))
				if !spec.NoIntervals {
					perSec[x.n][sec].RecordValue(int64(x.v))
				}
			}
		}
		pt.Inflight = int64(n / 10)
		run.Series = append(run.Series, pt)
	}
	sort.Slice(names, func(i, j int) bool { return phaseSortKey(names[i]) < phaseSortKey(names[j]) })
	for _, n := range names {
		h := total[n]
		if h.TotalCount() == 0 {
			continue
		}
		pr := report.PhaseResult{Name: n, Hist: encodeSynthHist(t, h), Summary: report.Summary{
			Count: h.TotalCount(), Mean: h.Mean(), Min: h.Min(),
			P50: h.ValueAtPercentile(50), P90: h.ValueAtPercentile(90), P99: h.ValueAtPercentile(99),
			P999: h.ValueAtPercentile(99.9), Max: h.Max(),
		}}
		for sec, ih := range perSec[n] {
			if ih.TotalCount() > 0 {
				pr.Intervals = append(pr.Intervals, report.Interval{Start: float64(sec), Hist: encodeSynthHist(t, ih)})
			}
		}
		run.Phases = append(run.Phases, pr)
	}
	// Phase order as the recorder writes it.
	sort.SliceStable(run.Phases, func(i, j int) bool {
		pi, _ := report.ParsePhase(run.Phases[i].Name)
		pj, _ := report.ParsePhase(run.Phases[j].Name)
		return pi < pj
	})
	if c := failedBy["ns.usr.s"]; c > 0 {
		run.Errors = append(run.Errors, report.ErrorCount{Phase: "ns.usr.s", Class: "server", Code: 911, Count: c})
	}
	run.Health = report.Health{CPUUserSec: 1.5, CPUSysSec: 0.8, CPUUtil: 0.06, NumGC: 12,
		GCPauseTotal: report.Duration(3 * time.Millisecond), GCPauseMax: report.Duration(400 * time.Microsecond),
		SchedLagP99Us: 120, SchedLagMaxUs: 900, PeakInflight: int64(spec.Rate / 5)}
	return run
}

// rpPhases are the phases a synthetic login goes through, with a typical
// duration in µs.
var rpPhases = []struct {
	p  report.Phase
	us float64
}{
	{report.DSConnect, 80}, {report.DSVer, 120}, {report.DSInf, 110}, {report.DSUsr, 300},
	{report.NSConnect, 90}, {report.NSVer, 120}, {report.NSInf, 110}, {report.NSUsrI, 250}, {report.NSUsrS, 900}, {report.NSSyn, 1500},
}

// rpSamples returns n deterministic sessions spread over span: log-normal
// phase durations, a slow tail, some failures, the first ones in warm-up.
func rpSamples(seed uint64, n int, span time.Duration, open bool) []report.Sample {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]report.Sample, n)
	for i := range out {
		s := &out[i]
		s.Intended = int64(span) * int64(i) / int64(n)
		s.Start = s.Intended
		if open {
			s.Start += int64(rng.ExpFloat64() * 20e3) // schedule lag
			if i%97 == 0 {
				s.Start += 30e6 // a stall: coordinated omission shows in login.intended
			}
		}
		t := s.Start
		failAt := report.Phase(255)
		switch {
		case i%53 == 7:
			failAt = report.NSUsrS
			s.Class, s.Code = msnp.ClassAuthFail, 911
		case i%211 == 11:
			failAt = report.DSConnect
			s.Class = msnp.ClassRefused
		case i%307 == 13:
			failAt = report.NSSyn
			s.Class = msnp.ClassTimeout
		}
		for _, ph := range rpPhases {
			d := int64(ph.us * math.Exp(rng.NormFloat64()*0.4) * 1e3)
			if rng.IntN(1000) == 0 {
				d *= 40 // tail
			}
			t += d
			if ph.p == failAt {
				s.FailPhase = failAt
				break
			}
			s.Set(ph.p, d)
			if ph.p == report.NSUsrS {
				s.Set(report.Login, t-s.Start)
				s.Set(report.LoginIntended, t-s.Intended)
			}
		}
		if s.OK() {
			s.Set(report.Session, t-s.Start)
			s.Set(report.SessionIntended, t-s.Intended)
		}
		if open {
			s.Set(report.SchedLag, s.Start-s.Intended)
		}
		s.End = t
		s.Warmup = i < n/50
	}
	return out
}

// rpEvent is a Started or Record call at a time.
type rpEvent struct {
	at     int64
	start  bool
	sample *report.Sample
}

// rpFeed feeds samples to rec in time order, ticking at every interval
// boundary as a live run would, spreading sessions over the shards by
// index; it returns the time of the last event.
func rpFeed(rec *report.Recorder, samples []report.Sample, shards int, iv time.Duration) int64 {
	ev := make([]rpEvent, 0, 2*len(samples))
	for i := range samples {
		ev = append(ev, rpEvent{samples[i].Start, true, &samples[i]}, rpEvent{samples[i].End, false, &samples[i]})
	}
	sort.SliceStable(ev, func(i, j int) bool { return ev[i].at < ev[j].at })
	var last int64
	for i, e := range ev {
		rec.Tick(e.at)
		shard := i % shards
		if e.start {
			rec.Started(shard, e.at)
		} else {
			rec.Record(shard, e.sample)
		}
		last = e.at
	}
	return last
}

var rpStart = time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)

// rpRun builds the deterministic synthetic Run the golden files show.
func rpRun(t testing.TB, open bool) *report.Run {
	t.Helper()
	samples := rpSamples(42, 4000, 5*time.Second, open)
	rec := report.NewRecorder(4, time.Second)
	last := rpFeed(rec, samples, 4, time.Second)
	for i := 0; i < 50; i++ {
		rec.RecordValue(i%4, report.Ping, int64(200e3+i*3e3), int64(i)*100e6)
	}
	end := last + int64(time.Millisecond)
	run := rpMeta(open)
	run.End = rpStart.Add(time.Duration(end))
	rec.Finish(run, end)
	return run
}

func rpMeta(open bool) *report.Run {
	run := &report.Run{
		Schema: report.SchemaVersion,
		Tool:   "msnbench 1.2.3",
		Label:  "synthetic",
		Config: report.Config{
			Target: "127.0.0.1:1863", Model: "closed", Concurrency: 50, Duration: report.Duration(5 * time.Second),
			Steps: []string{"syn"}, Dialects: "MSNP7,MSNP6", Timeout: report.Duration(10 * time.Second),
			Interval: report.Duration(time.Second), Warmup: report.Duration(100 * time.Millisecond),
		},
		Machine: report.Machine{Hostname: "gen1", OS: "linux", Arch: "amd64", NumCPU: 2, GOMAXPROCS: 2, GoVersion: "go1.26.8"},
		Start:   rpStart,
		Health: report.Health{CPUUserSec: 1.25, CPUSysSec: 0.5, CPUUtil: 0.175, NumGC: 12,
			GCPauseTotal: report.Duration(3 * time.Millisecond), GCPauseMax: report.Duration(700 * time.Microsecond)},
	}
	if open {
		run.Config.Model, run.Config.Concurrency, run.Config.Rate, run.Config.Arrival = "open", 0, 800, "uniform"
		// The evidence a Linux run records; the closed run stands for one
		// made before it was recorded.
		h := &run.Health
		h.Cores, h.ReadLagMeanUs, h.ReadLagShare = 2, 150, 0.05
		h.RunQueueKnown, h.RunQueueSec, h.MachineCPU, h.OtherCPU, h.Steal = true, 0.125, 0.4, 0.2, 0.001
	}
	return run
}

// cutRun records one ok, one failed (911) and two cut sessions.
func cutRun(t *testing.T, shard int) *report.Run {
	t.Helper()
	rec := report.NewRecorder(2, time.Second)
	ms := int64(time.Millisecond)
	ok := report.Sample{Start: 0, End: 5 * ms}
	ok.Set(report.Login, 5*ms)
	rec.Record(0, &ok)
	rec.Record(1, &report.Sample{Start: ms, End: 3 * ms, Class: msnp.ClassAuthFail, FailPhase: report.NSUsrS, Code: 911})
	for i := range 2 {
		rec.Record(i, &report.Sample{Start: 2 * ms, End: 900 * ms, Class: msnp.ClassCanceled, FailPhase: report.NSSyn})
	}
	run := rpMeta(false)
	run.End = run.Start.Add(time.Second)
	run.Shard = report.Shard{Index: shard, Count: 2, Group: "g"}
	run.Machine.Hostname += string(rune('a' + shard))
	rec.Finish(run, int64(time.Second))
	return run
}
