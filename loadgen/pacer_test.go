package loadgen

import (
	"math"
	"math/rand/v2"
	"slices"
	"testing"
	"time"
)

// schedule drains p: every intended start, in order (at most max).
func schedule(p *pacer, max int) []time.Duration {
	var out []time.Duration
	for len(out) < max {
		t, ok := p.next()
		if !ok {
			break
		}
		out = append(out, t)
	}
	return out
}

func ms(v ...float64) []time.Duration {
	out := make([]time.Duration, len(v))
	for i, x := range v {
		out[i] = time.Duration(x * float64(time.Millisecond))
	}
	return out
}

func TestPacerUniform(t *testing.T) {
	got := schedule(newPacer(10, nil, 1, time.Second, nil, 0, 1), 100)
	want := ms(0, 100, 200, 300, 400, 500, 600, 700, 800, 900)
	if !slices.Equal(got, want) {
		t.Fatalf("10/s for 1 s: %v, want %v", got, want)
	}
	// Without an end (-n ends such a run) the schedule goes on.
	p := newPacer(3, nil, 1, 0, nil, 0, 1)
	got = schedule(p, 3001)
	if len(got) != 3001 || got[3000] != 1000*time.Second || got[1] != 333333333 {
		t.Fatalf("3/s without an end: %d starts, #1 at %v, #3000 at %v", len(got), got[1], got[len(got)-1])
	}
	// The end is final.
	p = newPacer(10, nil, 1, 50*time.Millisecond, nil, 0, 1)
	if got := schedule(p, 10); len(got) != 1 {
		t.Fatalf("10/s for 50 ms: %v", got)
	}
	if _, ok := p.next(); ok {
		t.Fatal("a start after the end")
	}
}

// TestPacerStreams: n streams (one per event loop) interleave into the one
// stream's schedule, and no start is lost or doubled at the end.
func TestPacerStreams(t *testing.T) {
	one := schedule(newPacer(100, nil, 1, 500*time.Millisecond, nil, 0, 1), 1000)
	if len(one) != 50 {
		t.Fatalf("100/s for 0.5 s: %d starts, want 50", len(one))
	}
	for _, n := range []int{2, 3, 7} {
		var all []time.Duration
		for i := range n {
			s := schedule(newPacer(100, nil, 1, 500*time.Millisecond, nil, i, n), 1000)
			if !slices.IsSorted(s) {
				t.Fatalf("stream %d of %d out of order: %v", i, n, s)
			}
			all = append(all, s...)
		}
		slices.Sort(all)
		if !slices.Equal(all, one) {
			t.Errorf("%d streams: %v, want %v", n, all, one)
		}
	}
}

// TestPacerStages: the starts follow the integral of the rate stages. A
// ramp from 0 has its starts from the beginning (the pacer used to space
// the next start by the rate at the last one: 0->10/s over 2 s had one
// start, 20 s apart from the next), and a stretch at level 0 has none.
func TestPacerStages(t *testing.T) {
	sec := time.Second
	for _, c := range []struct {
		name   string
		stages []Stage
		scale  float64
		end    time.Duration
		want   []time.Duration
	}{
		{"flat", []Stage{{Duration: sec, From: 5, To: 5}}, 1, 0, ms(0, 200, 400, 600, 800)},
		{"scaled (a shard's part)", []Stage{{Duration: sec, From: 10, To: 10}}, 0.5, 0, ms(0, 200, 400, 600, 800)},
		{"-d before the stages end", []Stage{{Duration: 2 * sec, From: 5, To: 5}}, 1, 500 * time.Millisecond,
			ms(0, 200, 400)},
		{"level 0 first", []Stage{{Duration: sec, From: 0, To: 0}, {Duration: sec, From: 4, To: 4}}, 1, 0,
			ms(1000, 1250, 1500, 1750)},
		{"level 0 between", []Stage{{Duration: sec, From: 2, To: 2}, {Duration: sec, From: 0, To: 0},
			{Duration: sec, From: 2, To: 2}}, 1, 0, ms(0, 500, 2000, 2500)},
		// 0->10/s over 2 s: 2.5·t² starts by t, so start k at √(k/2.5) s.
		{"ramp up from 0", []Stage{{Duration: 2 * sec, From: 0, To: 10}}, 1, 0,
			ms(0, 632.455532, 894.427191, 1095.445115, 1264.911064, 1414.213562, 1549.193338, 1673.320053,
				1788.854382, 1897.366596)},
		// 10->0/s over 2 s: 10t - 2.5t² starts by t, so start k at 2-√(4-0.4k) s.
		{"ramp down to 0", []Stage{{Duration: 2 * sec, From: 10, To: 0}}, 1, 0,
			ms(0, 102.633404, 211.145618, 326.679947, 450.806662, 585.786438, 735.088936, 904.554885,
				1105.572809, 1367.544468)},
	} {
		got := schedule(newPacer(0, c.stages, c.scale, c.end, nil, 0, 1), 1000)
		ok := len(got) == len(c.want)
		for i := 0; ok && i < len(got); i++ {
			ok = (got[i] - c.want[i]).Abs() <= time.Microsecond // the expected values are rounded to 1 µs
		}
		if !ok {
			t.Errorf("%s: %v, want %v", c.name, got, c.want)
		}
	}
}

// TestPacerPoisson: the gaps are the seeded exponential draws over the
// rate, exactly; and a long schedule keeps the rate.
func TestPacerPoisson(t *testing.T) {
	const rate = 1000.0
	got := schedule(newPacer(rate, nil, 1, 10*time.Second, rand.New(rand.NewPCG(7, 0)), 0, 1), 1e6)
	rng := rand.New(rand.NewPCG(7, 0))
	due := 0.0
	for i, at := range got {
		if want := time.Duration(math.Round(due / rate * 1e9)); at != want {
			t.Fatalf("start %d at %v, want %v", i, at, want)
		}
		due += rng.ExpFloat64()
	}
	// 10,000 expected; the seed gives a fixed count, within 3% of it.
	if n := len(got); n < 9700 || n > 10300 {
		t.Errorf("%d starts at 1000/s for 10 s", n)
	}
}
