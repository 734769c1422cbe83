package loadgen

import (
	"math/rand/v2"
	"time"
)

// The open model (--rate, or rate --stages): sessions start when the
// pacer (pacer.go) says, whatever the server does. A start is handed to
// an idle worker, or to a new one while there are fewer than MaxInflight;
// when every worker is busy the start waits for one, but only until it is
// MaxLag late: then it is dropped and counted, never queued (a queue would
// hide the server's slowness from the measurement). Waiting, rather than
// dropping at once, is what lets a stalled server show up in sched.lag and
// login.intended (coordinated omission); the bound keeps the backlog
// finite.
//
// schedule holds these rules, once. The I/O engine gives it its workers
// through starter (netOpen: goroutines fed by a channel; loopOpen: tasks
// on one event loop, which runs a stream of its own).

// starter is what the open model's scheduler needs of an I/O engine. Times
// are intended starts, in ns since the run's start.
type starter interface {
	// sleepUntil waits until at; false when the run stopped first.
	sleepUntil(at int64) bool
	// hand gives the start due at intended to an idle worker, or to a
	// new one if the engine may make one; false when it can do neither.
	hand(intended int64) bool
	// handBy waits until a worker takes the start due at intended, until
	// deadline at most; stopped when the run stopped first.
	handBy(intended, deadline int64) (handed, stopped bool)
}

// schedule starts the sessions of one arrival stream on w, by the rules
// above, until the run stops, -n is reached or the stream ends; it reports
// whether the stream ended (the run's time is up).
func (e *Engine) schedule(arr *pacer, w starter) (timeUp bool) {
	p := &e.p
	for !e.stopped() {
		at, ok := arr.next()
		if !ok {
			return true
		}
		intended := int64(at)
		if !w.sleepUntil(intended) || e.stopped() || !e.count(intended) {
			return false
		}
		if w.hand(intended) {
			continue
		}
		handed, stopped := w.handBy(intended, intended+int64(e.cfg.MaxLag))
		if stopped {
			return false
		}
		if !handed {
			p.rec.Dropped(e.stripe(intended), p.now())
		}
	}
	return false
}

// newPacer makes the open model's arrival stream i of n (pacer.go): the
// run's rate may be split over several streams (one per event loop), each
// with its share of the rate and random numbers of its own.
func (e *Engine) newPacer(i, n int) *pacer {
	c := &e.cfg
	var rng *rand.Rand
	if c.Arrival == Poisson {
		seed := c.Seed
		if seed == 0 {
			seed = uint64(time.Now().UnixNano())
		}
		// Stream 0 of shard k draws what the single stream drew before
		// streams existed, so a seeded run with one loop is reproducible.
		rng = rand.New(rand.NewPCG(seed, uint64(c.ShardIndex)+uint64(i)<<32))
	}
	return newPacer(e.rate, c.Stages, e.levelScale, c.end(), rng, i, n)
}

// count counts a start against -n; false means -n is reached and this
// start is not to be made.
func (e *Engine) count(intended int64) bool {
	if intended >= int64(e.cfg.Warmup) && e.logins > 0 {
		if e.n.issued.Add(1) > e.logins {
			e.n.issued.Add(-1)
			return false
		}
	}
	return true
}
