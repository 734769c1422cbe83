package compare

import (
	"math"
	"math/rand/v2"
	"os"
	"slices"
	"strconv"
	"testing"

	"github.com/msnbench/msnbench/report"
)

func TestSignCritical(t *testing.T) {
	for _, tc := range []struct {
		n    int
		tail float64
		want int
	}{
		{5, 0.025, -1}, // 2^-5 = 0.031
		{6, 0.025, 0},  // 2^-6 = 0.016
		{15, 0.025, 3}, // P(X ≤ 3) = 0.018, P(X ≤ 4) = 0.059
		{20, 0.025, 5}, // 0.021, 0.058
		{12, 0.0125, 1},
		{1200, 0.025, 565}, // 2^-1200 underflows: the log path
	} {
		if got := signCritical(tc.n, tc.tail); got != tc.want {
			t.Errorf("signCritical(%d, %v) = %d, want %d", tc.n, tc.tail, got, tc.want)
		}
	}
}

func TestSignedRankCritical(t *testing.T) {
	// Tables of the signed-rank test, two-sided 5 %: reject when T ≤ c.
	for _, tc := range []struct{ n, want int }{{5, -1}, {6, 0}, {8, 3}, {15, 25}, {20, 52}, {30, 137}} {
		if got := signedRankCritical(tc.n, 0.025); got != tc.want {
			t.Errorf("signedRankCritical(%d, 0.025) = %d, want %d", tc.n, got, tc.want)
		}
	}
	// The normal approximation beyond rankMaxExact joins the exact count.
	exact, approx := signedRankCritical(rankMaxExact, 0.001), signedRankCritical(rankMaxExact+1, 0.001)
	if d := approx - exact; d < 0 || d > 2*(rankMaxExact+1) {
		t.Errorf("critical value %d at %d pairs, %d at %d", exact, rankMaxExact, approx, rankMaxExact+1)
	}
}

// TestPairedIntervalManyPairs: with 40 pairs at a final look's level the
// rank half is the signed-rank interval, and two stalled pairs (B/A of 1/10
// and 10) neither widen it much nor hide +10 %.
func TestPairedIntervalManyPairs(t *testing.T) {
	r := rand.New(rand.NewPCG(4, 4))
	d := make([]float64, 40)
	for i := range d {
		d[i] = math.Log(1.1) + 0.13*r.NormFloat64()
	}
	const alpha = 0.004
	if c := signedRankCritical(len(d), alpha/4); c < 2*len(d) {
		t.Fatalf("40 pairs at %v: signed-rank critical value %d, want at least %d", alpha, c, 2*len(d))
	}
	lo0, hi0 := pairedInterval(d, math.Log(1.1), 0, alpha)
	d[7], d[30] = d[7]-math.Log(10), d[30]+math.Log(10)
	lo, hi := pairedInterval(d, math.Log(1.1), 0, alpha)
	if lo <= 0 || hi-lo > 1.3*(hi0-lo0) {
		t.Errorf("+10%%, two stalls: [%.3f, %.3f], without them [%.3f, %.3f]: want above 0 and at most 1.3 times as wide", lo, hi, lo0, hi0)
	}
}

// stalledPairs makes n pairs of runs of 600 logins whose rounds differ by
// ±5 % (each round its own scale, as on a busy machine), B slower by
// factor, and round stall of A stalled: every login of it 8 times slower,
// so that pair's B/A is about 1/8.
func stalledPairs(t *testing.T, seed uint64, n int, factor float64, stall int) (a, b []*report.Run) {
	r := rand.New(rand.NewPCG(seed, 11))
	for i := 0; i < n; i++ {
		sa, sb := math.Exp(0.05*r.NormFloat64()), math.Exp(0.05*r.NormFloat64())
		if i == stall {
			sa *= 8
		}
		a = append(a, miniRun(t, r, 600, sa))
		b = append(b, miniRun(t, r, 600, sb*factor))
	}
	return a, b
}

// TestComparePairedStall: 15 pairs, B 20 % slower, one stalled round. The
// paired interval on login p50 is not widened by the one extreme pair: B is
// found slower with an interval within ±15 %. Student's t on the pairs'
// mean alone (the interval before) spanned -25 % … +69 %: no change.
func TestComparePairedStall(t *testing.T) {
	a, b := stalledPairs(t, 1, 15, 1.2, 6)
	c, err := Compare(a, b, Options{Phases: []string{"login"}, Percentiles: []float64{50}, Paired: true, Confidence: 0.99})
	if err != nil {
		t.Fatal(err)
	}
	q := c.Phases[0].Percentiles[0]
	if q.Verdict != Slower || q.Variance != VariancePairs || q.High-q.Low > 0.3 {
		t.Errorf("+20%% with one stalled round: %+v, want slower, interval within ±15%%", q)
	}
}

