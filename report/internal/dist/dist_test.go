package dist

import (
	"math/rand/v2"
	"testing"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Dist's percentiles are HdrHistogram's, value for value, so the plots and
// compare read the figures the run's summary and text report give.
func TestCdistQuantileIsHdrHistogram(t *testing.T) {
	r := rand.New(rand.NewPCG(5, 6))
	for _, n := range []int{1, 2, 3, 10, 99, 100, 101, 999, 1000, 3829, 20000} {
		h := hdrhistogram.New(1, int64(10*time.Minute/time.Microsecond), 3)
		for i := 0; i < n; i++ {
			h.RecordValue(1 + r.Int64N(100000))
		}
		d := New(h)
		for _, p := range []float64{1, 10, 50, 90, 99, 99.9, 99.99, 100} { // not 0: HdrHistogram gives the bucket's lowest value there
			if got, want := d.Quantile(p/100), h.ValueAtQuantile(p); got != want {
				t.Errorf("n=%d p%v: Dist %d, HdrHistogram %d", n, p, got, want)
			}
		}
	}
}
