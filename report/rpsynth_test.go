package report

import (
	"encoding/json"
	"io"
	"math"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/msnbench/msnbench/msnp"
)

// rpPhases are the phases a synthetic login goes through, with a typical
// duration in µs.
var rpPhases = []struct {
	p  Phase
	us float64
}{
	{DSConnect, 80}, {DSVer, 120}, {DSInf, 110}, {DSUsr, 300},
	{NSConnect, 90}, {NSVer, 120}, {NSInf, 110}, {NSUsrI, 250}, {NSUsrS, 900}, {NSSyn, 1500},
}

// rpSamples returns n deterministic sessions spread over span: log-normal
// phase durations, a slow tail, some failures, the first ones in warm-up.
func rpSamples(seed uint64, n int, span time.Duration, open bool) []Sample {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	out := make([]Sample, n)
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
		failAt := Phase(255)
		switch {
		case i%53 == 7:
			failAt = NSUsrS
			s.Class, s.Code = msnp.ClassAuthFail, 911
		case i%211 == 11:
			failAt = DSConnect
			s.Class = msnp.ClassRefused
		case i%307 == 13:
			failAt = NSSyn
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
			if ph.p == NSUsrS {
				s.Set(Login, t-s.Start)
				s.Set(LoginIntended, t-s.Intended)
			}
		}
		if s.OK() {
			s.Set(Session, t-s.Start)
			s.Set(SessionIntended, t-s.Intended)
		}
		if open {
			s.Set(SchedLag, s.Start-s.Intended)
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
	sample *Sample
}

// rpFeed feeds samples to rec in time order, ticking at every interval
// boundary as a live run would, spreading sessions over the shards by
// index; it returns the time of the last event.
func rpFeed(rec *Recorder, samples []Sample, shards int, iv time.Duration) int64 {
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
func rpRun(t testing.TB, open bool) *Run {
	t.Helper()
	samples := rpSamples(42, 4000, 5*time.Second, open)
	rec := NewRecorder(4, time.Second)
	last := rpFeed(rec, samples, 4, time.Second)
	for i := 0; i < 50; i++ {
		rec.RecordValue(i%4, Ping, int64(200e3+i*3e3), int64(i)*100e6)
	}
	end := last + int64(time.Millisecond)
	run := rpMeta(open)
	run.End = rpStart.Add(time.Duration(end))
	rec.Finish(run, end)
	return run
}

func rpMeta(open bool) *Run {
	run := &Run{
		Schema: SchemaVersion,
		Tool:   "msnbench 1.2.3",
		Label:  "synthetic",
		Config: Config{
			Target: "127.0.0.1:1863", Model: "closed", Concurrency: 50, Duration: Duration(5 * time.Second),
			Steps: []string{"syn"}, Dialects: "MSNP7,MSNP6", Timeout: Duration(10 * time.Second),
			Interval: Duration(time.Second), Warmup: Duration(100 * time.Millisecond),
		},
		Machine: Machine{Hostname: "gen1", OS: "linux", Arch: "amd64", NumCPU: 2, GOMAXPROCS: 2, GoVersion: "go1.26.8"},
		Start:   rpStart,
		Health: Health{CPUUserSec: 1.25, CPUSysSec: 0.5, CPUUtil: 0.175, NumGC: 12,
			GCPauseTotal: Duration(3 * time.Millisecond), GCPauseMax: Duration(700 * time.Microsecond)},
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

func hdrReader(r io.Reader) *hdrhistogram.HistogramLogReader {
	return hdrhistogram.NewHistogramLogReader(r)
}

// rpEncodeGeometry encodes a one-value histogram of another geometry.
func rpEncodeGeometry(t testing.TB, lo, hi int64, digits int) string {
	h := hdrhistogram.New(lo, hi, digits)
	_ = h.RecordValue(lo * 10)
	b, err := h.Encode(hdrhistogram.V2CompressedEncodingCookieBase)
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

func jsonEncodeAny(w io.Writer, v any) error { return json.NewEncoder(w).Encode(v) }
