package loadgen

import (
	"os"
	"time"

	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

// Presence while held (--status-every): each held session changes its
// status every StatusEvery (jittered), cycling through statusCycle. The
// roster knows which of its contacts are held by this process and online
// when the CHG is written; each of them times the presence phase from that
// write to the matching NLN's arrival at its own socket (one clock, the
// run's; the kernel's receive stamp where there is one). A notification
// that has not arrived --timeout after the CHG, at a contact still held
// and online, is lost.
//
// The writer resolves its changes (counts what was lost) on its own timer:
// at a change's due time, or earlier when it needs the ring slot or its
// hold is over and every notification is in. A contact only marks its
// delivery, under the writer's slot lock.

// presenceState is a held session's part in presence.
type presenceState struct {
	nextChg   time.Time // when the next CHG is due
	chgTrID   uint32    // a CHG waits for its echo (0: none)
	chgDue    time.Time // when that echo is late
	oldestDue int64     // due time of the oldest change in flight (ns since run start); 0: none
	status    int       // cycle index of the status last written (-1: not in the cycle, e.g. HDN)
}

// presenceStart is called when the hold starts: the session joins the
// roster, and its first status change is due at a random point within the
// first interval, so the sessions' changes spread out.
func (s *session) presenceStart(now time.Time) {
	p := s.p
	r := p.roster
	if r == nil {
		return
	}
	s.rst = r.enter(s.acct, s, p.online)
	ps := &s.hs.ps
	*ps = presenceState{status: r.statusIndex(p.status)}
	if p.statusEvery > 0 {
		ps.nextChg = now.Add(time.Duration(s.rng.Uint64() % uint64(p.statusEvery)))
	}
}

// presenceEnd takes the session out of the roster.
func (s *session) presenceEnd() {
	if r := s.p.roster; r != nil {
		r.leave(s.acct)
	}
}

// presenceTick writes the status change that is due and resolves the
// changes whose time is up. It returns the error that ends the hold, and
// when it must run next (zero: it needs no wake-up; finished: nothing of
// presence keeps the hold open).
func (s *session) presenceTick(now time.Time, ended bool) (wake time.Time, finished bool, err error) {
	p := s.p
	r := p.roster
	ps := &s.hs.ps
	if r == nil || p.statusEvery <= 0 {
		return wake, true, nil
	}
	if ps.chgTrID != 0 && !now.Before(ps.chgDue) {
		s.hs.failed = report.Presence
		return wake, false, os.ErrDeadlineExceeded
	}
	nowNs := int64(now.Sub(p.start))
	due := !ended && ps.chgTrID == 0 && !now.Before(ps.nextChg)
	if ps.oldestDue != 0 && (nowNs >= ps.oldestDue || ended || due) {
		// Early (before the oldest is due) only where it matters: the hold
		// is over, or a change is due and may need the ring slot.
		ps.oldestDue = r.resolve(s.acct, nowNs, ended || due)
	}
	if due && !r.full(s.acct) {
		if err := s.writeChange(now); err != nil {
			s.hs.failed = report.Presence
			return wake, false, err
		}
	}
	if ps.chgTrID != 0 {
		wake = ps.chgDue
	}
	if ps.oldestDue != 0 {
		wake = minTimeZ(wake, p.start.Add(time.Duration(ps.oldestDue)))
		if ended || (due && r.full(s.acct)) {
			// Waiting for a change whose notifications are not all in (to
			// end the hold, or for a ring slot): look again soon, so one
			// that is merely late does not hold things up until it is due.
			wake = minTime(wake, now.Add(max(p.statusEvery/4, time.Millisecond)))
		}
	}
	if !ended && ps.chgTrID == 0 && (ps.oldestDue == 0 || !r.full(s.acct)) {
		wake = minTimeZ(wake, ps.nextChg)
	}
	return wake, ps.chgTrID == 0 && ps.oldestDue == 0, nil
}

// writeChange writes the next status of the cycle.
func (s *session) writeChange(now time.Time) error {
	p := s.p
	r := p.roster
	ps := &s.hs.ps
	c := s.src.c
	st := (ps.status + 1) % len(r.cycle)
	trid := s.nextTrID()
	s.wbuf = msnp.AppendCHG(s.wbuf[:0], trid, r.cycle[st])
	_ = c.SetWriteDeadline(now.Add(p.timeout))
	// Known to the roster before the write, so no notification can arrive
	// before its change does; the clock starts before the write, as in
	// every other phase.
	at := p.now()
	r.begin(s.acct, st, at, at+int64(p.timeout), at >= p.warmup)
	if ps.oldestDue == 0 {
		ps.oldestDue = at + int64(p.timeout)
	}
	if _, err := c.Write(s.wbuf); err != nil {
		return err
	}
	ps.status, ps.chgTrID, ps.chgDue = st, trid, now.Add(p.timeout)
	// Jittered: uniform in [every/2, 3·every/2), every on average.
	ev := uint64(p.statusEvery)
	ps.nextChg = now.Add(time.Duration(ev/2 + s.rng.Uint64()%max(ev, 1)))
	return nil
}

// heldCommand handles what the notification server sends a held session
// on its own: presence of its contacts (NLN, ILN, FLN) and the echo of its
// own status change; with chat, the reply to its XFR SB and the
// invitations to switchboards (RNG, MSNP.md §4.9; chat.go). It returns
// false for anything else, which the caller passes on to async.
func (s *session) heldCommand(cmd *msnp.Command) bool {
	switch {
	case s.p.chat != nil && cmd.Is("RNG"):
		s.onRNG(cmd)
	case s.p.chat != nil && cmd.Is("XFR") && s.hs.xfrTrID != 0 && cmd.HasTrID && cmd.TrID == s.hs.xfrTrID:
		s.xfrReply(cmd)
	case cmd.Is("NLN"):
		s.onNLN(cmd)
	case cmd.Is("ILN"), cmd.Is("FLN"):
		// The roster already knows who of this process is online; a
		// contact of another tool or shard is of no interest.
	case cmd.Is("CHG") && cmd.HasTrID && cmd.TrID == s.hs.ps.chgTrID && s.hs.ps.chgTrID != 0:
		s.hs.ps.chgTrID = 0
	default:
		return false
	}
	return true
}

// onNLN records the presence phase for a contact's status change this
// process wrote: "NLN <status> <handle> <friendly>" (MSNP.md §4.4).
func (s *session) onNLN(cmd *msnp.Command) {
	p := s.p
	r := p.roster
	if r == nil || cmd.NArgs < 2 {
		return
	}
	from, ok := r.lookup(cmd.Arg(1))
	if !ok {
		return
	}
	at, measured, ok := r.deliver(from, s.acct, s.rst, cmd.Arg(0))
	if ok && measured {
		r.delivered.Add(1)
		p.rec.RecordValue(s.stripe, report.Presence, s.replyAt(at)-at, p.now())
	}
}

// minTimeZ is minTime where the zero time means none.
func minTimeZ(a, b time.Time) time.Time {
	if a.IsZero() {
		return b
	}
	return minTime(a, b)
}

// presenceReport puts the run's presence counts into run.
func (e *Engine) presenceReport(run *report.Run) {
	r := e.p.roster
	if r == nil || e.cfg.StatusEvery <= 0 {
		return
	}
	run.Deliveries = append(run.Deliveries, report.Delivery{
		Phase:     report.Presence.String(),
		Expected:  r.expected.Load(),
		Lost:      r.lost.Load(),
		Duplicate: r.dup.Load(),
	})
	if !anyStep(e.cfg.Steps, fetchesLists) {
		lists := stepsWith(fetchesLists)
		run.Health.Warnings = append(run.Health.Warnings, "--status-every without the "+lists+" step: the "+
			"sessions changed their status, but their contact lists are unknown, so no notification was "+
			"expected and the presence phase was not measured (add "+lists+" to --steps)")
	}
}
