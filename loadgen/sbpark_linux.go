//go:build linux

package loadgen

// forSB parks a switchboard connection of this session's user on the same
// loop: when its connection needs it, a runner of the loop goes on with it
// (loopCtx.resumeHold, session.resumeSB). A switchboard connection has no
// worker to resume after it.
func (ps *parkedSession) forSB(s *session) holdParker {
	return &parkedSession{lc: ps.lc, s: s, resume: noResume}
}

func noResume() {}
