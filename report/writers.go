package report

import (
	"fmt"
	"io"
	"sort"
	"sync"
)

// Writer renders a Run in one format. Writers are pure functions of the Run:
// the same Run gives the same bytes, which is what the golden tests rely on.
type Writer func(w io.Writer, run *Run) error

var (
	writersMu sync.RWMutex
	writers   = map[string]Writer{}
)

// Register makes a writer available under a format name ("html", ...). It
// is meant for init functions and panics on a duplicate or empty name, a
// programming error that would otherwise hide one of the writers.
func Register(format string, w Writer) {
	if format == "" || w == nil {
		panic("report: Register with empty format or nil writer")
	}
	writersMu.Lock()
	defer writersMu.Unlock()
	if _, dup := writers[format]; dup {
		panic("report: writer " + format + " registered twice")
	}
	writers[format] = w
}

// Lookup returns the writer registered for format.
func Lookup(format string) (Writer, bool) {
	writersMu.RLock()
	defer writersMu.RUnlock()
	w, ok := writers[format]
	return w, ok
}

// Formats returns the registered format names, sorted.
func Formats() []string {
	writersMu.RLock()
	defer writersMu.RUnlock()
	names := make([]string, 0, len(writers))
	for n := range writers {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// Write renders run in format to w.
func Write(w io.Writer, format string, run *Run) error {
	wr, ok := Lookup(format)
	if !ok {
		return fmt.Errorf("unknown report format %q (have %v)", format, Formats())
	}
	return wr(w, run)
}

func init() {
	Register("text", WriteText)
	Register("json", Encode)
	Register("csv", WriteCSV)
	Register("hgrm", WriteHgrm)
	Register("hlog", WriteHlog)
}

// errWriter remembers the first write error so a writer can format freely
// and check once at the end.
type errWriter struct {
	w   io.Writer
	err error
}

func (e *errWriter) Write(p []byte) (int, error) {
	if e.err != nil {
		return 0, e.err
	}
	n, err := e.w.Write(p)
	e.err = err
	return n, err
}

func (e *errWriter) printf(format string, a ...any) {
	if e.err == nil {
		_, e.err = fmt.Fprintf(e.w, format, a...)
	}
}
