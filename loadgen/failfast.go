package loadgen

import (
	"sync"
	"time"

	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

// Backoff after connection errors: in the closed model (and closed
// stages), a worker whose session could not reach the server waits before
// its next one, twice as long each time up to BackoffMax, and not at all
// once a session reached it again. A dead server then gets a few attempts
// per second per worker instead of as many as the machine can make, and
// the report says how long workers waited (report.Health.BackoffTotal).
// The open model does not back off: its rate already bounds the attempts,
// and starts held back because of the server's replies would be the
// coordinated omission the open model exists to avoid.
const (
	BackoffMin = 10 * time.Millisecond
	BackoffMax = time.Second
)

// connFailure reports whether a finished session failed without getting
// a word from the server: the connect failed, or the connection was closed
// or reset before the first reply.
func connFailure(sm *report.Sample) bool {
	switch sm.Class {
	case msnp.ClassNone, msnp.ClassCanceled:
		return false
	}
	switch sm.FailPhase {
	case report.DSConnect, report.NSConnect:
		return true
	case report.DSVer, report.NSVer:
		return sm.Class == msnp.ClassReset || sm.Class == msnp.ClassEOF
	}
	return false
}

// nextBackoff is the wait after a session that ended as sm, given the
// last wait.
func nextBackoff(last time.Duration, sm *report.Sample) time.Duration {
	if !connFailure(sm) {
		return 0
	}
	return min(max(2*last, BackoffMin), BackoffMax)
}

// backOff waits, with pause, the backoff that s's last session earned, and
// counts it. pause returns early when the run stops.
func (e *Engine) backOff(s *session, pause func(time.Duration)) {
	d := s.backoff
	if d == 0 || e.stopped() {
		return
	}
	t0 := time.Now()
	pause(d)
	e.n.backoffNs.Add(int64(time.Since(t0)))
	e.n.backoffs.Add(1)
}

// errorTexts keeps the messages of failures of class other (the class that
// names nothing more precise), the first report.MaxErrorTexts distinct ones
// with their counts, so that no error is counted without its text. Only
// failures of that class reach it, never a successful session.
type errorTexts struct {
	mu   sync.Mutex
	list []report.ErrorText
}

// maxErrorText bounds one kept message.
const maxErrorText = 300

func (t *errorTexts) add(ph report.Phase, hold bool, err error) {
	if t == nil || err == nil {
		return
	}
	msg := err.Error()
	if len(msg) > maxErrorText {
		msg = msg[:maxErrorText] + "…"
	}
	phase := ph.String()
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range t.list {
		x := &t.list[i]
		if x.Phase == phase && x.Hold == hold && x.Message == msg {
			x.Count++
			return
		}
	}
	if len(t.list) < report.MaxErrorTexts {
		t.list = append(t.list, report.ErrorText{Phase: phase, Class: msnp.ClassOther.String(), Message: msg,
			Count: 1, Hold: hold})
	}
}

// texts returns the kept messages, most frequent first.
func (t *errorTexts) texts() []report.ErrorText {
	t.mu.Lock()
	defer t.mu.Unlock()
	if len(t.list) == 0 {
		return nil
	}
	out := append([]report.ErrorText(nil), t.list...)
	report.SortErrorTexts(out)
	return out
}
