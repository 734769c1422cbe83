package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/msnbench/msnbench/loadgen"
	"github.com/msnbench/msnbench/report"
)

// output is one report file of a run. Its destination is opened before the
// run (a regular file's temporary file is created then), so an unwritable
// path fails the start, not the end.
type output struct {
	format string
	dest   *destination
	slo    report.SLO // junit: the thresholds whose results it reports
}

type outputs []*output

// openOutputs opens the destination of every requested report now, so an
// unwritable path or an unknown format fails the start, not the end.
func openOutputs(f *runFlags, stdout io.Writer) (outputs, error) {
	var outs outputs
	ntmp := uint64(0)
	for _, o := range []struct{ path, format string }{
		{f.out, "json"}, {f.html, "html"}, {f.hlog, "hlog"}, {f.hgrm, "hgrm"}, {f.csv, "csv"}, {f.junit, "junit"},
	} {
		if o.path == "" {
			continue
		}
		var slo report.SLO
		if o.format == "junit" {
			if f.slo == "" {
				outs.abort()
				return nil, errors.New("--junit needs --slo: its test cases are the thresholds")
			}
			var err error
			if slo, err = report.ParseSLO(f.slo); err != nil {
				outs.abort()
				return nil, err
			}
		} else if _, ok := report.Lookup(o.format); !ok {
			outs.abort()
			return nil, fmt.Errorf("report format %s is not available in this build", o.format)
		}
		d, err := openDestination(o.path, stdout)
		if err != nil {
			outs.abort()
			return nil, err
		}
		for _, prev := range outs {
			if prev.dest.target == d.target {
				d.abort()
				outs.abort()
				return nil, fmt.Errorf("%s is given for two reports", o.path)
			}
		}
		outs = append(outs, &output{format: o.format, dest: d, slo: slo})
		if d.tmp == nil {
			continue // written in place: nothing grows beside it
		}
		ntmp++
		dir := filepath.Dir(d.target)
		if free, ok := freeSpace(dir); ok && free < minFreePerReport*ntmp {
			outs.abort()
			return nil, fmt.Errorf("only %d KiB free for %s: msnbench wants %d MiB per report file before it "+
				"starts, so that a long run is not lost to a full disk at the end", free>>10, o.path,
				minFreePerReport>>20)
		}
	}
	return outs, nil
}

// minFreePerReport is the free space checked for before a run, per report
// file: a report grows with the run (one histogram per phase per interval).
const minFreePerReport = 16 << 20

// freeSpace is diskFree, replaceable in tests.
var freeSpace = diskFree

// toStdout reports whether some report goes to standard output (-o -), in
// which case the text summary goes to standard error.
func (outs outputs) toStdout() bool {
	for _, o := range outs {
		if o.dest.toStdout() {
			return true
		}
	}
	return false
}

// write renders run into every output.
func (outs outputs) write(run *report.Run) error {
	var errs []error
	for _, o := range outs {
		if err := o.dest.write(func(w io.Writer) error { return o.render(w, run) }); err != nil {
			errs = append(errs, err)
		}
	}
	return errors.Join(errs...)
}

// abort removes the temporary files that were not written.
func (outs outputs) abort() {
	for _, o := range outs {
		o.dest.abort()
	}
}

// render writes the output's report of run.
func (o *output) render(w io.Writer, run *report.Run) error {
	if o.format == "junit" {
		return report.WriteJUnit(w, report.SLOJUnit(run, o.slo.Check(run)))
	}
	return report.Write(w, o.format, run)
}

// jsonlStream is --jsonl: one line of JSON per interval while the run goes
// (report.IntervalStats), written in place, never through a temporary file,
// so it can be tailed or piped as it grows. Each line is one write.
type jsonlStream struct {
	w      io.Writer
	f      *os.File // nil for standard output
	stdout bool
	err    error // the first write error; no lines are written after it
}

// openJSONL creates or truncates path now, so an unwritable path fails the
// start; "-" and /dev/stdout are standard output. No --jsonl gives nil,
// whose methods do nothing.
func openJSONL(path string, outs outputs, stdout io.Writer) (*jsonlStream, error) {
	switch path {
	case "":
		return nil, nil
	case "-", "/dev/stdout":
		if outs.toStdout() {
			return nil, errors.New("--jsonl and -o cannot both write to standard output")
		}
		return &jsonlStream{w: stdout, stdout: true}, nil
	}
	for _, o := range outs {
		if t, err := followLinks(path); err == nil && t == o.dest.target {
			return nil, fmt.Errorf("%s is given for two reports", path)
		}
	}
	f, err := os.OpenFile(path, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, 0o644)
	if err != nil {
		return nil, fmt.Errorf("cannot write --jsonl: %w", err)
	}
	return &jsonlStream{w: f, f: f}, nil
}

func (j *jsonlStream) toStdout() bool { return j != nil && j.stdout }

// sink returns the function that writes a line at the close of every
// interval, or nil without --jsonl. A write error is reported once on
// stderr and ends the stream, not the run.
func (j *jsonlStream) sink(stderr io.Writer) func(*report.IntervalStats) {
	if j == nil {
		return nil
	}
	return func(s *report.IntervalStats) {
		if j.err != nil {
			return
		}
		if j.err = report.WriteIntervalJSON(j.w, s); j.err != nil {
			fmt.Fprintf(stderr, "msnbench run: --jsonl: %v (no more interval lines)\n", j.err)
		}
	}
}

// onIntervals gives eng every non-nil consumer of its interval stats.
func onIntervals(eng *loadgen.Engine, fns ...func(*report.IntervalStats)) {
	var use []func(*report.IntervalStats)
	for _, fn := range fns {
		if fn != nil {
			use = append(use, fn)
		}
	}
	if len(use) == 0 {
		return
	}
	eng.OnInterval(func(s *report.IntervalStats) {
		for _, fn := range use {
			fn(s)
		}
	})
}

// close closes the file and returns the stream's first error.
func (j *jsonlStream) close() error {
	if j == nil || j.f == nil {
		return nil
	}
	err := j.f.Close()
	if j.err != nil {
		return nil // reported when it happened
	}
	return err
}
