package main

import (
	"errors"
	"fmt"
	"os"
	"path/filepath"

	"github.com/msnbench/msnbench/report"
)

// output is one report file: written to a temporary file in the target's
// directory and renamed over the target at the end, so an interrupted or
// failed write never leaves a half report under the real name.
type output struct {
	path   string
	format string
	tmp    *os.File
}

type outputs []*output

// openOutputs creates the temporary file of every requested report now,
// so an unwritable path or an unknown format fails the start, not the end.
func openOutputs(f *runFlags) (outputs, error) {
	var outs outputs
	for _, o := range []struct{ path, format string }{
		{f.out, "json"}, {f.html, "html"}, {f.hlog, "hlog"}, {f.hgrm, "hgrm"}, {f.csv, "csv"},
	} {
		if o.path == "" {
			continue
		}
		if _, ok := report.Lookup(o.format); !ok {
			outs.abort()
			return nil, fmt.Errorf("report format %s is not available in this build", o.format)
		}
		for _, prev := range outs {
			if prev.path == o.path {
				outs.abort()
				return nil, fmt.Errorf("%s is given for two reports", o.path)
			}
		}
		if st, err := os.Stat(o.path); err == nil && st.IsDir() {
			outs.abort()
			return nil, fmt.Errorf("%s is a directory", o.path)
		}
		tmp, err := os.CreateTemp(filepath.Dir(o.path), "."+filepath.Base(o.path)+".*.tmp")
		if err != nil {
			outs.abort()
			return nil, fmt.Errorf("cannot write %s: %w", o.path, err)
		}
		outs = append(outs, &output{path: o.path, format: o.format, tmp: tmp})
		if free, ok := freeSpace(filepath.Dir(o.path)); ok && free < minFreePerReport*uint64(len(outs)) {
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

// write renders run into every output and renames it into place.
func (outs outputs) write(run *report.Run) error {
	var errs []error
	for _, o := range outs {
		if o.tmp == nil {
			continue
		}
		err := report.Write(o.tmp, o.format, run)
		if err == nil {
			err = o.tmp.Sync()
		}
		if cerr := o.tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Chmod(o.tmp.Name(), 0o644)
		}
		if err == nil {
			err = os.Rename(o.tmp.Name(), o.path)
		}
		if err != nil {
			os.Remove(o.tmp.Name())
			errs = append(errs, fmt.Errorf("writing %s: %w", o.path, err))
		}
		o.tmp = nil
	}
	return errors.Join(errs...)
}

// abort removes the temporary files that were not written.
func (outs outputs) abort() {
	for _, o := range outs {
		if o.tmp != nil {
			o.tmp.Close()
			os.Remove(o.tmp.Name())
			o.tmp = nil
		}
	}
}
