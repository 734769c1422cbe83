package report

import (
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
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
func synthRun(t testing.TB, spec synthSpec) *Run {
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
	run := &Run{
		Schema: SchemaVersion, Tool: "msnbench test", Label: spec.Label,
		Config: Config{
			Target: "127.0.0.1:1863", Model: "open", Rate: float64(spec.Rate), Arrival: "poisson",
			Duration: Duration(time.Duration(spec.Seconds) * time.Second), Steps: []string{},
			Dialects: "MSNP7 MSNP6 MSNP5 CVR0", Accounts: 10000, UserPattern: "user%d@example.com",
			Timeout: Duration(10 * time.Second), Interval: Duration(time.Second),
		},
		Machine: Machine{Hostname: "bench1", OS: "linux", Arch: "amd64", Kernel: "6.1.0", CPU: "Synthetic CPU @ 3.0GHz",
			NumCPU: 2, GOMAXPROCS: 2, GoVersion: "go1.26"},
		Start: start, End: start.Add(time.Duration(spec.Seconds) * time.Second),
	}
	if spec.Steps {
		run.Config.Steps = []string{"syn", "chg"}
		run.Config.Status = "NLN"
	}
	var failedBy = map[string]int64{}
	for sec := 0; sec < spec.Seconds; sec++ {
		pt := Point{T: float64(sec)}
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
		pr := PhaseResult{Name: n, Hist: encodeSynthHist(t, h), Summary: Summary{
			Count: h.TotalCount(), Mean: h.Mean(), Min: h.Min(),
			P50: h.ValueAtPercentile(50), P90: h.ValueAtPercentile(90), P99: h.ValueAtPercentile(99),
			P999: h.ValueAtPercentile(99.9), Max: h.Max(),
		}}
		for sec, ih := range perSec[n] {
			if ih.TotalCount() > 0 {
				pr.Intervals = append(pr.Intervals, Interval{Start: float64(sec), Hist: encodeSynthHist(t, ih)})
			}
		}
		run.Phases = append(run.Phases, pr)
	}
	// Phase order as the recorder writes it.
	sort.SliceStable(run.Phases, func(i, j int) bool {
		pi, _ := ParsePhase(run.Phases[i].Name)
		pj, _ := ParsePhase(run.Phases[j].Name)
		return pi < pj
	})
	if c := failedBy["ns.usr.s"]; c > 0 {
		run.Errors = append(run.Errors, ErrorCount{Phase: "ns.usr.s", Class: "server", Code: 911, Count: c})
	}
	run.Health = Health{CPUUserSec: 1.5, CPUSysSec: 0.8, CPUUtil: 0.06, NumGC: 12,
		GCPauseTotal: Duration(3 * time.Millisecond), GCPauseMax: Duration(400 * time.Microsecond),
		SchedLagP99Us: 120, SchedLagMaxUs: 900, PeakInflight: int64(spec.Rate / 5)}
	return run
}

// phaseSortKey orders phase names as compare does: login first, then the
// phases in their order, unknown names last.
func phaseSortKey(name string) int {
	if name == Login.String() {
		return -1
	}
	if p, ok := ParsePhase(name); ok {
		return int(p)
	}
	return int(NumPhases)
}
