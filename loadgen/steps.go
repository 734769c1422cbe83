package loadgen

import (
	"net"

	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

// The steps after the login (Config.Steps): SYN (the lists) and CHG (the
// initial status), and the QRY answering a CHL that came meanwhile.

// steps runs the configured post-login steps and answers any CHL that came
// in meanwhile.
func (s *session) steps(c net.Conn) (report.Phase, error) {
	p := s.p
	if err := s.answerCHL(c); err != nil {
		return report.Qry, err
	}
	for _, st := range p.steps {
		var ph report.Phase
		var err error
		switch st {
		case StepSyn:
			ph, err = report.NSSyn, s.syn(c)
		case StepChg:
			ph, err = report.NSChg, s.chg(c)
		}
		if err != nil {
			return ph, err
		}
		s.sm.Set(ph, s.replied()) // the step's last reply ended it
		if err := s.answerCHL(c); err != nil {
			return report.Qry, err
		}
	}
	return 0, nil
}

// syn sends SYN t 0 and reads to the end of the list: the RL line with
// index == count (either order), "LST t RL v 0 0", or a bare SYN reply
// with our version (MSNP.md §4.1, §11).
func (s *session) syn(c net.Conn) error {
	trid := s.nextTrID()
	s.wbuf = msnp.AppendSYN(s.wbuf[:0], trid, 0)
	if err := s.send(c); err != nil {
		return err
	}
	r := s.p.roster
	if r != nil {
		r.synStart(s.acct)
	}
	first := true
	for {
		cmd, err := s.await(trid)
		if err != nil {
			return err
		}
		if first {
			if !cmd.Is("SYN") {
				return unexpected("SYN")
			}
			first = false
			if v, ok := msnp.ParseUint32(cmd.Arg(0)); ok && v == 0 && cmd.NArgs == 1 {
				return nil // same version as ours: nothing follows
			}
			continue
		}
		if r != nil {
			r.synLine(s.acct, cmd) // the lists, for presence and chat
		}
		if cmd.Is("LST") && bytesEq(cmd.Arg(0), "RL") && cmd.NArgs >= 4 {
			i, ok1 := msnp.ParseUint32(cmd.Arg(2))
			n, ok2 := msnp.ParseUint32(cmd.Arg(3))
			if ok1 && ok2 && i == n {
				if r != nil {
					r.synDone(s.acct)
				}
				return nil
			}
		}
	}
}

// chg sends CHG t <status> and waits for its echo (extra fields allowed).
func (s *session) chg(c net.Conn) error {
	trid := s.nextTrID()
	s.wbuf = msnp.AppendCHG(s.wbuf[:0], trid, s.p.status)
	if err := s.send(c); err != nil {
		return err
	}
	cmd, err := s.await(trid)
	if err != nil {
		return err
	}
	if !cmd.Is("CHG") {
		return unexpected("CHG")
	}
	return nil
}

// answerCHL answers a challenge stashed by await with QRY and waits for
// the acknowledgement, timed from the CHL's arrival.
func (s *session) answerCHL(c net.Conn) error {
	for s.chlPending {
		s.chlPending = false
		trid := s.nextTrID()
		msnp.QRYHash(&s.hash, s.chl[:s.chlLen], s.p.qryKey)
		s.wbuf = msnp.AppendQRY(s.wbuf[:0], trid, s.p.qryID, &s.hash)
		if err := s.send(c); err != nil {
			return err
		}
		cmd, err := s.await(trid)
		if err != nil {
			return err
		}
		if !cmd.Is("QRY") {
			return unexpected("QRY")
		}
		s.recordValue(report.Qry, s.replyAt(s.chlAt)-s.chlAt)
	}
	return nil
}
