package loadgen

import (
	"fmt"
	"net"
	"strings"

	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
)

// The steps after the login (Config.Steps): SYN (the lists) and CHG (the
// initial status), and the QRY answering a CHL that came meanwhile.
//
// A step is data: its entry in stepDefs says everything the rest of the
// package asks about it (its flag name, the phase it times, the method
// that runs it, and its facts: whether it fetches the lists, whether it
// puts the session online). Adding a step is a Step constant, its entry,
// its run method below, and its phase in report/phase.go; nothing else
// switches on a step.

// Step is one optional post-login step of a session.
type Step uint8

// Steps a session can take after USR OK, in the order a real client takes
// them (MSNP.md §4: SYN before CHG).
const (
	StepSyn Step = iota + 1
	StepChg
	numSteps // one past the last step
)

// stepDef is what a step declares.
type stepDef struct {
	name  string       // in --steps, in reports and in errors
	phase report.Phase // timed from its first request to the reply that ends it
	// run sends the step's request(s) and reads up to the reply that ends
	// it (a CHL met meanwhile is left to steps).
	run func(*session, net.Conn) error
	// lists: the step fetches the contact lists, so the roster knows whose
	// status changes a session should be told of (presence).
	lists bool
	// online: the step sets the session's initial status (Config.Status),
	// after which it is online: its contacts are told of its status
	// changes (--status-every), others may call it (--chat-every), and the
	// report shows the status.
	online bool
}

var stepDefs = [numSteps]stepDef{
	StepSyn: {name: "syn", phase: report.NSSyn, run: (*session).syn, lists: true},
	StepChg: {name: "chg", phase: report.NSChg, run: (*session).chg, online: true},
}

// stepAliases are the other words --steps takes, each a list of step names.
var stepAliases = [...]struct{ name, steps string }{
	{"both", "syn,chg"},
	{"none", ""},
}

func (s Step) known() bool { return s > 0 && s < numSteps }

// String returns the step's flag name.
func (s Step) String() string {
	if s.known() {
		return stepDefs[s].name
	}
	return "unknown"
}

// ParseSteps parses a comma-separated step list such as "syn,chg", in the
// order given. An empty string means login and OUT only; the aliases
// "none" and "both" (syn,chg) stand alone.
func ParseSteps(s string) ([]Step, error) {
	s = strings.TrimSpace(s)
	for _, a := range stepAliases {
		if strings.EqualFold(s, a.name) {
			s = a.steps
		}
	}
	if s == "" {
		return nil, nil
	}
	var out []Step
	for _, f := range strings.Split(s, ",") {
		st := stepNamed(strings.TrimSpace(f))
		if st == 0 {
			return nil, fmt.Errorf("unknown step %q (want %s)", f, stepWords())
		}
		if hasStep(out, st) {
			return nil, fmt.Errorf("step %q listed twice", f)
		}
		out = append(out, st)
	}
	return out, nil
}

// stepNamed returns the step called name (any case), or 0.
func stepNamed(name string) Step {
	for st := Step(1); st < numSteps; st++ {
		if strings.EqualFold(name, stepDefs[st].name) {
			return st
		}
	}
	return 0
}

// stepWords lists what --steps takes: "syn, chg, both or none".
func stepWords() string {
	var w []string
	for st := Step(1); st < numSteps; st++ {
		w = append(w, stepDefs[st].name)
	}
	for _, a := range stepAliases {
		w = append(w, a.name)
	}
	return strings.Join(w[:len(w)-1], ", ") + " or " + w[len(w)-1]
}

// StepWords lists, for a flag's help, what --steps takes: the steps' names
// from the table, then the aliases ("syn, chg, both or none").
func StepWords() string { return stepWords() }

// checkSteps reports a step list Config.Validate must refuse.
func checkSteps(steps []Step) error {
	for i, st := range steps {
		switch {
		case !st.known():
			return fmt.Errorf("unknown step %d (want %s)", st, stepWords())
		case hasStep(steps[:i], st):
			return fmt.Errorf("step %q listed twice", st)
		}
	}
	return nil
}

func hasStep(steps []Step, st Step) bool {
	for _, x := range steps {
		if x == st {
			return true
		}
	}
	return false
}

// anyStep reports whether one of steps has the fact f.
func anyStep(steps []Step, f func(*stepDef) bool) bool {
	for _, st := range steps {
		if st.known() && f(&stepDefs[st]) {
			return true
		}
	}
	return false
}

// stepsWith names the steps that have the fact f, for messages: "chg".
func stepsWith(f func(*stepDef) bool) string {
	var w []string
	for st := Step(1); st < numSteps; st++ {
		if f(&stepDefs[st]) {
			w = append(w, stepDefs[st].name)
		}
	}
	return strings.Join(w, " or ")
}

// The facts other code asks about steps.
func fetchesLists(d *stepDef) bool { return d.lists }
func goesOnline(d *stepDef) bool   { return d.online }

// steps runs the configured post-login steps and answers any CHL that came
// in meanwhile.
func (s *session) steps(c net.Conn) (report.Phase, error) {
	if err := s.answerCHL(c); err != nil {
		return report.Qry, err
	}
	for _, st := range s.p.steps {
		d := &stepDefs[st]
		if err := d.run(s, c); err != nil {
			return d.phase, err
		}
		s.sm.Set(d.phase, s.replied()) // the step's last reply ended it
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
