package compare

import "math"

// groupSeq is a two-sided group-sequential test of one hypothesis, the
// headline of a sequential comparison (see Sequential). Its statistic at
// each look is taken to behave, look after look, as the standardized value
// of a Brownian motion observed at the looks' information (here: pairs of
// rounds), the joint distribution of a mean or a rank statistic of data that
// accumulate (Jennison and Turnbull, Group Sequential Methods, 2000, ch. 3).
// Given the error rate to spend by each look (the spending function, as for
// the union bound), it finds each look's critical value c_k such that the
// probability of stopping at that look, having not stopped before, is
// exactly that look's share: the density of the paths not yet stopped is
// carried from look to look on a grid (Armitage, McPherson and Rowe, 1969;
// Jennison and Turnbull ch. 19). Looks close together are strongly
// correlated, so their levels add up to much more than the error rate: at the
// last of fifty looks the union bound leaves a level of 0.002 of 0.05, the
// boundary 0.027 (TestGroupSeqPower shows what that does to power).
type groupSeq struct {
	alpha   float64 // two-sided error rate to spend over all looks
	maxInfo float64 // the information planned at t = 1
	// spend is the error rate spent by information fraction t; nil is
	// obfSpend, as the union bound spends it.
	spend func(alpha, t float64) float64

	spent float64
	info  float64   // information at the last look; 0 before the first
	grid  []float64 // score values S = Z√info of the last look's continuation region
	dens  []float64 // sub-density of S there (paths not stopped), times quadrature weights
}

// gsGrid is the number of grid points over a continuation region (odd, for
// Simpson's rule). With 201 the critical values match published ones to
// three decimals (TestGroupSeqKnownBoundaries).
const gsGrid = 201

// look returns the nominal two-sided level of the look at information info
// (> the last look's): the test rejects at this look when its statistic
// exceeds the level's normal critical value. final spends all that is left.
// A look that adds no information, or may spend nothing, gets a level of
// 1e-300 (nothing can reject) and leaves the state as it was.
func (g *groupSeq) look(info float64, final bool) float64 {
	t := 1.0
	if g.maxInfo > 0 && !final {
		t = math.Min(1, info/g.maxInfo)
	}
	spend := g.spend
	if spend == nil {
		spend = obfSpend
	}
	target := spend(g.alpha, t) - g.spent
	if final {
		target = g.alpha - g.spent
	}
	if target <= 0 || info <= g.info {
		return 1e-300
	}
	var c float64
	if g.info == 0 {
		c = normCrit(target)
		g.setRegion(c, info, func(s float64) float64 {
			return normPDF(s/math.Sqrt(info)) / math.Sqrt(info)
		})
	} else {
		sd := math.Sqrt(info - g.info)
		root := math.Sqrt(info)
		exit := func(c float64) float64 {
			p := 0.0
			for j, u := range g.grid {
				p += g.dens[j] * (0.5*math.Erfc((c*root+u)/sd/math.Sqrt2) + 0.5*math.Erfc((c*root-u)/sd/math.Sqrt2))
			}
			return p
		}
		// exit falls as c rises; bisect for exit(c) = target.
		lo, hi := 0.0, 40.0
		if exit(lo) <= target {
			hi = 0 // all that is left may go: stop whatever the statistic
		}
		for range 60 { // to 40/2⁶⁰
			mid := (lo + hi) / 2
			if exit(mid) > target {
				lo = mid
			} else {
				hi = mid
			}
		}
		c = hi
		grid, dens := g.grid, g.dens
		g.setRegion(c, info, func(s float64) float64 {
			f := 0.0
			for j, u := range grid {
				f += dens[j] * normPDF((s-u)/sd) / sd
			}
			return f
		})
	}
	g.spent += target
	g.info = info
	return max(math.Erfc(c/math.Sqrt2), 1e-300)
}

// normCrit is the two-sided normal critical value of level a, c with
// erfc(c/√2) = a, also far below the 1e-16 where math.Erfcinv, which works
// from 1 - a, runs out of digits (the first of many looks spends 1e-40).
func normCrit(a float64) float64 {
	if a >= 1e-10 {
		return math.Sqrt2 * math.Erfcinv(a)
	}
	lo, hi := 6.0, 40.0 // erfc(6/√2) is 2e-9
	for range 100 {
		mid := (lo + hi) / 2
		if math.Erfc(mid/math.Sqrt2) > a {
			lo = mid
		} else {
			hi = mid
		}
	}
	return hi
}

// setRegion puts the grid on the continuation region |S| < c√info and the
// sub-density f, times Simpson's weights, on it.
func (g *groupSeq) setRegion(c, info float64, f func(s float64) float64) {
	b := c * math.Sqrt(info)
	grid := make([]float64, gsGrid)
	dens := make([]float64, gsGrid)
	h := 2 * b / (gsGrid - 1)
	for i := range grid {
		s := -b + float64(i)*h
		w := 2.0
		switch {
		case i == 0 || i == gsGrid-1:
			w = 1
		case i%2 == 1:
			w = 4
		}
		grid[i] = s
		dens[i] = f(s) * w * h / 3
	}
	g.grid, g.dens = grid, dens
}

// normPDF is the standard normal density.
func normPDF(x float64) float64 {
	return math.Exp(-x*x/2) / math.Sqrt(2*math.Pi)
}
