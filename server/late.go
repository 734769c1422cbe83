package server

import (
	"sync"
	"time"

	"github.com/HdrHistogram/hdrhistogram-go"
)

// PhaseLate is how late the server sent one phase's delayed replies: the
// time from when a reply was due (the request's arrival plus the injected
// delay) to when it was written. A client's figure for the phase, minus the
// delay and minus this, is what the client and the network added: the
// measure of the client's own accuracy.
type PhaseLate struct {
	Phase     string `json:"phase"`
	Replies   int64  `json:"replies"`
	P50Micros int64  `json:"p50_us"`
	P99Micros int64  `json:"p99_us"`
	MaxMicros int64  `json:"max_us"`
}

// lateHists keeps, per phase, a histogram of how late delayed replies left.
// A phase's histogram is made when its first delayed reply is counted, so a
// server without delays carries none.
type lateHists struct {
	mu [NumPhases]sync.Mutex
	h  [NumPhases]*hdrhistogram.Histogram
}

// lateMaxMicros is the largest lateness recorded exactly (10 s); later
// replies count at that value.
const lateMaxMicros = 10_000_000

func (l *lateHists) record(p Phase, late time.Duration) {
	if p >= NumPhases {
		p = PhaseOther
	}
	us := min(max(late.Microseconds(), 0), lateMaxMicros)
	l.mu[p].Lock()
	if l.h[p] == nil {
		l.h[p] = hdrhistogram.New(0, lateMaxMicros, 2)
	}
	_ = l.h[p].RecordValue(us) // within the histogram's range by the clamp
	l.mu[p].Unlock()
}

// summary returns the phases that had delayed replies, in phase order.
func (l *lateHists) summary() []PhaseLate {
	var out []PhaseLate
	for p := range NumPhases {
		l.mu[p].Lock()
		if h := l.h[p]; h != nil && h.TotalCount() > 0 {
			out = append(out, PhaseLate{
				Phase:     p.String(),
				Replies:   h.TotalCount(),
				P50Micros: h.ValueAtQuantile(50),
				P99Micros: h.ValueAtQuantile(99),
				MaxMicros: h.Max(),
			})
		}
		l.mu[p].Unlock()
	}
	return out
}