// TestSequentialStallFalseAlarms: sequential A/A trials (looks after every
// pair, as compare --run) in which one round of A or B stalls: the share
// that ever call B slower stays within α; +15 % is still found in most
// trials despite the stall (4/10 with Student's t alone, the interval
// before).
func TestSequentialStallFalseAlarms(t *testing.T) {
	trials := compareReps(20)
	alarms := 0
	for tr := 0; tr < trials; tr++ {
		a, b := stalledPairs(t, uint64(100+tr), 16, 1, tr%16)
		if tr%2 == 1 {
			a, b = b, a // the stall on B's side
		}
		if regressed, _ := sequentialTrial(t, a, b); regressed {
			alarms++
		}
	}
	t.Logf("%d/%d sequential A/A trials with a stalled round called a regression", alarms, trials)
	if limit := int(math.Ceil(0.05*float64(trials) + 2*math.Sqrt(0.05*0.95*float64(trials)))); alarms > limit {
		t.Errorf("%d/%d false alarms, want at most %d", alarms, trials, limit)
	}
	found, n := 0, compareReps(10)
	for tr := range n {
		a, b := stalledPairs(t, uint64(500+tr), 16, 1.15, 3+tr)
		if regressed, _ := sequentialTrial(t, a, b); regressed {
			found++
		}
	}
	t.Logf("+15%% with a stalled round: found in %d/%d trials", found, n)
	if found*10 < 8*n {
		t.Errorf("+15%% with a stalled round: found in %d/%d, want at least 80 %%", found, n)
	}
}

// TestSequentialPowerProjection (MSNBENCH_COMPARE_POWER=1, a tool, not a
// check): the power of compare --run's sequential design on login p50 for
// a given spread of the pairs' log ratios (SIGMA, measured on real rounds:
// docs/benchmarks.md), effect and threshold, by the planned number of
// pairs, with and without one stalled pair, on normal pair differences:
// what run length a target needs.
func TestSequentialPowerProjection(t *testing.T) {
	if os.Getenv("MSNBENCH_COMPARE_POWER") == "" {
		t.Skip("a projection tool: MSNBENCH_COMPARE_POWER=1")
	}
	sigma := 0.13
	if s, err := strconv.ParseFloat(os.Getenv("SIGMA"), 64); err == nil {
		sigma = s
	}
	const trials = 400
	for _, c := range []struct{ delta, thr, stall float64 }{
		{math.Log(1.1), 0.05, 0}, {math.Log(1.1), 0.05, math.Log(10)}, {math.Log(1.05), 0.02, 0},
	} {
		for _, maxPairs := range []int{15, 30, 45, 60, 90, 120, 180} {
			// login p50's level at each look, as compare --run: it depends
			// only on the plan
			s := Sequential{Alpha: 0.05, MaxPairs: maxPairs, HeadlineShare: 0.5}
			level := make([]float64, maxPairs+1)
			for n := 2; n <= maxPairs; n++ {
				s.Look(n, n == maxPairs)
				level[n] = s.HeadlineAlpha()
			}
			found, pairs := 0, 0
			for tr := 0; tr < trials; tr++ {
				r := rand.New(rand.NewPCG(uint64(tr), 99))
				d := make([]float64, maxPairs)
				for i := range d {
					d[i] = c.delta + sigma*r.NormFloat64()
				}
				if c.stall != 0 {
					d[r.IntN(maxPairs)] -= c.stall
				}
				stop := maxPairs
				for n := 2; n <= maxPairs; n++ {
					a := level[n]
					x := slices.Clone(d[:n])
					slices.Sort(x)
					if lo, _ := pairedInterval(d[:n], x[n/2], 0, a); lo > 0 && x[n/2] > c.thr {
						found++
						stop = n
						break
					}
				}
				pairs += stop
			}
			t.Logf("sd %.2f, +%.0f%%, threshold %.0f%%, stall %.1f: at most %3d pairs: found %3.0f%%, %.1f pairs on average",
				sigma, 100*(math.Exp(c.delta)-1), 100*c.thr, c.stall, maxPairs, 100*float64(found)/trials, float64(pairs)/trials)
		}
	}
}
