package loadgen

import (
	"sync"
	"sync/atomic"

	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

// counters are what a run counts while it goes, beside the Recorder's
// histograms: sessions in flight and held for Live, -n's count, and what
// the report's health section adds up at the end.
type counters struct {
	inflight atomic.Int64
	peak     atomic.Int64 // most sessions in flight at once
	held     atomic.Int64
	issued   atomic.Int64 // measured (post-warm-up) starts, for -n
	spawned  atomic.Int64 // open-model workers made, across streams

	backoffNs atomic.Int64 // time workers spent backing off, summed
	backoffs  atomic.Int64

	holdMu     sync.Mutex
	holdFailed map[holdKey]int64 // holds that ended early, by phase and class
}

// started counts a session in flight, and the peak.
func (n *counters) started() {
	v := n.inflight.Add(1)
	for {
		pk := n.peak.Load()
		if v <= pk || n.peak.CompareAndSwap(pk, v) {
			return
		}
	}
}

// holdFailure counts a hold that ended early in phase ph with err.
func (n *counters) holdFailure(ph report.Phase, class msnp.Class, code int, err error) {
	n.holdMu.Lock()
	if n.holdFailed == nil {
		n.holdFailed = map[holdKey]int64{}
	}
	n.holdFailed[holdKey{ph, class, code, msnp.DetailOf(err)}]++
	n.holdMu.Unlock()
}

// latch is a signal that happens once: a channel closed at most once.
type latch struct {
	once sync.Once
	ch   chan struct{}
}

func newLatch() *latch { return &latch{ch: make(chan struct{})} }

func (l *latch) set() { l.once.Do(func() { close(l.ch) }) }

func (l *latch) isSet() bool {
	select {
	case <-l.ch:
		return true
	default:
		return false
	}
}
