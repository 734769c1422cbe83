package main

import (
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/msnbench/msnbench/report"
)

// loadRunFile decodes and validates one saved run.
func loadRunFile(path string) (*report.Run, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	run, err := report.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return run, nil
}

// readRunFiles decodes saved runs (report.Decode validates each).
func readRunFiles(paths []string) ([]*report.Run, error) {
	runs := make([]*report.Run, 0, len(paths))
	for _, p := range paths {
		run, err := loadRunFile(p)
		if err != nil {
			return nil, err
		}
		runs = append(runs, run)
	}
	return runs, nil
}

// A destination is where one report goes, decided before anything is
// written: a regular file (or a path with nothing there yet) is written
// through a temporary file renamed over it, so a failed write never leaves
// half a report; a character device, FIFO or other special file is written
// in place, never replaced (as root, renaming over /dev/null would turn it
// into a regular file); "-" and /dev/stdout are the command's standard
// output. A symbolic link is followed to its target, which is written or
// replaced, and the link stays.
type destination struct {
	path    string    // as the user gave it
	target  string    // path with symbolic links followed: what is written or replaced
	w       io.Writer // the command's standard output; nil for files
	through bool      // a special file: opened and written in place
	tmp     *os.File  // a regular file: the temporary file renamed over target
	perm    os.FileMode
}

// openDestination decides how path is written and, for a regular file,
// creates the temporary file now, so an unwritable directory is an error
// before a run, not after it.
func openDestination(path string, stdout io.Writer) (*destination, error) {
	d := &destination{path: path, target: path, perm: 0o644}
	switch {
	case isStdout(path):
		d.target, d.w = "-", stdout
		return d, nil
	case path == "/dev/stderr" || strings.HasPrefix(path, "/dev/fd/") || strings.HasPrefix(path, "/proc/self/fd/"):
		d.through = true // an inherited descriptor: its link names no file to replace
		return d, nil
	}
	target, err := followLinks(path)
	if err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, err)
	}
	d.target = target
	st, err := os.Stat(target)
	switch {
	case err != nil && !errors.Is(err, fs.ErrNotExist):
		return nil, fmt.Errorf("cannot write %s: %w", path, err)
	case err == nil && st.IsDir():
		return nil, fmt.Errorf("%s is a directory", path)
	case err == nil && !writeReplaces(st.Mode()):
		d.through = true
		return d, nil
	case err == nil:
		d.perm = st.Mode().Perm() // a replaced report keeps its permissions
	}
	d.tmp, err = os.CreateTemp(filepath.Dir(target), "."+filepath.Base(target)+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("cannot write %s: %w", path, err)
	}
	return d, nil
}

// isStdout reports whether path names standard output: "-" or /dev/stdout.
func isStdout(path string) bool { return path == "-" || path == "/dev/stdout" }

// writeReplaces reports whether a file of this mode is replaced by an
// atomic rename (regular files) rather than written in place (devices,
// FIFOs, sockets).
func writeReplaces(m os.FileMode) bool { return m.IsRegular() }

// followLinks follows symbolic links from path to the file they name,
// which need not exist yet (a link to a report not written before).
func followLinks(path string) (string, error) {
	p := path
	for range 40 {
		st, err := os.Lstat(p)
		if err != nil || st.Mode()&os.ModeSymlink == 0 {
			return p, nil // no link (or nothing there yet): the target itself
		}
		link, err := os.Readlink(p)
		if err != nil {
			return "", err
		}
		if !filepath.IsAbs(link) {
			link = filepath.Join(filepath.Dir(p), link)
		}
		p = link
	}
	return "", errors.New("too many levels of symbolic links")
}

// toStdout reports whether the destination is the command's standard output.
func (d *destination) toStdout() bool { return d.target == "-" }

// write renders the report with fn into the destination and, for a
// regular file, syncs it and renames it into place.
func (d *destination) write(fn func(io.Writer) error) error {
	var err error
	switch {
	case d.w != nil:
		err = fn(d.w)
	case d.through:
		var f *os.File
		if f, err = os.OpenFile(d.target, os.O_WRONLY, 0); err == nil {
			err = fn(f)
			if cerr := f.Close(); err == nil {
				err = cerr
			}
		}
	case d.tmp != nil:
		tmp := d.tmp
		d.tmp = nil
		err = fn(tmp)
		if err == nil {
			err = tmp.Sync()
		}
		if cerr := tmp.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Chmod(tmp.Name(), d.perm)
		}
		if err == nil {
			err = os.Rename(tmp.Name(), d.target)
		}
		if err != nil {
			os.Remove(tmp.Name())
		}
	default:
		err = errors.New("written twice")
	}
	if err != nil {
		return fmt.Errorf("writing %s: %w", d.path, err)
	}
	return nil
}

// abort removes the temporary file of a destination not written.
func (d *destination) abort() {
	if d.tmp != nil {
		d.tmp.Close()
		os.Remove(d.tmp.Name())
		d.tmp = nil
	}
}

// writeOutput writes one report to path as openDestination describes:
// atomically for regular files, in place for devices and FIFOs, to stdout
// for "-". Every subcommand writes its files through it.
func writeOutput(path string, stdout io.Writer, write func(io.Writer) error) error {
	d, err := openDestination(path, stdout)
	if err != nil {
		return err
	}
	return d.write(write)
}
