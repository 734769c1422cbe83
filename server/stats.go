package server

import (
	"strconv"
	"sync/atomic"
)

// Stats are the server's counters since New. All are cumulative except
// ConnsOpen and Online, which are current values.
type Stats struct {
	ConnsAccepted      uint64 `json:"conns_accepted"`      // connections accepted on both listeners
	ConnsRefused       uint64 `json:"conns_refused"`       // connections above MaxConns (sent 600)
	ConnsOpen          int64  `json:"conns_open"`          // connections open now
	Online             int64  `json:"online"`              // logged-in sessions now
	Referrals          uint64 `json:"referrals"`           // XFR NS sent by the dispatch listener
	LoginsOK           uint64 `json:"logins_ok"`           // USR OK sent
	AuthFailures       uint64 `json:"auth_failures"`       // 911 for a wrong password or unknown account
	Kicked             uint64 `json:"kicked"`              // sessions ended by OUT OTH (duplicate login)
	Logouts            uint64 `json:"logouts"`             // OUT received from a client
	Commands           uint64 `json:"commands"`            // client commands parsed
	Syncs              uint64 `json:"syncs"`               // SYN answered
	StatusChanges      uint64 `json:"status_changes"`      // CHG answered
	Presence           uint64 `json:"presence"`            // NLN/FLN lines pushed to watchers
	Pings              uint64 `json:"pings"`               // QNG sent
	Challenges         uint64 `json:"challenges"`          // CHL sent
	ChallengesOK       uint64 `json:"challenges_ok"`       // correct QRY
	ChallengesFailed   uint64 `json:"challenges_failed"`   // wrong QRY (540) or none in time
	ErrorsInjected     uint64 `json:"errors_injected"`     // ErrorCode replies sent by fault injection
	ClosesInjected     uint64 `json:"closes_injected"`     // connections closed by fault injection
	ProtocolViolations uint64 `json:"protocol_violations"` // 715, malformed lines, unknown or forbidden commands
	LineTooLong        uint64 `json:"line_too_long"`       // lines or payloads over the caps
	Timeouts           uint64 `json:"timeouts"`            // idle, slow-command and write timeouts
	BytesIn            uint64 `json:"bytes_in"`            // bytes read from clients
	BytesOut           uint64 `json:"bytes_out"`           // bytes written to clients
	Delayed            uint64 `json:"delayed"`             // replies held back by Delay, Jitter or Stall
	SBSessions         uint64 `json:"sb_sessions"`         // switchboard sessions opened (USR with a valid cookie)
	SBCalls            uint64 `json:"sb_calls"`            // CAL answered with RINGING (RNG sent)
	SBMessages         uint64 `json:"sb_messages"`         // switchboard MSG relayed
	SBNaks             uint64 `json:"sb_naks"`             // NAK sent (nobody to deliver to, or a failed write)
	// DelayLateNanos is the total time by which delayed replies were sent
	// after their due time (timer and scheduling error); divided by Delayed
	// it is the server's own contribution to a measured delay.
	DelayLateNanos uint64 `json:"delay_late_ns"`
	// DelayLate is, per phase with delayed replies, how late they left:
	// the server's own share of each phase's measured delay.
	DelayLate []PhaseLate `json:"delay_late,omitempty"`
}

// counters is the live, atomically updated form of Stats.
type counters struct {
	connsAccepted, connsRefused                                     atomic.Uint64
	connsOpen, online                                               atomic.Int64
	referrals, loginsOK, authFailures, kicked, logouts, commands    atomic.Uint64
	syncs, statusChanges, presence, pings                           atomic.Uint64
	challenges, challengesOK, challengesFailed                      atomic.Uint64
	errorsInjected, closesInjected, protocolViolations, lineTooLong atomic.Uint64
	timeouts, bytesIn, bytesOut, delayed, delayLate                 atomic.Uint64
	sbSessions, sbCalls, sbMessages, sbNaks                         atomic.Uint64
}

