package compare

import (
	"testing"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/fixture"
)

// TestCompareLeavesCutsOut: compare's failure-rate test counts no cut
// session: B, whose run was cut with many sessions in flight, has no more
// failures than A.
func TestCompareLeavesCutsOut(t *testing.T) {
	a := fixture.CutRun(t, 0)
	b := fixture.CutRun(t, 1)
	b.Counts.Cut += 500
	b.Cuts[0].Count += 500
	c, err := Compare([]*report.Run{a}, []*report.Run{b}, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if f := c.Failures; f.RateA != 0.5 || f.RateB != 0.5 || f.Verdict == MoreFailures {
		t.Fatalf("failures %+v: want 1 of 2 on both sides, no more failures", f)
	}
}
