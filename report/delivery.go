package report

import (
	"strconv"

	"github.com/msnbench/msnbench/report/internal/viz"
)

// isDeliveryPhase reports whether phase counts what was expected against
// what arrived (Run.Deliveries), so that phase:lost means something.
func isDeliveryPhase(phase string) bool {
	return phase == Presence.String() || phase == MsgDeliver.String()
}

// deliveryLine says in words how one phase's notifications fared:
// "presence: 2530 notifications expected, 0 lost (0%)".
// "msg.deliver: 2732 messages expected, 0 lost (0%)".
func deliveryLine(d *Delivery) string {
	what, none := "notifications", "no contact of a changing user was held by this run and online"
	if d.Phase == MsgDeliver.String() {
		what, none = "messages", "no message went to a user held by this run"
	}
	s := d.Phase + ": " + strconv.FormatInt(d.Expected, 10) + " " + what + " expected, " +
		strconv.FormatInt(d.Lost, 10) + " lost (" + viz.FmtPercent(d.LostShare()) + ")"
	if d.Duplicate > 0 {
		s += ", " + strconv.FormatInt(d.Duplicate, 10) + " duplicated"
	}
	if d.Expected == 0 {
		s += " (" + none + ")"
	}
	return s
}

// deliveryLines is deliveryLine for each of run's deliveries.
func deliveryLines(run *Run) []string {
	out := make([]string, 0, len(run.Deliveries))
	for i := range run.Deliveries {
		out = append(out, deliveryLine(&run.Deliveries[i]))
	}
	return out
}

// MergeDeliveries adds up the deliveries of runs by phase, in the order the
// phases first appear: a merged run's (Merge) and a side of a comparison.
func MergeDeliveries(runs []*Run) []Delivery {
	var out []Delivery
	for _, r := range runs {
		for _, d := range r.Deliveries {
			i := 0
			for i < len(out) && out[i].Phase != d.Phase {
				i++
			}
			if i == len(out) {
				out = append(out, Delivery{Phase: d.Phase})
			}
			out[i].Expected += d.Expected
			out[i].Lost += d.Lost
			out[i].Duplicate += d.Duplicate
		}
	}
	return out
}
