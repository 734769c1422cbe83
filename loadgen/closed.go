package loadgen

import "time"

// The closed model (-c, or concurrency --stages): a fixed number of
// workers, or as many as the stage level says, each starting its next
// session when its last one ended. The server's speed sets the rate.
//
// Which workers exist and who starts them is decided here (startClosed):
// worker ids 0 .. closedWorkers-1, split between an I/O engine's parts
// (the event loops; the one goroutine of netIO) by id mod parts. The I/O
// engine only places the workers it is given (netIO.runClosed: a goroutine
// each; loopGroup.runClosed: a task each on the loop that started it) and
// gives them a way to pause; what a worker does is the same on both.

// closedWorkers is how many workers the closed model needs.
func (e *Engine) closedWorkers() int {
	if len(e.cfg.Stages) > 0 {
		return e.peakInflight()
	}
	return e.concurrency
}

// startClosed starts the closed-model workers of part `part` of `parts`
// (an I/O engine runs one startClosed per part, with its own pause): ids
// part, part+parts, ... below closedWorkers, in the order their turns
// come, each when its turn first comes (waitTurn). start places worker id
// and returns at once. It returns when every id of the part is started, or
// the run stops first.
func (e *Engine) startClosed(part, parts int, pause func(time.Duration), start func(id int)) {
	for id, n := part, e.closedWorkers(); id < n; id += parts {
		if !e.waitTurn(id, pause) {
			return
		}
		start(id)
	}
}

// waitTurn waits (with pause) until closed-model worker id is first due:
// at once without stages, else when the stage level first goes above it,
// so that a worker is set up (a session, a goroutine or task) only when it
// has work: a ramp up to tens of thousands of held sessions used to begin
// with all of them waiting. It reports false if the run stops first, or if
// the profile ends first (the run's time is then up, as a worker would
// have found).
func (e *Engine) waitTurn(id int, pause func(time.Duration)) bool {
	for !e.stopped() {
		d, ok := e.stageTurn(id)
		if !ok {
			e.markTimeUp()
			e.stopStarting()
			return false
		}
		if d == 0 {
			return true
		}
		pause(d)
	}
	return false
}

// closedWorker runs sessions one after another on s until the run stops.
// pause waits (the stage level leaves this worker idle, or it backs off),
// returning early when the run stops.
func (e *Engine) closedWorker(id int, s *session, pause func(time.Duration)) {
	c := &e.cfg
	p := &e.p
	for !e.stopped() {
		d, ok := e.stageTurn(id)
		if !ok {
			e.markTimeUp()
			e.stopStarting()
			return
		}
		if d > 0 {
			// Not this worker's turn at the current level: sleep until it
			// is (or the profile ends), but wake at once when the run
			// stops. (It used to look again every 20 ms: with tens of
			// thousands of workers ramping up to held sessions, their
			// wake-ups took more CPU than the logins.)
			pause(d)
			continue
		}
		now := p.now()
		if now >= int64(c.Warmup) && e.logins > 0 {
			if e.n.issued.Add(1) > e.logins {
				e.stopStarting()
				return
			}
		}
		if e.runOne(s, now) {
			return // the session's hold was parked: resumeClosed goes on
		}
		e.backOff(s, pause)
	}
}

// resumeClosed goes on with closed worker id after a parked hold ended
// (endHold has run): what closedWorker does after runOne.
func (e *Engine) resumeClosed(id int, s *session, pause func(time.Duration)) {
	e.backOff(s, pause)
	e.closedWorker(id, s, pause)
}
