package loadgen

import (
	"slices"
	"testing"
	"time"
)

// TestStartClosedSplitsWorkers: the closed model's worker ids are
// 0 .. -c-1 whatever the number of parts an I/O engine splits them into
// (loops), each started by exactly one part, part i taking the ids i mod
// parts in order; a run that stops ends the starting.
func TestStartClosedSplitsWorkers(t *testing.T) {
	cfg := baseConfig("127.0.0.1:1")
	cfg.Concurrency, cfg.Logins = 7, 100
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.p.start = time.Now()
	noPause := func(d time.Duration) { t.Fatalf("paused %v without stages", d) }
	for _, parts := range []int{1, 2, 3, 7, 9} {
		var all []int
		for part := range parts {
			var got []int
			e.startClosed(part, parts, noPause, func(id int) { got = append(got, id) })
			for i, id := range got {
				if id%parts != part || (i > 0 && id <= got[i-1]) {
					t.Errorf("%d parts: part %d started %v", parts, part, got)
					break
				}
			}
			all = append(all, got...)
		}
		slices.Sort(all)
		if want := []int{0, 1, 2, 3, 4, 5, 6}; !slices.Equal(all, want) {
			t.Errorf("%d parts started %v, want %v", parts, all, want)
		}
	}

	e.stopStarting()
	e.startClosed(0, 1, noPause, func(id int) { t.Errorf("worker %d started after the run stopped", id) })
}
