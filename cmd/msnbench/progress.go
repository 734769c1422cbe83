package main

import (
	"fmt"
	"io"
	"os"
	"strconv"
	"sync"
	"time"

	"github.com/msnbench/msnbench/loadgen"
)

// progress prints the engine's Live figures while a run is going: one
// line rewritten in place on a terminal, plain lines every few seconds
// otherwise (logs, CI).
type progress struct {
	w     io.Writer
	tty   bool
	eng   *loadgen.Engine
	done  chan struct{}
	wg    sync.WaitGroup
	width int
}

func startProgress(w io.Writer, eng *loadgen.Engine, every time.Duration) *progress {
	p := &progress{w: w, tty: isTerminal(w), eng: eng, done: make(chan struct{})}
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
	line := formatLive(p.eng.Live())
	if !p.tty {
		fmt.Fprintln(p.w, line)
		return
	}
	// \r and clear to the end of the line: a shorter line leaves no tail.
	fmt.Fprintf(p.w, "\r%s\x1b[K", line)
}

// formatLive is one status line: elapsed, rate, counts, p99, time left.
func formatLive(l loadgen.Live) string {
	if l.Rate == 0 && l.Elapsed > 0 { // before the first interval closes
		l.Rate = float64(l.OK) / l.Elapsed.Seconds()
	}
	s := fmt.Sprintf("%6s  %-8s %7.0f logins/s  ok %d  failed %d  in flight %d", l.Elapsed.Truncate(100*time.Millisecond),
		l.State, l.Rate, l.OK, l.Failed, l.Inflight)
	if l.Held > 0 {
		s += "  held " + strconv.FormatInt(l.Held, 10)
	}
	if l.Dropped > 0 {
		s += "  dropped " + strconv.FormatInt(l.Dropped, 10)
	}
	if l.LoginP99 > 0 {
		s += "  login p99 " + l.LoginP99.Round(10*time.Microsecond).String()
	}
	if l.Left >= 0 {
		s += "  left " + l.Left.Round(time.Second).String()
	}
	if l.LastErrors[0] != "" {
		s += "  top error " + l.LastErrors[0]
	}
	return s
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}
