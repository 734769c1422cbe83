package loadgen

import (
	"net"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

// Chat while held (--chat-every, issue 14): each held user sends a message
// every ChatEvery to one online contact, over a switchboard it opens with
// the first message and reuses for the next ones (sb.go). The hub is what
// the run's sessions share for it: who is held by this process (to choose
// partners, and to know whether a message's receiver is here so its
// delivery can be timed), the conversations between two of this
// process's users (to count lost, duplicated and reordered messages), the
// message counters and the failures of the switchboard phases.
type chatHub struct {
	every  time.Duration
	seed   uint64
	roster *roster // who is held and online here, and their contacts

	// holdEnd is, by account index, when the account's hold ends (ns since
	// the run start) while it is held by this process; 0: it is not.
	holdEnd []atomic.Int64

	mu    sync.Mutex
	convs map[uint64]*conv // by caller<<32 | callee, while the caller's switchboard is open
	live  map[*session]struct{}

	sent, acked, naked, nakedLeft, delivered, lost, dup, reordered, opened, expected atomic.Int64

	failMu sync.Mutex
	failed map[holdKey]int64

	// wg counts the switchboard connections' goroutines (Go's net
	// package), so the run ends after them; an event loop waits for its
	// tasks itself.
	wg sync.WaitGroup
}

func newChatHub(every time.Duration, seed uint64, r *roster) *chatHub {
	h := &chatHub{every: every, seed: seed, roster: r, convs: map[uint64]*conv{},
		failed: map[holdKey]int64{}, holdEnd: make([]atomic.Int64, len(r.slots))}
	if h.seed == 0 {
		h.seed = uint64(time.Now().UnixNano())
	}
	return h
}

// lookup returns the account index of handle, or -1 when the account is
// not one of this run's.
func (h *chatHub) lookup(handle []byte) int32 {
	if i, ok := h.roster.lookup(handle); ok {
		return i
	}
	return -1
}

// partner chooses whom acct talks to next: one of its contacts (its
// forward list, from SYN) held by this process, online, and held for at
// least another ChatEvery after now (a conversation cut short by the
// other's logout would be counted against the server); without a contact
// list (no syn step), any such user. The choice is drawn from (seed, acct,
// n), so a seeded run talks along the same pairs. -1: nobody to talk to.
// buf is scratch space for the contact list.
func (h *chatHub) partner(acct int32, n uint64, now int64, buf *[]int32) int32 {
	ok := func(j int32) bool {
		return j != acct && h.roster.online(j) && h.holdEnd[j].Load() > now+int64(h.every)
	}
	x := splitmix(h.seed ^ uint64(acct)<<20 ^ n)
	*buf = h.roster.contacts(acct, (*buf)[:0])
	if c := *buf; len(c) > 0 {
		for i := range c {
			if j := c[(x+uint64(i))%uint64(len(c))]; ok(j) {
				return j
			}
		}
		return -1
	}
	total := uint64(len(h.holdEnd))
	for try := range uint64(64) {
		if j := int32((x + try*0x9e3779b97f4a7c15) % total); ok(j) {
			return j
		}
	}
	return -1
}

func splitmix(x uint64) uint64 {
	x += 0x9e3779b97f4a7c15
	x = (x ^ x>>30) * 0xbf58476d1ce4e5b9
	x = (x ^ x>>27) * 0x94d049bb133111eb
	return x ^ x>>31
}

// jitter returns d ±10%, from the state *x (advanced).
func jitter(d time.Duration, x *uint64) time.Duration {
	*x = splitmix(*x)
	f := float64(*x>>11)/float64(1<<53)*0.2 - 0.1
	return d + time.Duration(float64(d)*f)
}

// fail counts a failure of a switchboard or message phase.
func (h *chatHub) fail(ph report.Phase, err error) {
	class, code := msnp.Classify(err)
	if class == msnp.ClassNone {
		class = msnp.ClassOther
	}
	h.failMu.Lock()
	h.failed[holdKey{ph, class, code, msnp.DetailOf(err)}]++
	h.failMu.Unlock()
}

// report fills the run's chat counters and failures.
func (h *chatHub) report(run *report.Run) {
	run.Chat = &report.Chat{
		Switchboards: h.opened.Load(),
		Sent:         h.sent.Load(),
		Acked:        h.acked.Load(),
		Naked:        h.naked.Load(),
		NakedLeft:    h.nakedLeft.Load(),
		Delivered:    h.delivered.Load(),
		Lost:         h.lost.Load(),
		Duplicated:   h.dup.Load(),
		Reordered:    h.reordered.Load(),
	}
	// The same counts in the form presence has, so every report, merge and
	// --slo reads a delivery's losses one way.
	run.Deliveries = append(run.Deliveries, report.Delivery{
		Phase:     report.MsgDeliver.String(),
		Expected:  h.expected.Load(),
		Lost:      h.lost.Load(),
		Duplicate: h.dup.Load(),
	})
	h.failMu.Lock()
	if len(h.failed) > 0 {
		run.ChatErrors, _ = holdErrors(h.failed)
	}
	h.failMu.Unlock()
}

// conv is one conversation between two users held by this process: the
// caller's switchboard and the callee's end of it. The caller writes its
// fields, the callee its own; the last of them to let go adds up what was
// lost (the mutex orders the two).
type conv struct {
	key   uint64
	calAt int64 // when the caller wrote CAL (ns since run start), for sb.ring

	mu   sync.Mutex
	refs int

	// the caller's
	acked int64
	// the callee's
	delivered int64 // distinct messages that arrived within the timeout
	maxSeq    uint64
	seen      uint64 // bit i: message maxSeq-i arrived
}

func convKey(caller, callee int32) uint64 { return uint64(uint32(caller))<<32 | uint64(uint32(callee)) }

// open registers a conversation from caller to callee, about to CAL.
func (h *chatHub) open(caller, callee int32, calAt int64) *conv {
	cv := &conv{key: convKey(caller, callee), calAt: calAt, refs: 1}
	h.mu.Lock()
	h.convs[cv.key] = cv
	h.mu.Unlock()
	return cv
}

// join gives the callee the conversation its RNG is about, if its caller
// is held by this process.
func (h *chatHub) join(caller, callee int32) *conv {
	if caller < 0 || callee < 0 {
		return nil
	}
	h.mu.Lock()
	defer h.mu.Unlock()
	cv := h.convs[convKey(caller, callee)]
	if cv != nil {
		cv.mu.Lock()
		cv.refs++
		cv.mu.Unlock()
	}
	return cv
}

// leave lets go of cv; the last one out counts the messages the server
// acknowledged that never arrived (or arrived after the timeout) as lost.
func (h *chatHub) leave(cv *conv, caller bool) {
	if caller {
		h.mu.Lock()
		if h.convs[cv.key] == cv {
			delete(h.convs, cv.key)
		}
		h.mu.Unlock()
	}
	cv.mu.Lock()
	cv.refs--
	last := cv.refs == 0
	cv.mu.Unlock()
	if last {
		h.expected.Add(cv.acked)
		if cv.acked > cv.delivered {
			h.lost.Add(cv.acked - cv.delivered)
		}
	}
}

// arrived counts message seq at the callee: new, duplicated or out of
// order (a 64-message window; an older one counts as reordered). It
// reports whether the message is new.
func (h *chatHub) arrived(cv *conv, seq uint64, onTime bool) bool {
	switch {
	case seq > cv.maxSeq:
		d := seq - cv.maxSeq
		if d >= 64 {
			cv.seen = 0
		} else {
			cv.seen <<= d
		}
		cv.seen |= 1
		cv.maxSeq = seq
	case cv.maxSeq-seq >= 64:
		h.reordered.Add(1)
		return false
	case cv.seen&(1<<(cv.maxSeq-seq)) != 0:
		h.dup.Add(1)
		return false
	default:
		cv.seen |= 1 << (cv.maxSeq - seq)
		h.reordered.Add(1)
	}
	if onTime {
		cv.delivered++
		h.delivered.Add(1)
	}
	return true
}

// chatTick asks for a switchboard when the held user's next message is
// due and it has none to send it on: XFR SB on the notification server,
// whose reply (xfrReply) starts the caller's switchboard connection. While
// one is open, that connection sends the messages itself.
func (s *session) chatTick(c net.Conn, now time.Time) error {
	p := s.p
	h := &s.hs
	if h.xfrTrID != 0 || now.Before(h.nextChat) {
		return nil
	}
	h.nextChat = now.Add(jitter(p.chat.every, &h.rnd))
	if h.out != nil && !h.out.sb.done.Load() {
		return nil
	}
	h.out = nil
	peer := p.chat.partner(s.acct, h.chats, p.now(), &h.contacts)
	h.chats++
	if peer < 0 {
		return nil // nobody to talk to now
	}
	h.xfrPeer = peer
	h.xfrTrID = s.nextTrID()
	s.wbuf = msnp.AppendXFRSB(s.wbuf[:0], h.xfrTrID)
	_ = c.SetWriteDeadline(now.Add(p.timeout))
	h.xfrAt = p.now()
	h.xfrDue = now.Add(p.timeout)
	_, err := c.Write(s.wbuf)
	return err
}

// xfrReply takes the reply to XFR SB: "XFR t SB <host:port> CKI <cookie>".
func (s *session) xfrReply(cmd *msnp.Command) {
	p := s.p
	h := &s.hs
	h.xfrTrID = 0
	s.recordValue(report.SBXfr, s.replyAt(h.xfrAt)-h.xfrAt)
	if !bytesEq(cmd.Arg(0), "SB") || !bytesEq(cmd.Arg(2), "CKI") || len(cmd.Arg(3)) == 0 || len(cmd.Arg(3)) > 128 {
		h.noSB = true
		p.chat.fail(report.SBXfr, errNoSwitchboard)
		return
	}
	addr, err := s.sbAddr(cmd.Arg(1))
	if err != nil {
		h.noSB = true
		p.chat.fail(report.SBXfr, err)
		return
	}
	h.out = s.startCaller(h.xfrPeer, addr, cmd.Arg(3))
}

// endChats ends the held user's switchboards with its hold.
func (s *session) endChats() {
	h := &s.hs
	s.p.chat.holdEnd[s.acct].Store(0)
	if h.out != nil {
		h.out.stopSB()
		h.out = nil
	}
	for _, d := range h.ins {
		d.stopSB()
	}
	clear(h.ins)
	h.ins = h.ins[:0]
}

func sbDone(s *session) bool { return s.sb.done.Load() }

// onRNG answers an invitation to a switchboard.
func (s *session) onRNG(cmd *msnp.Command) {
	if d := s.startCallee(cmd); d != nil {
		s.hs.ins = append(slices.DeleteFunc(s.hs.ins, sbDone), d)
	}
}
