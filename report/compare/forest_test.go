package compare

import (
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// A change beyond the forest plot's axis is drawn at the edge as an arrow
// with its value written beside it, never as a dot at the edge that reads as
// a smaller change; changes within the axis stay dots between the axis ends.
func TestForestPlotOffAxis(t *testing.T) {
	c := &Comparison{Threshold: 0.05}
	c.Phases = []PhaseComparison{
		{Phase: "login", Verdict: Faster, Percentiles: []PercentileChange{
			{Percentile: 50, Judged: true, Change: -0.997, Low: -0.998, High: -0.995, Verdict: Faster},
			{Percentile: 90, Judged: true, Change: -0.6, Low: -0.7, High: -0.5, Verdict: Faster},
		}},
		{Phase: "ns.usr.s", Verdict: Slower, Percentiles: []PercentileChange{
			{Percentile: 50, Judged: true, Change: 40, Low: 30, High: 55, Verdict: Slower},
		}},
	}
	svg := string(forestPlot(c))
	if svg == "" {
		t.Fatal("no plot")
	}
	for _, want := range []string{">-99.7%<", ">+4000%<"} {
		if !strings.Contains(svg, want) {
			t.Errorf("the off-axis value %s is not written on the plot:\n%s", want, svg)
		}
	}
	if got := strings.Count(svg, "<circle"); got != 1 {
		t.Errorf("%d dots, want 1 (login p90; the two off-axis changes are arrows)", got)
	}
	// The one dot (-60 %) lies strictly inside the plot area.
	m := regexp.MustCompile(`<circle cx="([0-9.]+)"`).FindStringSubmatch(svg)
	if m == nil {
		t.Fatal("no dot")
	}
	if cx, _ := strconv.ParseFloat(m[1], 64); cx <= 171 || cx >= 729 {
		t.Errorf("the -60%% dot at x=%v, want inside the plot area (170, 730)", cx)
	}
	if !strings.Contains(svg, ">-90%<") {
		t.Errorf("the axis does not reach -90%%:\n%s", svg)
	}
}