func (c *counters) snapshot() Stats {
	return Stats{
		ConnsAccepted:      c.connsAccepted.Load(),
		ConnsRefused:       c.connsRefused.Load(),
		ConnsOpen:          c.connsOpen.Load(),
		Online:             c.online.Load(),
		Referrals:          c.referrals.Load(),
		LoginsOK:           c.loginsOK.Load(),
		AuthFailures:       c.authFailures.Load(),
		Kicked:             c.kicked.Load(),
		Logouts:            c.logouts.Load(),
		Commands:           c.commands.Load(),
		Syncs:              c.syncs.Load(),
		StatusChanges:      c.statusChanges.Load(),
		Presence:           c.presence.Load(),
		Pings:              c.pings.Load(),
		Challenges:         c.challenges.Load(),
		ChallengesOK:       c.challengesOK.Load(),
		ChallengesFailed:   c.challengesFailed.Load(),
		ErrorsInjected:     c.errorsInjected.Load(),
		ClosesInjected:     c.closesInjected.Load(),
		ProtocolViolations: c.protocolViolations.Load(),
		LineTooLong:        c.lineTooLong.Load(),
		Timeouts:           c.timeouts.Load(),
		BytesIn:            c.bytesIn.Load(),
		BytesOut:           c.bytesOut.Load(),
		Delayed:            c.delayed.Load(),
		DelayLateNanos:     c.delayLate.Load(),
		SBSessions:         c.sbSessions.Load(),
		SBCalls:            c.sbCalls.Load(),
		SBMessages:         c.sbMessages.Load(),
		SBNaks:             c.sbNaks.Load(),
	}
}

// AppendText appends a one-line summary of the counters, for progress
// output: "conns=… open=… refused=… logins=… …".
func (s Stats) AppendText(dst []byte) []byte {
	kv := func(dst []byte, k string, v uint64) []byte {
		if len(dst) > 0 && dst[len(dst)-1] != ' ' {
			dst = append(dst, ' ')
		}
		dst = append(dst, k...)
		dst = append(dst, '=')
		return strconv.AppendUint(dst, v, 10)
	}
	dst = kv(dst, "conns", s.ConnsAccepted)
	dst = kv(dst, "open", uint64(max(s.ConnsOpen, 0)))
	dst = kv(dst, "online", uint64(max(s.Online, 0)))
	dst = kv(dst, "refused", s.ConnsRefused)
	dst = kv(dst, "referrals", s.Referrals)
	dst = kv(dst, "logins", s.LoginsOK)
	dst = kv(dst, "authfail", s.AuthFailures)
	dst = kv(dst, "kicked", s.Kicked)
	dst = kv(dst, "cmds", s.Commands)
	dst = kv(dst, "syn", s.Syncs)
	dst = kv(dst, "chg", s.StatusChanges)
	dst = kv(dst, "png", s.Pings)
	dst = kv(dst, "chl", s.Challenges)
	dst = kv(dst, "chl_fail", s.ChallengesFailed)
	dst = kv(dst, "injected", s.ErrorsInjected)
	dst = kv(dst, "closed", s.ClosesInjected)
	dst = kv(dst, "violations", s.ProtocolViolations)
	dst = kv(dst, "toolong", s.LineTooLong)
	dst = kv(dst, "timeouts", s.Timeouts)
	dst = kv(dst, "in", s.BytesIn)
	dst = kv(dst, "out", s.BytesOut)
	if s.SBSessions > 0 {
		dst = kv(dst, "sb", s.SBSessions)
		dst = kv(dst, "sb_cal", s.SBCalls)
		dst = kv(dst, "sb_msg", s.SBMessages)
		dst = kv(dst, "sb_nak", s.SBNaks)
	}
	if s.Delayed > 0 {
		// How late delayed replies left on average: what the server, not
		// the client, adds to a measured delay.
		dst = kv(dst, "delayed", s.Delayed)
		dst = kv(dst, "late_us", s.DelayLateNanos/s.Delayed/1000)
	}
	return dst
}

// String returns AppendText's summary.
func (s Stats) String() string { return string(s.AppendText(nil)) }
