package report

import (
	"sort"
	"strconv"
	"time"
)

// MaxErrorTexts is how many distinct messages a Run keeps for failures of
// class "other" (the class without a more precise name), so that no error
// is counted without its text.
const MaxErrorTexts = 5

// ErrorText is one distinct message of failures of class "other" and how
// many sessions (or held sessions, with Hold set) ended with it.
type ErrorText struct {
	Phase   string `json:"phase"`
	Class   string `json:"class"`
	Message string `json:"message"`
	Count   int64  `json:"count"`
	Hold    bool   `json:"hold,omitempty"` // a held session ended early with it (HoldErrors)
}

// SortErrorTexts orders texts by count, most frequent first, then by
// phase and message, so every report lists them the same way.
func SortErrorTexts(t []ErrorText) {
	sort.SliceStable(t, func(i, j int) bool {
		a, b := &t[i], &t[j]
		if a.Count != b.Count {
			return a.Count > b.Count
		}
		if a.Phase != b.Phase {
			return a.Phase < b.Phase
		}
		return a.Message < b.Message
	})
}

// mergeErrorTexts sums the texts of several runs and keeps the
// MaxErrorTexts most frequent.
func mergeErrorTexts(runs []*Run) []ErrorText {
	type key struct {
		phase, class, msg string
		hold              bool
	}
	sum := map[key]int64{}
	var order []key
	for _, r := range runs {
		for _, t := range r.ErrorTexts {
			k := key{t.Phase, t.Class, t.Message, t.Hold}
			if _, ok := sum[k]; !ok {
				order = append(order, k)
			}
			sum[k] += t.Count
		}
	}
	if len(order) == 0 {
		return nil
	}
	out := make([]ErrorText, 0, len(order))
	for _, k := range order {
		out = append(out, ErrorText{Phase: k.phase, Class: k.class, Message: k.msg, Count: sum[k], Hold: k.hold})
	}
	SortErrorTexts(out)
	return out[:min(len(out), MaxErrorTexts)]
}

// unlistedOther is how many failures of class "other" (in Errors and
// HoldErrors) have no text in ErrorTexts: those beyond the first
// MaxErrorTexts distinct messages.
func unlistedOther(run *Run) int64 {
	var n int64
	for _, tab := range [][]ErrorCount{run.Errors, run.HoldErrors} {
		for _, e := range tab {
			if e.Class == "other" {
				n += e.Count
			}
		}
	}
	for _, t := range run.ErrorTexts {
		if t.Class == "other" {
			n -= t.Count
		}
	}
	return max(n, 0)
}

func writeTextErrorTexts(ew *errWriter, run *Run) {
	if len(run.ErrorTexts) == 0 {
		return
	}
	ew.printf("error messages (class other; the first %d distinct)\n", MaxErrorTexts)
	for _, t := range run.ErrorTexts {
		where := t.Phase
		if t.Hold {
			where += " (held)"
		}
		ew.printf("  %-17s %9d  %s\n", where, t.Count, t.Message)
	}
	if n := unlistedOther(run); n > 0 {
		ew.printf("  %d more with other messages\n", n)
	}
	ew.printf("\n")
}

// interruptedNote is what every report says about a run stopped early.
const interruptedNote = "INTERRUPTED: the run was stopped before its end (Ctrl-C or a signal); the figures cover it up to then."

// backoffNote says how long workers waited after connection errors, or
// "" if they never did.
func backoffNote(h *Health) string {
	if h.Backoffs == 0 {
		return ""
	}
	return fmtDuration(time.Duration(h.BackoffTotal).Round(time.Millisecond)) + " in " +
		strconv.FormatInt(h.Backoffs, 10) + " waits after connection errors (summed over workers)"
}
