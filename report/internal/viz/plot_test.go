package viz

import (
	"strings"
	"testing"
)

func TestNiceTicks(t *testing.T) {
	for _, tc := range []struct {
		min, max float64
		want     string
	}{
		{0, 200, "0 25 50 75 100 125 150 175 200"},
		{0, 6.036, "0 1 2 3 4 5 6"},
		{0, 1, "0 0.2 0.4 0.6 0.8 1"},
		{0, 2500, "0 500 1000 1500 2000 2500"},
		{0, 0.3, "0 0.05 0.1 0.15 0.2 0.25 0.3"},
	} {
		var labels []string
		for _, tk := range niceTicks(tc.min, tc.max) {
			if tk.Label != "" {
				labels = append(labels, tk.Label)
			}
		}
		if got := strings.Join(labels, " "); got != tc.want {
			t.Errorf("niceTicks(%v, %v) = %q, want %q", tc.min, tc.max, got, tc.want)
		}
	}
}

// TestLatencyRangeLogTop: the top of a log latency axis is a labelled
// tick.
func TestLatencyRangeLogTop(t *testing.T) {
	for _, hi := range []float64{40, 130, 280, 301, 870, 1500, 37_800, 127_000, 2_500_000} {
		line := Line{X: []float64{1, 2}, Y: []float64{5, hi}}
		lo, top := LatencyRange([]Line{line}, ScaleLog)
		if top < hi {
			t.Errorf("max %v: axis ends at %v, below it", hi, top)
		}
		ticks := logTicks(lo, top)
		if last := ticks[len(ticks)-1]; last.Value != top || last.Label == "" {
			t.Errorf("max %v: axis [%v, %v] ends at tick %+v, want a labelled one", hi, lo, top, last)
		}
	}
}

func TestLogTicks(t *testing.T) {
	for _, tc := range []struct {
		min, max float64
		want     string
	}{
		{1, 100, "1 2 5 10 20 50 100"},
		{0.1, 200, "0.1 0.3 1 3 10 30 100"},
		{0.001, 200, "0.001 0.01 0.1 1 10 100"},
		{0.001, 300, "0.001 0.01 0.1 1 10 100 300"},
	} {
		var labels []string
		for _, tk := range logTicks(tc.min, tc.max) {
			if tk.Label != "" {
				labels = append(labels, tk.Label)
			}
		}
		if got := strings.Join(labels, " "); got != tc.want {
			t.Errorf("logTicks(%v, %v) = %q, want %q", tc.min, tc.max, got, tc.want)
		}
	}
}

func TestVizFmtUs(t *testing.T) {
	for _, tc := range []struct {
		us   float64
		want string
	}{
		{0, "0µs"}, {3.26, "3.3µs"}, {84, "84µs"}, {84.4, "84µs"}, {999.4, "999µs"}, {999.7, "1.00ms"},
		{1234, "1.23ms"}, {45_600, "45.6ms"}, {999_700, "1.00s"}, {1_234_000, "1.23s"}, {75e6, "75.0s"},
	} {
		if got := FmtUs(tc.us); got != tc.want {
			t.Errorf("FmtUs(%v) = %q, want %q", tc.us, got, tc.want)
		}
	}
}

func TestPercentileTicks(t *testing.T) {
	var labels []string
	for _, tk := range percentileTicks(1, 20000) {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
	}
	if got, want := strings.Join(labels, " "), "0% 90% 99% 99.9% 99.99%"; got != want {
		t.Errorf("labels %q, want %q", got, want)
	}
}

func TestWantLogY(t *testing.T) {
	flat := Line{X: []float64{1, 2, 3, 4, 5, 6, 7, 8, 9, 10}, Y: []float64{100, 110, 120, 130, 140, 150, 160, 170, 180, 400}}
	tail := Line{X: flat.X, Y: []float64{100, 110, 120, 130, 140, 150, 160, 170, 180, 90000}}
	if wantLogY([]Line{flat}) || !wantLogY([]Line{tail}) || wantLogY(nil) {
		t.Error("wantLogY: want linear for a 4x range, log for a 900x tail")
	}
}

func TestHexColor(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want [4]uint32
	}{
		{"#0072b2", [4]uint32{0x0000, 0x7272, 0xb2b2, 0xffff}},
		{"#ff000080", [4]uint32{0x8080, 0, 0, 0x8080}},
		{"nonsense", [4]uint32{0, 0, 0, 0xffff}},
	} {
		r, g, b, a := hexColor(tc.in).RGBA()
		if got := [4]uint32{r, g, b, a}; got != tc.want {
			t.Errorf("hexColor(%q) = %x, want %x", tc.in, got, tc.want)
		}
	}
}
