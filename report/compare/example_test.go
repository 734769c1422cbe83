package compare_test

import (
	"fmt"
	"math"
	"math/rand/v2"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/compare"
)

// exampleRun makes a run of 5000 logins whose latency is log-normal around
// median µs.
func exampleRun(seed uint64, median float64) *report.Run {
	r := rand.New(rand.NewPCG(seed, 1))
	h := report.NewHist()
	for i := 0; i < 5000; i++ {
		h.RecordValue(int64(median * math.Exp(0.3*r.NormFloat64())))
	}
	enc, err := report.EncodeHist(h)
	if err != nil {
		panic(err)
	}
	return &report.Run{
		Schema: report.SchemaVersion,
		Counts: report.Counts{Attempted: 5000, OK: 5000},
		Phases: []report.PhaseResult{{Name: "login", Hist: enc, Summary: report.SummaryOf(h)}},
	}
}

// Compare a server build (B) against the previous one (A), as a CI gate
// would: the exit code follows Regressed. Three runs per side let the
// comparison see how much runs differ; one run per side cannot, and its
// latency changes are only indicative.
func ExampleCompare() {
	a := []*report.Run{exampleRun(1, 2000), exampleRun(3, 2020), exampleRun(5, 1990)}
	b := []*report.Run{exampleRun(2, 2400), exampleRun(4, 2410), exampleRun(6, 2390)} // 20% slower

	c, err := compare.Compare(a, b, compare.Options{Threshold: 0.05})
	if err != nil {
		panic(err)
	}
	login := c.Phases[0]
	p50 := login.Percentiles[0]
	fmt.Printf("%s: %s (p50 %+.0f%%, variance from %s)\n", login.Phase, login.Verdict, 100*p50.Change, p50.Variance)
	fmt.Println("regressed:", c.Regressed(0.05))

	one, _ := compare.Compare(a[:1], b[:1], compare.Options{Threshold: 0.05})
	fmt.Println("one run per side:", one.Phases[0].Verdict, one.Latency, one.Regressed(0.05))

	// The same build compared with itself never is.
	same, _ := compare.Compare(a, a, compare.Options{})
	fmt.Println("same build:", same.Phases[0].Verdict, same.Regressed(0.05))
	// Output:
	// login: slower (p50 +19%, variance from runs)
	// regressed: true
	// one run per side: slower indicative false
	// same build: no significant change false
}
