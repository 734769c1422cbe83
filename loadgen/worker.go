package loadgen

import (
	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

// What every worker does with one session, whatever the load model
// (closed.go, open.go) that started it and the I/O engine (netio.go,
// loop_linux.go) that runs it: lease an account, log in and take the
// steps, record the result, hold (hold.go), end.

// runOne runs one session on s: lease an account, log in and take the
// steps, record the result, hold, release. It reports parked when the
// hold goes on without the calling goroutine (an event loop parked the
// session, see parkedSession in loop_linux.go): endHold then finishes the
// session later, on another goroutine of the loop, and the caller must
// stop using s.
func (e *Engine) runOne(s *session, intended int64) (parked bool) {
	p := &e.p
	rec := p.rec
	acct, ok := p.accts.acquire()
	if !ok {
		rec.Dropped(s.stripe, p.now())
		return false
	}
	s.warm = intended < int64(e.cfg.Warmup)
	rec.Started(s.stripe, p.now())
	e.n.started()
	held := s.run(acct, intended)
	if e.cfg.open() && s.sm.Class != msnp.ClassCanceled {
		s.sm.Set(report.SchedLag, s.sm.Start-intended)
	}
	rec.Record(s.stripe, &s.sm)
	s.backoff = nextBackoff(s.backoff, &s.sm)
	if held != nil {
		e.n.held.Add(1)
		s.holdBegin()
		ph, err, parked := s.holdRun(s.parker != nil)
		if parked {
			return true
		}
		e.endHold(s, ph, err)
		return false
	}
	e.endSession(s)
	return false
}

// endHold counts how a hold ended (ph, err: see holdRun) and ends
// the session.
func (e *Engine) endHold(s *session, ph report.Phase, err error) {
	e.n.held.Add(-1)
	if err != nil {
		class, code := msnp.Classify(err)
		if s.canceled.Load() && class == msnp.ClassTimeout {
			class = msnp.ClassCanceled
		}
		if class == msnp.ClassOther {
			e.texts.add(ph, true, err)
		}
		// A hold cut by the end of the run was not lost: its login
		// is in ok and the server did nothing wrong.
		if class != msnp.ClassCanceled {
			e.n.holdFailure(ph, class, code, err)
		}
	}
	e.endSession(s)
}

// endSession releases the session's account.
func (e *Engine) endSession(s *session) {
	e.n.inflight.Add(-1)
	e.p.accts.release(s.acct)
}
