package loadgen

import (
	"math/rand/v2"
	"net"
	"sync"
	"sync/atomic"
	"time"

	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

// params is what every session of a run shares, read-only once the run
// starts (except the atomics).
type params struct {
	target  string
	verList []byte // "MSNP7 MSNP6 ... CVR0" as sent
	offered msnp.DialectSet
	steps   []Step
	status  []byte
	qryID   []byte
	qryKey  []byte
	timeout time.Duration
	hold    time.Duration
	ping    time.Duration
	start   time.Time // run start; every timestamp is time.Since(start)
	accts   *accounts
	rec     *report.Recorder
	texts   *errorTexts // messages of failures of class other; nil: not kept
	probe   bool        // the sessions are Engine.Probe's: keep the error
	dial    func(addr string) (net.Conn, error)
	stamps  bool // Config.Timestamps is kernel

	// role names the first server's phases (Config.TargetRole): fixed
	// for the whole run, so the same reply never lands in two phases.
	role role
	// stopHold tells held sessions to log out now (end of run).
	stopHold atomic.Bool
	// closer closes connections after OUT (Go's net package; nil with the
	// event loops, outside a run, and in probes: logout then waits itself).
	closer *closer

	// roster is what held sessions know of each other (roster.go); nil
	// when nothing needs it. statusEvery is Config.StatusEvery; online
	// says held sessions are online (a step that goesOnline, chg, is
	// taken); warmup is Config.Warmup in ns; seed draws the sessions'
	// jitter.
	roster      *roster
	statusEvery time.Duration
	online      bool
	warmup      int64
	seed        uint64
	// chat is what held sessions share to chat (--chat-every); nil: no chat.
	chat *chatHub
}

func (p *params) now() int64 { return int64(time.Since(p.start)) }

// Sessions: one struct per worker, reused for every login it runs, so a
// login allocates nothing beyond what dialing costs.
type session struct {
	p      *params
	stripe int          // the Recorder stripe it records into
	rd     *msnp.Reader // nil until a login, and after a hold
	wbuf   []byte       // nil while parked
	trid   uint32
	d      msnp.Dialect
	warm   bool

	src connReader // the Reader's source: the connection, plus the hold timer
	// sentAt is when the last request was written (ns since run start,
	// taken just before the write); done is when the reply that ended the
	// last timed phase arrived.
	sentAt, done int64
	// lagSum is how long this session's timed replies waited between their
	// arrival and being parsed (lagN of them), for the read.lag phase.
	lagSum int64
	lagN   int32

	smallRd bool       // rd is a hold-sized reader (smallReaders)
	parker  holdParker // parks this session's holds (event loops); nil: it holds on its goroutine

	acct int32 // the account of the session in progress

	mu       sync.Mutex // guards conn against abort/wake from the engine
	conn     net.Conn
	canceled atomic.Bool // the run is being torn down: fail fast
	holding  atomic.Bool

	// dial is this session's way to connect: the event loop's that runs
	// it, or nil for the run's (p.dial, Go's net package).
	dial func(addr string) (net.Conn, error)
	// spawn runs f as a task of the event loop that runs this session; nil:
	// Go's net package (a goroutine).
	spawn func(f func())

	sb *sbState // set: this is a switchboard connection of a held user (sb.go)

	// *nsState is what only a login and its hold use; a switchboard
	// connection (sb != nil) has none, so that it costs a third of a held
	// session (issue 14: a chatting user has two of them).
	*nsState
}

// nsState is the part of a session that a switchboard connection does not
// need: the login's result, referrals and hash, the hold's timers.
type nsState struct {
	hash [32]byte
	sm   report.Sample
	hs   holdState

	rst uint64   // the roster state while held (roster.enter)
	rng rand.PCG // jitter of its status changes

	// firstReply is what the first server answered this session's USR I
	// with: roleDS for a referral, roleNS for a challenge, roleAuto for
	// neither (yet). The probe login's tells an auto run the role.
	firstReply role

	// probeErr is the failure of a probe login (Engine.Probe), with its
	// error; nil for the run's sessions, which keep only the class.
	probeErr *ProbeError

	// backoff is how long the worker waits before its next session: not at
	// all after a session that reached the server (see nextBackoff).
	backoff time.Duration

	refBuf  [280]byte
	lastRef string
	ds      net.Conn // the dispatch connection, closed once the login is over

	// A CHL that arrived while a reply was awaited is answered after it,
	// because we never have two requests outstanding. (A switchboard does
	// not challenge: one that does is not answered.)
	chl        [128]byte
	chlLen     int
	chlAt      int64 // when the CHL arrived (ns since run start)
	chlPending bool
}

const writeBufSize = 512

// sessionSeq tells sessions' random streams apart.
var sessionSeq atomic.Uint64

func newSession(p *params, stripe int) *session {
	s := &session{p: p, stripe: stripe, wbuf: make([]byte, 0, writeBufSize), nsState: &nsState{}}
	s.rng.Seed(p.seed, uint64(stripe)<<32|uint64(sessionSeq.Add(1)))
	s.src.s = s
	// The login-sized reader is taken when a login starts (run): a worker
	// waiting for its turn in a ramp, or holding, has none.
	return s
}

// aLongTimeAgo is a deadline in the past: setting it wakes a blocked
// read or write at once.
var aLongTimeAgo = time.Unix(1, 0)

func (s *session) setConn(c net.Conn) {
	s.mu.Lock()
	s.conn = c
	s.mu.Unlock()
	if c != nil && s.canceled.Load() {
		_ = c.SetDeadline(aLongTimeAgo)
	}
}

// abort makes the session's current and next I/O fail at once. The engine
// calls it when the grace period after a cancel is over.
func (s *session) abort() {
	s.canceled.Store(true)
	s.mu.Lock()
	if s.conn != nil {
		_ = s.conn.SetDeadline(aLongTimeAgo)
	}
	s.mu.Unlock()
}

// wake interrupts a held session's wait so it sees stopHold.
func (s *session) wake() {
	if !s.holding.Load() {
		return
	}
	s.mu.Lock()
	// Looked at again under the lock: endHolding may have ended the hold
	// since, and the deadline then belongs to what follows it.
	if s.conn != nil && s.holding.Load() {
		_ = s.conn.SetReadDeadline(aLongTimeAgo)
	}
	s.mu.Unlock()
}

// endHolding ends the part of a hold that wake may cut short: after it, a
// late wake leaves the connection's deadline alone, so what follows the
// hold (a switchboard's drain or logout) is not ended by it.
func (s *session) endHolding() {
	s.mu.Lock()
	s.holding.Store(false)
	s.mu.Unlock()
}

func (s *session) closeConn(c net.Conn) {
	s.setConn(nil)
	_ = c.Close()
}

// run performs one whole session for account acct, intended to start at
// intended (ns since run start), and leaves its result in s.sm. The
// connection stays open if the session succeeded and must be held: the
// caller then holds it (holdBegin, then holdRun).
func (s *session) run(acct int32, intended int64) (held net.Conn) {
	p := s.p
	sm := &s.sm
	*sm = report.Sample{}
	sm.Start = p.now()
	sm.Intended = intended
	sm.Warmup = s.warm
	if intended > sm.Start {
		sm.Intended = sm.Start // a worker that starts early is not "negative lag"
	}
	s.acct = acct
	if s.rd == nil {
		s.rd = getReader(&bigReaders, &s.src, msnp.DefaultBufSize)
	}
	s.trid = 0
	s.chlPending = false
	s.done, s.lagSum, s.lagN = 0, 0, 0

	c, phase, err := s.login(p.accts.handles[acct], p.accts.password(acct))
	s.closeDS()
	if err == nil {
		phase, err = s.steps(c)
	}
	end := p.now()
	sm.End = end
	if s.lagN > 0 {
		// A session that failed after some replies waited for the
		// generator too: read.lag has a value for every session that got
		// a stamped reply.
		sm.Set(report.ReadLag, s.lagSum)
	}
	if err != nil {
		s.fail(phase, err)
		if c != nil {
			s.closeConn(c)
		}
		return nil
	}
	done := s.done
	if done == 0 {
		done = end
	}
	sm.Set(report.Session, done-sm.Start)
	sm.Set(report.SessionIntended, done-sm.Intended)
	if p.hold > 0 && !p.stopHold.Load() {
		return c
	}
	s.logout(c)
	return nil
}

func (s *session) fail(phase report.Phase, err error) {
	class, code := msnp.Classify(err)
	if s.canceled.Load() && (class == msnp.ClassTimeout || class == msnp.ClassEOF || class == msnp.ClassOther) {
		class = msnp.ClassCanceled
	}
	if class == msnp.ClassNone {
		class = msnp.ClassOther
	}
	if class == msnp.ClassOther && !s.warm {
		s.p.texts.add(phase, false, err)
	}
	if s.p.probe {
		s.probeErr = newProbeError(s, phase, class, code, err)
	}
	s.sm.Class = class
	s.sm.FailPhase = phase
	if class == msnp.ClassKicked || class == msnp.ClassProtocol {
		s.sm.Detail = msnp.DetailOf(err)
	}
	if code > 0 && code < 1<<16 {
		s.sm.Code = uint16(code)
	}
}

func (s *session) nextTrID() uint32 {
	s.trid++
	if s.trid == 0 { // never use 0: it marks server-initiated commands
		s.trid = 1
	}
	return s.trid
}

// send writes s.wbuf under a fresh phase deadline; the request's phase
// starts now (sentAt).
func (s *session) send(c net.Conn) error {
	now := time.Now()
	_ = c.SetDeadline(now.Add(s.p.timeout))
	// Checking canceled after setting the deadline closes the race with
	// abort: either abort's past deadline comes after ours, or we see the
	// flag and set it ourselves.
	if s.canceled.Load() {
		_ = c.SetDeadline(aLongTimeAgo)
	}
	s.sentAt = int64(now.Sub(s.p.start))
	_, err := c.Write(s.wbuf)
	return err
}

// replied ends the phase of the request sent last (sentAt): it returns the
// phase's duration and records its end in done. The end is when the reply
// arrived (replyAt).
func (s *session) replied() int64 {
	s.done = s.replyAt(s.sentAt)
	return s.done - s.sentAt
}

// replyAt is when the reply just parsed arrived, for a request sent at
// sent: the kernel's receive stamp of the read that completed it when the
// connection has them (see connReader), so the generator's own wake-up and
// parsing are not counted as the server's time; otherwise now. A stamp is
// kept within [sent, now]: data that was already there before the request
// went out (a server that answered ahead) took no time, and a wall clock
// stepped in between cannot put a reply in the future.
func (s *session) replyAt(sent int64) int64 {
	now := s.p.now()
	if at := s.src.at; at != 0 {
		end := min(max(at, sent), now)
		s.lagSum += now - end
		s.lagN++
		return end
	}
	return now
}

func (s *session) recordValue(ph report.Phase, d int64) {
	if !s.warm {
		s.p.rec.RecordValue(s.stripe, ph, d, s.p.now())
	}
}

// await reads until the reply carrying trid, skipping everything a client
// must tolerate meanwhile (MSNP.md §4.8): presence, BPR, payload messages,
// unknown commands. CHL is stashed for answerCHL; OUT and an asynchronous
// XFR end the session.
func (s *session) await(trid uint32) (*msnp.Command, error) {
	for {
		cmd, err := s.rd.Next()
		if err != nil {
			return nil, err
		}
		if cmd.HasTrID && cmd.TrID == trid {
			return cmd, nil
		}
		if err := s.async(cmd); err != nil {
			return nil, err
		}
	}
}

// async handles a command that is not the reply being waited for.
func (s *session) async(cmd *msnp.Command) error {
	switch {
	case cmd.Is("CHL") && s.nsState != nil:
		if ch := cmd.Arg(0); len(ch) > 0 && len(ch) <= len(s.chl) {
			s.chlLen = copy(s.chl[:], ch)
			// The qry phase runs from when the generator read the CHL, as
			// before kernel stamps: from the CHL's arrival it would count
			// the generator's own wake-up as the server's time.
			s.chlAt = s.p.now()
			s.chlPending = true
		}
	case cmd.Is("OUT"):
		return kicked(cmd.Arg(0))
	case cmd.Is("XFR") && bytesEq(cmd.Arg(0), "NS"):
		return kickedXFR
	}
	return nil
}

// logout sends OUT (MSNP.md §4.7), and the session is done. Its
// connection is closed once the server has closed it, or --timeout after
// the OUT: the side that closes first keeps the connection in TIME_WAIT
// (at thousands of logins per second a generator that closed first would
// run out of local ports), and one that closes with the server's reply
// unread resets it. In a run the wait is off the session's path: the event
// loop (CloseAfterPeer) or the run's closer does it, and the end of the run
// waits for it, up to the grace period. Without a run (a probe, a test)
// logout waits itself. It closes at once when the OUT could not be written,
// the session was canceled, or the closer is full.
func (s *session) logout(c net.Conn) {
	now := time.Now()
	until := now.Add(s.p.timeout)
	_ = c.SetWriteDeadline(until)
	s.wbuf = msnp.AppendOUT(s.wbuf[:0], "")
	s.setConn(nil)
	_, err := c.Write(s.wbuf)
	switch pc, ok := c.(peerCloser); {
	case err != nil || s.canceled.Load():
		_ = c.Close()
	case ok:
		pc.CloseAfterPeer(s.p.timeout)
	case s.p.closer != nil && s.p.closer.add(c, until):
	case s.p.closer != nil:
		_ = c.Close() // too many waiting already
	default:
		// No run (a probe, a test): wait here.
		_ = c.SetReadDeadline(until)
		scratch := s.wbuf[:cap(s.wbuf)]
		for {
			if _, err := c.Read(scratch); err != nil {
				break
			}
		}
		_ = c.Close()
	}
}

// peerCloser is a connection that can be left to close itself once the
// peer has closed (evloop.Conn): the session goes on at once instead of
// reading to the end.
type peerCloser interface {
	CloseAfterPeer(d time.Duration)
}

// closeDS closes a dispatch connection kept open after its referral.
func (s *session) closeDS() {
	if s.ds != nil {
		_ = s.ds.Close()
		s.ds = nil
	}
}

func bytesEq(b []byte, s string) bool { return string(b) == s }

var (
	kickedXFR  = &msnp.KickedError{Reason: "XFR"}
	kickedOTH  = &msnp.KickedError{Reason: "OTH"}
	kickedSSD  = &msnp.KickedError{Reason: "SSD"}
	kickedNone = &msnp.KickedError{Reason: "OUT"}
)

// unexpected is the error for a reply of the wrong type; the messages are
// built once so the failure path does not allocate either.
func unexpected(want string) error {
	if e, ok := unexpectedErrs[want]; ok {
		return e
	}
	return msnp.NewProtocolErrorDetail("unexpected reply, want "+want, msnp.DetailUnexpected)
}

var unexpectedErrs = func() map[string]error {
	m := map[string]error{}
	for _, w := range []string{"VER", "INF", "XFR NS", "XFR NS or USR MD5 S", "USR OK", "SYN", "CHG", "QRY"} {
		m[w] = msnp.NewProtocolErrorDetail("unexpected reply, want "+w, msnp.DetailUnexpected)
	}
	return m
}()

func kicked(reason []byte) error {
	switch string(reason) {
	case "OTH":
		return kickedOTH
	case "SSD":
		return kickedSSD
	case "":
		return kickedNone
	}
	return &msnp.KickedError{Reason: string(reason)}
}
