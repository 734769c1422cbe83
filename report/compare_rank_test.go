package report

import (
	"math"
	"math/rand/v2"
	"testing"
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

// stalledPairs makes n pairs of runs of 600 logins whose rounds differ by
// ±5 % (each round its own scale, as on a busy machine), B slower by
// factor, and round stall of A stalled: every login of it 8 times slower,
// so that pair's B/A is about 1/8.
func stalledPairs(t *testing.T, seed uint64, n int, factor float64, stall int) (a, b []*Run) {
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
	c, err := Compare(a, b, CompareOptions{Phases: []string{"login"}, Percentiles: []float64{50}, Paired: true, Confidence: 0.99})
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
	found := 0
	for tr := 0; tr < 10; tr++ {
		a, b := stalledPairs(t, uint64(500+tr), 16, 1.15, 3+tr)
		if regressed, _ := sequentialTrial(t, a, b); regressed {
			found++
		}
	}
	t.Logf("+15%% with a stalled round: found in %d/10 trials", found)
	if found < 8 {
		t.Errorf("+15%% with a stalled round: found in %d/10, want at least 8", found)
	}
}
