package loadgen

import (
	"context"
	"errors"
	"strconv"
	"time"

	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

// ProbeError is a failed probe login (Engine.Probe): where it failed, how,
// and the server's reply or the local error.
type ProbeError struct {
	Target  string
	Account string       // the account's handle (never its password)
	Phase   report.Phase // the phase the login failed in
	Class   msnp.Class
	Code    int    // the server's error code, if it sent one
	Reply   string // what the server answered ("911 5"), or the local error's text
	Timeout time.Duration
	Steps   []Step
	// Fatal is set when every session of the run would fail the same way
	// (nothing listens, no answer, a wrong password, no common dialect, a
	// reply msnbench cannot follow): the load should not start. A failure
	// that may be the server's passing state (busy, unavailable, closed or
	// reset) is not fatal.
	Fatal bool
	Err   error
}

func (e *ProbeError) Unwrap() error { return e.Err }

func (e *ProbeError) Error() string {
	s := "probe login to " + e.Target + " as " + e.Account + " failed at " + e.Phase.String() + " (" +
		e.Class.String() + "): "
	if e.Code != 0 {
		return s + "the server answered " + strconv.Quote(e.Reply)
	}
	return s + e.Reply
}

// Hint is the likely fix, in a few words.
func (e *ProbeError) Hint() string {
	switch e.Class {
	case msnp.ClassRefused:
		return "nothing listens there: check --target's host and port (1863 when none is given) and that the server runs"
	case msnp.ClassTimeout:
		if e.Phase == report.DSConnect || e.Phase == report.NSConnect {
			return "no answer to the connect within " + e.Timeout.String() + ": check --target (a firewall may drop " +
				"the packets), or raise --timeout"
		}
		return "the server accepted the connection but did not answer within " + e.Timeout.String() +
			": check that --target is an MSNP server, or raise --timeout"
	case msnp.ClassAuthFail:
		return "the server does not accept this account with this password: check --password, --password-file " +
			"or $MSNBENCH_PASSWORD, and --user-pattern, --account-start, --accounts or --users against the " +
			"server's accounts"
	case msnp.ClassAccountState:
		return "the server refuses this account's state: check the accounts msnbench uses"
	case msnp.ClassProtocol:
		if errors.Is(e.Err, errNoDialect) || errors.Is(e.Err, errVerZero) {
			return "the server speaks none of the dialects offered: set --dialects to ones it speaks"
		}
		return "the server's reply is not what an MSNP client can follow: check that --target is an MSNP " +
			"server (a dispatch or notification server) and --dialects"
	case msnp.ClassProtocolMisuse, msnp.ClassChallenge:
		return "the server rejects a step as msnbench takes it: check --dialects and --steps"
	case msnp.ClassNoPort, msnp.ClassLocal:
		return "a local limit: check --source and the open-file limit"
	case msnp.ClassOther:
		return "check --target (host:port; a host alone means port 1863)"
	}
	return "the server may be overloaded or starting; the run goes on, and --no-probe skips this check"
}

// fatalProbe reports whether a probe that failed with class c shows that
// every session would fail.
func fatalProbe(c msnp.Class) bool {
	switch c {
	case msnp.ClassRefused, msnp.ClassTimeout, msnp.ClassAuthFail, msnp.ClassProtocol, msnp.ClassProtocolMisuse,
		msnp.ClassChallenge, msnp.ClassNoPort, msnp.ClassLocal, msnp.ClassOther:
		return true
	}
	return false
}

// Probe logs in once with the run's first account, as far as the
// configured steps go, then logs out (it never holds), with the same
// session code as the run. It returns nil when the login worked, a
// *ProbeError when it failed (Fatal says whether the load should start
// at all), or ctx's error when ctx ended first. Call it before Run; it
// sends nothing else and records nothing. With TargetRole auto, the first
// server's answer to its USR I (a referral or a challenge) fixes the
// first server's role for the run (Role).
func (e *Engine) Probe(ctx context.Context) error {
	ep := &e.p
	p := &params{
		target:  ep.target,
		verList: ep.verList,
		offered: ep.offered,
		steps:   ep.steps,
		status:  ep.status,
		qryID:   ep.qryID,
		qryKey:  ep.qryKey,
		timeout: ep.timeout,
		accts:   ep.accts,
		start:   time.Now(),
		probe:   true,
		role:    ep.role,
	}
	dctx, cancel := context.WithCancel(ctx)
	defer cancel()
	p.dial = newDialer(dctx, p.timeout, e.srcs, false).dial
	s := newSession(p, 0)
	s.warm = true // records nothing
	stop := context.AfterFunc(ctx, s.abort)
	defer stop()
	s.run(0, 0) // hold is 0: logs out after the steps
	if err := ctx.Err(); err != nil {
		return err
	}
	if e.cfg.TargetRole == RoleAuto && s.firstReply != roleAuto {
		// The first server showed what it is: name its phases so for the
		// whole run, whatever each session gets from it.
		ep.role = s.firstReply
	}
	if s.sm.OK() {
		return nil
	}
	return s.probeErr
}

func newProbeError(s *session, phase report.Phase, class msnp.Class, code int, err error) *ProbeError {
	p := s.p
	pe := &ProbeError{Target: p.target, Account: string(p.accts.handles[0]), Phase: phase, Class: class,
		Code: code, Timeout: p.timeout, Steps: p.steps, Fatal: fatalProbe(class), Err: err, Reply: err.Error()}
	var se *msnp.ServerError
	if errors.As(err, &se) {
		pe.Reply = strconv.Itoa(se.Code)
		if se.HasTrID {
			pe.Reply += " " + strconv.FormatUint(uint64(se.TrID), 10)
		}
	}
	return pe
}
