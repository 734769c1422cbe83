package compare

import (
	"strconv"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/viz"
)

// DeliveryChange is one phase's lost (and duplicated) notifications on
// each side of a comparison, the runs of a side added up. The shares of
// the expected that were lost and that arrived twice are judged as the
// failure rate is (compareRates, FailThreshold): a significant rise is a
// regression, as a lost message is a failure the server had.
type DeliveryChange struct {
	Phase      string `json:"phase"`
	ExpectedA  int64  `json:"expected_a"`
	LostA      int64  `json:"lost_a"`
	DuplicateA int64  `json:"duplicate_a,omitempty"`
	ExpectedB  int64  `json:"expected_b"`
	LostB      int64  `json:"lost_b"`
	DuplicateB int64  `json:"duplicate_b,omitempty"`
	// Lost is the change of the share lost, Duplicated of the share
	// duplicated.
	Lost       FailureChange `json:"lost"`
	Duplicated FailureChange `json:"duplicated"`
}

// String renders the change as "0 of 2530 (0.00%) -> 3 of 2500 (0.12%)",
// with the duplicates when there are any.
func (d DeliveryChange) String() string {
	side := func(lost, exp int64) string {
		return strconv.FormatInt(lost, 10) + " of " + strconv.FormatInt(exp, 10) + " (" +
			viz.FmtPercent(ratio(lost, exp)) + ")"
	}
	s := side(d.LostA, d.ExpectedA) + " -> " + side(d.LostB, d.ExpectedB)
	if d.DuplicateA > 0 || d.DuplicateB > 0 {
		s += "; duplicated " + side(d.DuplicateA, d.ExpectedA) + " -> " + side(d.DuplicateB, d.ExpectedB)
	}
	return s
}

// Verdict is the worse of the lost and the duplicated shares' verdicts.
func (d DeliveryChange) Verdict() Verdict {
	for _, v := range []Verdict{MoreFailures, FewerFailures, NoChange} {
		if d.Lost.Verdict == v || d.Duplicated.Verdict == v {
			return v
		}
	}
	return d.Lost.Verdict
}

// regressed reports whether B lost or duplicated significantly more.
func (d DeliveryChange) regressed() bool {
	return d.Lost.Verdict == MoreFailures || d.Duplicated.Verdict == MoreFailures
}

func compareDeliveries(a, b []*report.Run, opt Options) []DeliveryChange {
	ma, mb := report.MergeDeliveries(a), report.MergeDeliveries(b)
	var out []DeliveryChange
	find := func(phase string) *DeliveryChange {
		for i := range out {
			if out[i].Phase == phase {
				return &out[i]
			}
		}
		out = append(out, DeliveryChange{Phase: phase})
		return &out[len(out)-1]
	}
	for _, d := range ma {
		x := find(d.Phase)
		x.ExpectedA, x.LostA, x.DuplicateA = d.Expected, d.Lost, d.Duplicate
	}
	for _, d := range mb {
		x := find(d.Phase)
		x.ExpectedB, x.LostB, x.DuplicateB = d.Expected, d.Lost, d.Duplicate
	}
	for i := range out {
		x := &out[i]
		x.Lost = compareRates(x.LostA, x.ExpectedA, x.LostB, x.ExpectedB, opt)
		x.Duplicated = compareRates(x.DuplicateA, x.ExpectedA, x.DuplicateB, x.ExpectedB, opt)
	}
	return out
}
