package main

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/msnbench/msnbench/loadgen"
	"github.com/msnbench/msnbench/report"
)

// runExitCodes is the exit-code paragraph of run's help.
const runExitCodes = `Exit codes:
  0    ok
  1    an --slo threshold failed, or no session succeeded
  2    usage or setup error, including a probe login that shows every session would fail
  130  interrupted (Ctrl-C or SIGTERM); the reports are still written, marked interrupted`

// probe runs the engine's probe login and says on one line why the load
// will not start when it failed for good. ok is false when the run must
// stop with code.
func probe(ctx context.Context, eng *loadgen.Engine, cmd string, stderr io.Writer) (code int, ok bool) {
	err := eng.Probe(ctx)
	var pe *loadgen.ProbeError
	switch {
	case err == nil:
		return exitOK, true
	case ctx.Err() != nil:
		fmt.Fprintf(stderr, "%s: interrupted during the probe login; nothing was run\n", cmd)
		return exitInterrupted, false
	case errors.As(err, &pe) && !pe.Fatal:
		fmt.Fprintf(stderr, "warning: %v; %s\n", pe, pe.Hint())
		return exitOK, true
	case pe != nil:
		fmt.Fprintf(stderr, "%s: %v; %s (the load did not start; --no-probe skips this check)\n", cmd, pe, pe.Hint())
		return exitUsage, false
	}
	fmt.Fprintf(stderr, "%s: probe login: %v\n", cmd, err)
	return exitUsage, false
}

// noneSucceeded says on stderr why a run in which no session succeeded
// fails, and reports whether that is so.
func noneSucceeded(run *report.Run, cmd string, stderr io.Writer) bool {
	c := &run.Counts
	if c.OK > 0 {
		return false
	}
	why := "none was attempted"
	if c.Cut > 0 {
		why = fmt.Sprintf("none ended before the end of the run: %d cut", c.Cut)
	}
	if c.Attempted > 0 {
		why = fmt.Sprintf("all %d attempted failed", c.Attempted)
		if top := topError(run); top != "" {
			why += ", most as " + top
		}
	}
	fmt.Fprintf(stderr, "%s: no session succeeded (%s): exit %d\n", cmd, why, exitFail)
	return true
}

// topError names the most frequent failure: phase/class[/code].
func topError(run *report.Run) string {
	var best *report.ErrorCount
	for i := range run.Errors {
		if e := &run.Errors[i]; best == nil || e.Count > best.Count {
			best = e
		}
	}
	if best == nil {
		return ""
	}
	s := best.Phase + " " + best.Class
	if best.Code != 0 {
		s += fmt.Sprintf(" %d", best.Code)
	}
	for _, t := range run.ErrorTexts {
		if t.Phase == best.Phase && t.Class == best.Class && !t.Hold {
			s += " (" + t.Message + ")"
			break
		}
	}
	return s
}
