package main

import (
	"fmt"
	"io"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"github.com/msnbench/msnbench/loadgen"
)

// progress prints the engine's Live figures while a run is going: on a
// terminal of known width, one line rewritten in place and cut to fit the
// width (dropping the least important fields first: a line that wraps adds
// a line every tick); otherwise (logs, CI, a terminal of unknown width)
// whole plain lines every few seconds.
type progress struct {
	w     io.Writer
	width func() int // the terminal's width in columns; 0 if unknown
	tty   bool       // rewrite one line in place
	eng   *loadgen.Engine
	done  chan struct{}
	wg    sync.WaitGroup
}

func startProgress(w io.Writer, eng *loadgen.Engine, every time.Duration) *progress {
	p := &progress{w: w, width: func() int { return 0 }, eng: eng, done: make(chan struct{})}
	if f, ok := w.(*os.File); ok && isTerminal(w) {
		p.width = func() int { return terminalWidth(f) }
		p.tty = p.width() > 0
	}
	if every <= 0 {
		every = 2 * time.Second
		if p.tty {
			every = 250 * time.Millisecond
		}
	}
	p.wg.Add(1)
	go func() {
		defer p.wg.Done()
		t := time.NewTicker(every)
		defer t.Stop()
		for {
			select {
			case <-p.done:
				return
			case <-t.C:
				p.print()
			}
		}
	}()
	return p
}

func (p *progress) stop() {
	close(p.done)
	p.wg.Wait()
	if p.tty {
		p.print()
		fmt.Fprintln(p.w)
	}
}

func (p *progress) print() {
	if !p.tty {
		fmt.Fprintln(p.w, formatLive(p.eng.Live(), 0))
		return
	}
	// One column short of the width: some terminals wrap when the last
	// column is written. \r and clear to the end of the line: a shorter
	// line leaves no tail.
	fmt.Fprintf(p.w, "\r%s\x1b[K", formatLive(p.eng.Live(), max(p.width()-1, 1)))
}

// liveField is one field of the status line. Fields of lower priority are
// dropped first when the line is too wide.
type liveField struct {
	text string
	prio int
}

// formatLive is one status line: elapsed, rate, counts, p99, time left.
// With width > 0 it is at most width columns: the least important fields
// are left out, and what still does not fit is cut.
func formatLive(l loadgen.Live, width int) string {
	if l.Rate == 0 && l.Elapsed > 0 { // before the first interval closes
		l.Rate = float64(l.OK) / l.Elapsed.Seconds()
	}
	fields := []liveField{
		{fmt.Sprintf("%6s", l.Elapsed.Truncate(100*time.Millisecond)), 90},
		{fmt.Sprintf("%-8s", l.State), 40},
		{fmt.Sprintf("%7.0f logins/s", l.Rate), 80},
		{"ok " + strconv.FormatInt(l.OK, 10), 100},
		{"failed " + strconv.FormatInt(l.Failed, 10), 95},
	}
	add := func(cond bool, text string, prio int) {
		if cond {
			fields = append(fields, liveField{text, prio})
		}
	}
	add(l.Cut > 0, "cut "+strconv.FormatInt(l.Cut, 10), 35)
	add(true, "in flight "+strconv.FormatInt(l.Inflight, 10), 50)
	add(l.Held > 0, "held "+strconv.FormatInt(l.Held, 10), 45)
	add(l.Presence > 0 || l.PresenceLost > 0, "presence "+strconv.FormatInt(l.Presence, 10)+" lost "+
		strconv.FormatInt(l.PresenceLost, 10), 42)
	add(l.Messages > 0 || l.MessagesLost > 0, "msg "+strconv.FormatInt(l.Messages, 10)+" lost "+
		strconv.FormatInt(l.MessagesLost, 10), 41)
	add(l.Dropped > 0, "dropped "+strconv.FormatInt(l.Dropped, 10), 70)
	add(l.LoginP99 > 0, "login p99 "+l.LoginP99.Round(10*time.Microsecond).String(), 60)
	add(l.Left >= 0, "left "+l.Left.Round(time.Second).String(), 55)
	add(l.LastErrors[0] != "", "top error "+l.LastErrors[0], 20)
	line := joinLive(fields)
	if width > 0 && utf8.RuneCountInString(line) > width {
		for i := range fields { // the padding that keeps columns still goes first
			fields[i].text = strings.TrimSpace(fields[i].text)
		}
		line = joinLive(fields)
	}
	for width > 0 && utf8.RuneCountInString(line) > width && len(fields) > 1 {
		drop := 0
		for i, f := range fields {
			if f.prio < fields[drop].prio {
				drop = i
			}
		}
		fields = slices.Delete(fields, drop, drop+1)
		line = joinLive(fields)
	}
	if width > 0 && utf8.RuneCountInString(line) > width {
		line = string([]rune(line)[:width])
	}
	return line
}

// joinLive joins the fields as the status line shows them.
func joinLive(fields []liveField) string {
	var b strings.Builder
	for i, f := range fields {
		if i > 0 {
			b.WriteString("  ")
		}
		b.WriteString(f.text)
	}
	return b.String()
}

// isTerminal reports whether w is a character device (a terminal, or
// something like /dev/null, which terminalWidth tells apart).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// terminalWidth is the width in columns of the terminal f, from the
// terminal itself where the system says (termWidth), else from $COLUMNS; 0
// if unknown.
func terminalWidth(f *os.File) int {
	if n := termWidth(f); n > 0 {
		return n
	}
	if n, err := strconv.Atoi(os.Getenv("COLUMNS")); err == nil && n > 0 {
		return n
	}
	return 0
}
