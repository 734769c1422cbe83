//go:build linux

package evloop

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"net"
	"net/netip"
	"os"
	"runtime"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/msnbench/msnbench/internal/testwait"
)

// server runs handle for each accepted connection on a loopback listener.
func server(t *testing.T, handle func(net.Conn)) netip.AddrPort {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	t.Cleanup(func() { ln.Close(); wg.Wait() })
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			wg.Add(1)
			go func() {
				defer wg.Done()
				defer c.Close()
				handle(c)
			}()
		}
	}()
	return netip.MustParseAddrPort(ln.Addr().String())
}

func echo(c net.Conn) { _, _ = io.Copy(c, c) }

// run runs the loop to completion, failing the test if it takes too long.
func run(t *testing.T, l *Loop) {
	t.Helper()
	done := make(chan error, 1)
	go func() { done <- l.Run() }()
	select {
	case err := <-done:
		if err != nil {
			t.Fatal(err)
		}
	case <-time.After(20 * time.Second):
		t.Fatal("loop did not finish")
	}
}

func newLoop(t *testing.T) *Loop {
	t.Helper()
	l, err := New()
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// withConn starts a task on l that dials addr, runs body on the
// connection and closes it. After Run, the pointer holds the error of the
// dial or of body.
func withConn(l *Loop, addr netip.AddrPort, body func(tk *Task, c *Conn) error) *error {
	err := new(error)
	l.Go(func(tk *Task) {
		c, derr := l.Dial(addr, netip.Addr{}, time.Second)
		if derr != nil {
			*err = derr
			return
		}
		defer c.Close()
		*err = body(tk, c)
	})
	return err
}

// TestEchoManyTasks: many tasks on one loop, each dialling and exchanging
// lines in lock step, interleaved by the loop.
func TestEchoManyTasks(t *testing.T) {
	addr := server(t, echo)
	l := newLoop(t)
	const tasks, rounds = 50, 20
	errs := make([]error, tasks)
	for i := range tasks {
		l.Go(func(tk *Task) {
			errs[i] = func() error {
				c, err := l.Dial(addr, netip.Addr{}, time.Second)
				if err != nil {
					return err
				}
				defer c.Close()
				br := bufio.NewReader(c)
				for r := range rounds {
					_ = c.SetDeadline(time.Now().Add(5 * time.Second))
					msg := []byte("task " + string(rune('A'+i%26)) + " round " + string(rune('a'+r)) + "\n")
					if _, err := c.Write(msg); err != nil {
						return err
					}
					got, err := br.ReadBytes('\n')
					if err != nil {
						return err
					}
					if !bytes.Equal(got, msg) {
						return errors.New("echo mismatch: " + string(got))
					}
				}
				return nil
			}()
		})
	}
	run(t, l)
	for i, err := range errs {
		if err != nil {
			t.Errorf("task %d: %v", i, err)
		}
	}
}

func TestDialRefused(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := netip.MustParseAddrPort(ln.Addr().String())
	ln.Close()
	l := newLoop(t)
	var derr error
	l.Go(func(tk *Task) {
		var c *Conn
		c, derr = l.Dial(addr, netip.Addr{}, time.Second)
		if c != nil {
			c.Close()
		}
	})
	run(t, l)
	if !errors.Is(derr, syscall.ECONNREFUSED) {
		t.Fatalf("got %v, want connection refused", derr)
	}
	var oe *net.OpError
	if !errors.As(derr, &oe) || oe.Op != "dial" {
		t.Fatalf("got %#v, want a dial OpError", derr)
	}
}

func TestReadDeadline(t *testing.T) {
	addr := server(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) }) // never writes
	l := newLoop(t)
	var took time.Duration
	rerr := withConn(l, addr, func(tk *Task, c *Conn) error {
		start := time.Now()
		_ = c.SetReadDeadline(start.Add(30 * time.Millisecond))
		_, err := c.Read(make([]byte, 10))
		took = time.Since(start)
		return err
	})
	run(t, l)
	var ne net.Error
	if !errors.As(*rerr, &ne) || !ne.Timeout() || !errors.Is(*rerr, os.ErrDeadlineExceeded) {
		t.Fatalf("got %v, want a timeout", *rerr)
	}
	if took < 30*time.Millisecond {
		t.Fatalf("timed out after %v, before the deadline", took)
	}
}

// TestEOFAfterData: data followed by the peer's close is read in full,
// then io.EOF, even though both arrive before the first read.
func TestEOFAfterData(t *testing.T) {
	addr := server(t, func(c net.Conn) { _, _ = c.Write([]byte("bye\r\n")) })
	l := newLoop(t)
	var got []byte
	rerr := withConn(l, addr, func(tk *Task, c *Conn) error {
		// Let the data and the FIN arrive before the first read: wait until
		// the loop has seen the peer's close (no task waits on the
		// connection yet, so this polls the flag on the loop's clock).
		for !c.rdhup {
			tk.Sleep(time.Millisecond)
		}
		_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 3) // shorter than the data: two reads, then EOF
		for {
			n, err := c.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				return err
			}
		}
	})
	run(t, l)
	if string(got) != "bye\r\n" || *rerr != io.EOF {
		t.Fatalf("got %q, %v; want the data then io.EOF", got, *rerr)
	}
}

func TestReset(t *testing.T) {
	addr := server(t, func(c net.Conn) {
		_ = c.(*net.TCPConn).SetLinger(0)
		buf := make([]byte, 10)
		_, _ = c.Read(buf)
	})
	l := newLoop(t)
	rerr := withConn(l, addr, func(tk *Task, c *Conn) error {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte("x")); err != nil {
			return err
		}
		_, err := c.Read(make([]byte, 10))
		return err
	})
	run(t, l)
	if !errors.Is(*rerr, syscall.ECONNRESET) {
		t.Fatalf("got %v, want connection reset", *rerr)
	}
}

// TestBigWrite exercises the EAGAIN path: more than the socket buffers
// hold, to a reader that takes its time.
func TestBigWrite(t *testing.T) {
	var got int64
	done := make(chan struct{})
	writing := make(chan struct{})
	var l *Loop
	addr := server(t, func(c net.Conn) {
		defer close(done)
		// Read only once the writer waits for room: a function posted to
		// the loop runs when its task yields, and in Write it yields only
		// on a full socket.
		<-writing
		waits := make(chan struct{})
		l.Post(func() { close(waits) })
		<-waits
		got, _ = io.Copy(io.Discard, c)
	})
	l = newLoop(t)
	const size = 16 << 20
	werr := withConn(l, addr, func(tk *Task, c *Conn) error {
		_ = c.SetWriteDeadline(time.Now().Add(time.Minute))
		close(writing)
		n, err := c.Write(make([]byte, size))
		if err == nil && n != size {
			err = errors.New("short write")
		}
		return err
	})
	run(t, l)
	<-done
	if *werr != nil || got != size {
		t.Fatalf("write: %v; server got %d of %d bytes", *werr, got, size)
	}
}

// TestPostDeadline: another goroutine ends a task's wait through Post, as
// the engine does when it aborts sessions or ends holds.
func TestPostDeadline(t *testing.T) {
	addr := server(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	l := newLoop(t)
	waiting := make(chan *Conn, 1)
	rerr := withConn(l, addr, func(tk *Task, c *Conn) error {
		_ = c.SetReadDeadline(time.Now().Add(time.Minute))
		waiting <- c
		_, err := c.Read(make([]byte, 10))
		return err
	})
	go func() {
		// The posted function runs when the task yields, which it does
		// only in the Read: no need to wait for that here.
		c := <-waiting
		l.Post(func() { _ = c.SetReadDeadline(time.Unix(1, 0)) })
	}()
	run(t, l)
	if !errors.Is(*rerr, os.ErrDeadlineExceeded) {
		t.Fatalf("got %v, want the deadline set from outside", *rerr)
	}
	if l.Post(func() {}) {
		t.Fatal("Post accepted after the loop finished")
	}
}

func TestAbort(t *testing.T) {
	addr := server(t, func(c net.Conn) { _, _ = io.Copy(io.Discard, c) })
	l := newLoop(t)
	var derr error
	started := make(chan struct{})
	rerr := withConn(l, addr, func(tk *Task, c *Conn) error {
		close(started)
		_, err := c.Read(make([]byte, 10)) // no deadline at all
		_, derr = l.Dial(addr, netip.Addr{}, time.Second)
		return err
	})
	go func() {
		<-started
		l.Post(l.Abort)
	}()
	run(t, l)
	if !errors.Is(*rerr, os.ErrDeadlineExceeded) {
		t.Fatalf("read: got %v, want a timeout from Abort", *rerr)
	}
	if derr == nil {
		t.Fatal("Dial after Abort succeeded")
	}
}

// TestSleepReadyWake: a sleep ends at its deadline, Ready wakes a parked
// task, WakeSleepers ends a sleep early. Each step is triggered by the one
// before, not by a later deadline: the waker used to sleep 30 ms, and a
// loop that was late by 20 ms fired both deadlines in one poll, ran the
// waker before the parker had gone to sleep, and the parker slept an hour.
func TestSleepReadyWake(t *testing.T) {
	l := newLoop(t)
	var order []string
	var parker, waker *Task
	l.Go(func(tk *Task) {
		if tk.Sleep(10 * time.Millisecond) {
			order = append(order, "slept")
		}
		l.Ready(parker)
	})
	parker = l.Go(func(tk *Task) {
		tk.Park()
		order = append(order, "readied")
		l.Ready(waker) // it runs once this task sleeps
		if tk.Sleep(time.Hour) {
			order = append(order, "slept an hour?")
		} else {
			order = append(order, "woken")
		}
	})
	waker = l.Go(func(tk *Task) {
		tk.Park()
		l.WakeSleepers()
	})
	run(t, l)
	if want := "slept readied woken"; joined(order) != want {
		t.Fatalf("order %q, want %q", joined(order), want)
	}
}

func joined(s []string) string {
	var b bytes.Buffer
	for i, x := range s {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(x)
	}
	return b.String()
}

// TestManySequentialConns: descriptors and slots are reused; a stale event
// for a closed connection never reaches its successor.
func TestManySequentialConns(t *testing.T) {
	addr := server(t, func(c net.Conn) {
		buf := make([]byte, 16)
		n, _ := c.Read(buf)
		_, _ = c.Write(buf[:n])
	})
	l := newLoop(t)
	const n = 2000
	var fails int
	var first error
	for range 4 {
		l.Go(func(tk *Task) {
			buf := make([]byte, 16)
			for range n / 4 {
				c, err := l.Dial(addr, netip.Addr{}, time.Second)
				if err == nil {
					_ = c.SetDeadline(time.Now().Add(5 * time.Second))
					if _, err = c.Write([]byte("ping")); err == nil {
						var k int
						k, err = io.ReadFull(c, buf[:4])
						if err == nil && string(buf[:k]) != "ping" {
							err = errors.New("wrong reply")
						}
					}
					c.Close()
				}
				if err != nil {
					fails++
					if first == nil {
						first = err
					}
				}
			}
		})
	}
	run(t, l)
	if fails > 0 {
		t.Fatalf("%d of %d failed, first: %v", fails, n, first)
	}
	if len(l.slots) > 8 {
		t.Fatalf("%d slots for 4 connections at a time", len(l.slots))
	}
}

func TestSourceAddress(t *testing.T) {
	seen := make(chan string, 1)
	addr := server(t, func(c net.Conn) {
		host, _, _ := net.SplitHostPort(c.RemoteAddr().String())
		seen <- host
	})
	l := newLoop(t)
	var derr error
	l.Go(func(tk *Task) {
		c, err := l.Dial(addr, netip.MustParseAddr("127.0.0.2"), time.Second)
		if err != nil {
			derr = err
			return
		}
		c.Close() // the server accepts it all the same
	})
	run(t, l)
	if derr != nil {
		t.Fatal(derr)
	}
	if got := <-seen; got != "127.0.0.2" {
		t.Fatalf("server saw %s, want 127.0.0.2", got)
	}
}

func TestBlockingOutsideTaskPanics(t *testing.T) {
	l := newLoop(t)
	defer l.Close()
	defer func() {
		if recover() == nil {
			t.Fatal("Dial outside a task did not panic")
		}
	}()
	_, _ = l.Dial(netip.MustParseAddrPort("127.0.0.1:1"), netip.Addr{}, time.Second)
}

// TestNoGoroutineLeak: a finished loop leaves no coroutine behind.
func TestNoGoroutineLeak(t *testing.T) {
	before := runtime.NumGoroutine()
	l := newLoop(t)
	for range 100 {
		l.Go(func(tk *Task) { tk.Sleep(time.Millisecond) })
	}
	run(t, l)
	testwait.Until(t, 20*time.Second, "the loop's coroutines to end", func() (bool, string) {
		n := runtime.NumGoroutine()
		return n <= before, fmt.Sprintf("%d goroutines after, %d before", n, before)
	})
}

// TestCloseAfterPeer: the loop closes a connection handed back to it when
// the peer closes (so the peer keeps the TIME_WAIT), or at the deadline when
// the peer never does, while the task goes on at once.
func TestCloseAfterPeer(t *testing.T) {
	// The peer closes at once after OUT and never otherwise; it reports
	// when it sees the client's side closed.
	closedAtPeer := make(chan string, 2)
	addr := server(t, func(c net.Conn) {
		buf := make([]byte, 16)
		n, _ := c.Read(buf)
		if string(buf[:n]) == "OUT\r\n" {
			return
		}
		_, _ = io.Copy(io.Discard, c)
		closedAtPeer <- string(buf[:n])
	})

	// Polite: its deadline is an hour away, so a Run that returns at all
	// closed it because its peer did (run fails the test after 20 s).
	l := newLoop(t)
	l.Go(func(tk *Task) {
		polite, err := l.Dial(addr, netip.Addr{}, time.Second)
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = polite.Write([]byte("OUT\r\n"))
		polite.CloseAfterPeer(time.Hour)
	})
	run(t, l)

	// Stubborn: its peer never closes, so the loop closes it at its
	// deadline, not before, and Run waits for that.
	l = newLoop(t)
	var start time.Time
	l.Go(func(tk *Task) {
		stubborn, err := l.Dial(addr, netip.Addr{}, time.Second)
		if err != nil {
			t.Error(err)
			return
		}
		_, _ = stubborn.Write([]byte("STAY\r\n"))
		start = time.Now()
		stubborn.CloseAfterPeer(150 * time.Millisecond)
	})
	run(t, l)
	if took := time.Since(start); took < 150*time.Millisecond {
		t.Errorf("stubborn connection closed after %v, before its deadline (150ms)", took)
	}
	if got := <-closedAtPeer; got != "STAY\r\n" {
		t.Errorf("the peer saw %q closed, want the stubborn connection", got)
	}
}

// TestSpin: a spinning loop still sleeps once the spin is over, and still
// wakes for events and deadlines.
func TestSpin(t *testing.T) {
	addr := server(t, echo)
	l := newLoop(t)
	l.SetSpin(200 * time.Microsecond)
	err := withConn(l, addr, func(tk *Task, c *Conn) error {
		tk.Sleep(5 * time.Millisecond) // longer than the spin: the loop goes to sleep
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 4)
		for range 50 {
			if _, err := c.Write([]byte("ping")); err != nil {
				return err
			}
			if _, err := io.ReadFull(c, buf); err != nil {
				return err
			}
		}
		return nil
	})
	run(t, l)
	if *err != nil {
		t.Fatal(*err)
	}
}

// TestStampReads: with SetStampReads, Arrival is when the reply reached
// the socket, not when the task read it. The checks are causal, not timed:
// the server notes the wall clock just before and after each write, and
// the task reads once that write is done, and well after.
func TestStampReads(t *testing.T) {
	type window struct{ before, after int64 }
	writes := make(chan window, 512)
	addr := server(t, func(c net.Conn) {
		buf := make([]byte, 64)
		for {
			if _, err := c.Read(buf); err != nil {
				return
			}
			w := window{before: time.Now().UnixNano()}
			if _, err := c.Write([]byte("x\n")); err != nil {
				return
			}
			w.after = time.Now().UnixNano()
			writes <- w
		}
	})
	l := newLoop(t)
	l.SetStampReads(true)
	const rounds = 3
	var stamps, readAt [rounds]int64
	var wrote [rounds]window
	rerr := withConn(l, addr, func(tk *Task, c *Conn) error {
		buf := make([]byte, 64)
		exchange := func() error {
			_ = c.SetDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Write([]byte("go\n")); err != nil {
				return err
			}
			_, err := c.Read(buf)
			return err
		}
		// The kernel turns timestamps on asynchronously when the first
		// socket asks: exchange until one comes, for at most 10 s (a
		// guard against a hang, not a measure: 200 tries 5 ms apart
		// were about a second, which a loaded machine's deferred work
		// could outlast).
		giveUp := time.Now().Add(10 * time.Second)
		for try := 1; ; try++ {
			if err := exchange(); err != nil {
				return err
			}
			<-writes
			if c.Arrival() != 0 {
				break
			}
			if time.Now().After(giveUp) {
				return fmt.Errorf("no receive timestamp after %d reads in 10 s", try)
			}
			tk.Sleep(5 * time.Millisecond)
		}
		for r := range rounds {
			if _, err := c.Write([]byte("go\n")); err != nil {
				return err
			}
			// Read well after the arrival: once the server has written
			// its reply (on a loaded machine that can take longer than
			// any fixed sleep), and 20 ms more.
			wrote[r] = <-writes
			tk.Sleep(20 * time.Millisecond)
			readAt[r] = time.Now().UnixNano()
			_ = c.SetReadDeadline(time.Now().Add(5 * time.Second))
			if _, err := c.Read(buf); err != nil {
				return err
			}
			stamps[r] = c.Arrival()
		}
		return nil
	})
	run(t, l)
	if *rerr != nil {
		t.Fatal(*rerr)
	}
	// Wall-clock readings on two threads: allow for the clock's read skew.
	const skew = int64(time.Millisecond)
	for r := range rounds {
		w := wrote[r]
		if stamps[r] < w.before-skew || stamps[r] > w.after+skew || stamps[r] >= readAt[r] {
			t.Errorf("round %d: arrival %d, want within the server's write [%d, %d] and before the read at %d",
				r, stamps[r], w.before, w.after, readAt[r])
		}
	}

	// Without SetStampReads there is no stamp.
	l2 := newLoop(t)
	var plain int64 = -1
	rerr = withConn(l2, addr, func(tk *Task, c *Conn) error {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		if _, err := c.Write([]byte("go\n")); err != nil {
			return err
		}
		buf := make([]byte, 64)
		if _, err := c.Read(buf); err != nil {
			return err
		}
		plain = c.Arrival()
		return nil
	})
	run(t, l2)
	if *rerr != nil || plain != 0 {
		t.Fatalf("without stamps: arrival %d, %v; want 0", plain, *rerr)
	}
}

// TestPostNeverLost: functions posted from several goroutines at once all
// run, with the loop asleep in epoll_wait between them. A post whose
// eventfd write the loop had already drained, while the "signaled" flag
// still said a wake-up was on its way, once stayed queued for good: the
// engine's abort after Ctrl-C's grace period was lost that way.
func TestPostNeverLost(t *testing.T) {
	l := newLoop(t)
	const posters, each = 4, 5000
	var ran int // touched only on the loop
	l.Go(func(tk *Task) {
		for ran < posters*each {
			tk.Park() // woken by each posted function
		}
	})
	var wg sync.WaitGroup
	for range posters {
		wg.Go(func() {
			for range each {
				l.Post(func() {
					ran++
					l.WakeSleepers()
				})
			}
		})
	}
	run(t, l)
	wg.Wait()
}

// TestRunWaitsForLinger: Run does not end while a connection left to
// CloseAfterPeer waits for its peer, so the peer still closes first at the
// end of a run (it used to be closed at once, with the peer's OUT unread);
// Abort closes such connections at once.
func TestRunWaitsForLinger(t *testing.T) {
	for _, abort := range []bool{false, true} {
		t.Run(map[bool]string{false: "peer closes", true: "abort"}[abort], func(t *testing.T) {
			gotOUT := make(chan struct{})
			clientFirst := make(chan bool, 1)
			addr := server(t, func(c net.Conn) {
				buf := make([]byte, 16)
				if n, _ := c.Read(buf); string(buf[:n]) != "OUT\r\n" {
					return
				}
				close(gotOUT)
				if abort {
					// Never closes: only Abort ends the wait.
					_, err := io.Copy(io.Discard, c)
					clientFirst <- err == nil
					return
				}
				// Give a client that does not wait time to close first.
				_ = c.SetReadDeadline(time.Now().Add(300 * time.Millisecond))
				_, err := c.Read(buf)
				clientFirst <- err == io.EOF
			})
			l := newLoop(t)
			l.Go(func(tk *Task) {
				c, err := l.Dial(addr, netip.Addr{}, time.Second)
				if err != nil {
					t.Error(err)
					return
				}
				_, _ = c.Write([]byte("OUT\r\n"))
				c.CloseAfterPeer(time.Minute)
			})
			if abort {
				go func() {
					<-gotOUT
					l.Post(l.Abort)
				}()
			}
			run(t, l)
			if first := <-clientFirst; first != abort {
				t.Errorf("client closed first: %v, want %v", first, abort)
			}
		})
	}
}

// flood writes to the client as fast as it reads, so that a read with a
// small buffer always finds more waiting behind it.
func flood(c net.Conn) {
	buf := bytes.Repeat([]byte("NLN NLN bob@example.com Bob\r\n"), 2048)
	for {
		if _, err := c.Write(buf); err != nil {
			return
		}
	}
}

// floodReads bounds every flooded read loop below: far more reads than
// the loop needs to notice its deadline or its other work, far fewer than
// a hang.
const floodReads = 5_000_000

// TestFloodReadDeadline: a connection that never runs dry still times out
// at its read deadline. (The loop used to look at the deadline only when
// there was nothing to read, so a flooding server kept the read going for
// ever, and with it the loop's thread.)
func TestFloodReadDeadline(t *testing.T) {
	addr := server(t, flood)
	l := newLoop(t)
	reads := 0
	rerr := withConn(l, addr, func(tk *Task, c *Conn) error {
		_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
		p := make([]byte, 16)
		for ; reads < floodReads; reads++ {
			if _, err := c.Read(p); err != nil {
				return err
			}
		}
		return errors.New("never timed out")
	})
	run(t, l)
	if !errors.Is(*rerr, os.ErrDeadlineExceeded) {
		t.Fatalf("after %d reads: got %v, want a timeout", reads, *rerr)
	}
}

// TestFloodYields: a task reading a connection that never runs dry lets
// the loop's other tasks and posted functions run (Abort, the way a run is
// canceled, among them).
func TestFloodYields(t *testing.T) {
	addr := server(t, flood)
	l := newLoop(t)
	stop := false
	reading := make(chan struct{})
	rerr := withConn(l, addr, func(tk *Task, c *Conn) error {
		p := make([]byte, 16)
		if _, err := c.Read(p); err != nil {
			return err
		}
		close(reading)
		for range floodReads {
			if stop {
				return nil
			}
			if _, err := c.Read(p); err != nil {
				return err
			}
		}
		return errors.New("the other task never ran")
	})
	l.Go(func(tk *Task) {
		tk.Sleep(time.Millisecond)
		stop = true
	})
	run(t, l)
	if *rerr != nil {
		t.Fatal(*rerr)
	}

	l = newLoop(t)
	reading = make(chan struct{})
	rerr = withConn(l, addr, func(tk *Task, c *Conn) error {
		p := make([]byte, 16)
		if _, err := c.Read(p); err != nil {
			return err
		}
		close(reading)
		for range floodReads {
			if _, err := c.Read(p); err != nil {
				return err
			}
		}
		return errors.New("the posted Abort never ran")
	})
	go func() {
		<-reading
		l.Post(l.Abort)
	}()
	run(t, l)
	if !errors.Is(*rerr, os.ErrDeadlineExceeded) {
		t.Fatalf("got %v, want a timeout from Abort", *rerr)
	}
}

// TestHoldP: with SetHoldP the waits between events keep the P (raw
// epoll_pwait2, none through the runtime's syscall path); without it every
// wait that may block goes through the syscall path. Counted, not timed.
func TestHoldP(t *testing.T) {
	addr := server(t, echo)
	exchange := func(tk *Task, c *Conn) error {
		_ = c.SetDeadline(time.Now().Add(5 * time.Second))
		buf := make([]byte, 4)
		for range 50 {
			if _, err := c.Write([]byte("ping")); err != nil {
				return err
			}
			if _, err := io.ReadFull(c, buf); err != nil {
				return err
			}
		}
		// Nothing comes: the deadline ends the wait, raw or not.
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Millisecond))
		if _, err := c.Read(buf); !errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("read: %v, want a timeout", err)
		}
		return nil
	}
	for _, hold := range []bool{false, true} {
		l := newLoop(t)
		if hold {
			l.SetHoldP(time.Hour)
		}
		err := withConn(l, addr, exchange)
		run(t, l)
		if *err != nil {
			t.Fatal(*err)
		}
		switch {
		case hold && (l.sysWaits != 0 || l.rawWaits == 0):
			t.Errorf("SetHoldP(1h): %d raw waits, %d through the syscall path: want all raw", l.rawWaits, l.sysWaits)
		case !hold && (l.rawWaits != 0 || l.sysWaits == 0):
			t.Errorf("no SetHoldP: %d raw waits, %d through the syscall path: want none raw", l.rawWaits, l.sysWaits)
		}
	}
}

// TestHoldPIdle: a loop that has seen no event for the hold time waits
// through the runtime's syscall path again (it lets the P go).
func TestHoldPIdle(t *testing.T) {
	addr := server(t, echo)
	l := newLoop(t)
	l.SetHoldP(time.Nanosecond) // every wait comes after the hold time
	err := withConn(l, addr, func(tk *Task, c *Conn) error {
		tk.Sleep(time.Millisecond)
		_ = c.SetReadDeadline(time.Now().Add(2 * time.Millisecond))
		_, err := c.Read(make([]byte, 1)) // nothing comes: the deadline ends it
		if !errors.Is(err, os.ErrDeadlineExceeded) {
			return fmt.Errorf("read: %v, want a timeout", err)
		}
		return nil
	})
	run(t, l)
	if *err != nil {
		t.Fatal(*err)
	}
	if l.sysWaits == 0 {
		t.Errorf("%d raw waits, %d through the syscall path: want the idle ones through it", l.rawWaits, l.sysWaits)
	}
}

// watchFunc is a Watcher from a function.
type watchFunc func(c *Conn)

func (f watchFunc) Unparked(c *Conn) { f(c) }

// TestPark: a parked connection has no task, keeps the loop running, and
// is handed back to its owner, once, for each thing that needs it: data
// from the peer, its read deadline, a deadline moved into the past, Abort.
// Park refuses a connection that is already readable.
func TestPark(t *testing.T) {
	send := make(chan string, 4)
	addr := server(t, func(c net.Conn) {
		for m := range send {
			if _, err := c.Write([]byte(m)); err != nil {
				return
			}
		}
	})
	l := newLoop(t)
	var why []string
	var errs []string
	fail := func(s string) { errs = append(errs, s) }
	l.Go(func(tk *Task) {
		c, err := l.Dial(addr, netip.Addr{}, time.Second)
		if err != nil {
			fail(err.Error())
			return
		}
		// 1. Data: the watcher starts a task that reads it.
		step := 0
		var w watchFunc
		w = func(c *Conn) {
			if c.Parked() {
				fail("still parked in Unparked")
			}
			step++
			l.Go(func(tk *Task) {
				switch step {
				case 1:
					buf := make([]byte, 16)
					n, err := c.Read(buf)
					why = append(why, "data "+string(buf[:n]))
					if err != nil {
						fail(err.Error())
					}
					// 2. Its read deadline.
					_ = c.SetReadDeadline(time.Now().Add(20 * time.Millisecond))
					if !c.Park(w) {
						fail("Park after the deadline was set refused")
					}
				case 2:
					why = append(why, "deadline")
					// 3. A deadline moved into the past (how a session is
					// woken from another goroutine through Post).
					_ = c.SetReadDeadline(time.Time{})
					if !c.Park(w) {
						fail("Park without a deadline refused")
					}
					l.Go(func(*Task) { _ = c.SetReadDeadline(time.Unix(1, 0)) })
				case 3:
					why = append(why, "moved")
					_ = c.SetReadDeadline(time.Time{})
					if !c.Park(w) {
						fail("third Park refused")
					}
					// 4. Abort.
					l.Abort()
				case 4:
					why = append(why, "abort")
					c.Close()
				}
			})
		}
		// Readable already: refused.
		send <- "x"
		if _, err := c.Read(make([]byte, 0)); err != nil {
			fail(err.Error())
		}
		for !c.readable {
			tk.Sleep(time.Millisecond)
		}
		if c.Park(w) {
			fail("Park of a readable connection accepted")
		}
		if n, err := c.Read(make([]byte, 4)); n != 1 || err != nil {
			fail("read x")
		}
		if !c.Park(w) {
			fail("Park refused")
		}
		send <- "hello"
		// The task ends here; the parked connection keeps the loop going.
	})
	run(t, l)
	close(send)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	want := []string{"data hello", "deadline", "moved", "abort"}
	if len(why) != len(want) {
		t.Fatalf("unparked for %q, want %q", why, want)
	}
	for i := range want {
		if why[i] != want[i] {
			t.Fatalf("unparked for %q, want %q", why, want)
		}
	}
	if l.parked != 0 {
		t.Fatalf("%d still parked", l.parked)
	}
}

// TestWaitPlan: a loop holding its P yields just before it sleeps once a
// yield is near due (the yield then costs no wake-up of its own), and no
// raw wait runs past yieldBy after the last yield (sysmon would preempt the
// loop with a signal at 10 ms). Before, a loop that slept 7 ms after its
// last yield was woken at 8 ms only to yield.
func TestWaitPlan(t *testing.T) {
	const ms = int64(time.Millisecond)
	for _, c := range []struct {
		now, yielded, timeout int64
		yield                 bool
		d                     int64
	}{
		{now: 1 * ms, yielded: 0, timeout: -1, yield: false, d: 8 * ms},         // capped at yieldBy
		{now: 1 * ms, yielded: 0, timeout: 2 * ms, yield: false, d: 2 * ms},     // its own timeout first
		{now: 7 * ms, yielded: 0, timeout: 5 * ms, yield: true, d: 5 * ms},      // yield, then sleep it all
		{now: 7 * ms, yielded: 0, timeout: -1, yield: true, d: yieldBy},         // yield, then up to yieldBy
		{now: 5 * ms, yielded: 0, timeout: 20 * ms, yield: false, d: 4 * ms},    // not near due: capped
		{now: 12 * ms, yielded: 0, timeout: 1, yield: true, d: 1},               // overdue (a late wake-up)
		{now: 100 * ms, yielded: 95 * ms, timeout: -1, yield: false, d: 4 * ms}, // relative to the last yield
	} {
		yield, d := waitPlan(c.now, c.yielded, c.timeout)
		if yield != c.yield || d != c.d {
			t.Errorf("waitPlan(now %d, yielded %d, timeout %d) = %v, %d; want %v, %d",
				c.now, c.yielded, c.timeout, yield, d, c.yield, c.d)
		}
		last := c.yielded
		if yield {
			last = c.now
		}
		if c.now+d-last > yieldBy {
			t.Errorf("waitPlan(now %d, yielded %d, timeout %d): a wait to %d, past yieldBy after the last yield",
				c.now, c.yielded, c.timeout, c.now+d)
		}
	}
}

// TestHoldPPark: a loop holding its P through a quiet spell (a sleep
// longer than yieldBy) parks on the runtime's poller instead of waking to
// yield, never through the syscall path; the sleep still ends at its time
// and an event (here a Post) ends a park. Counted, not timed. Before, it
// woke every 8 ms only to yield (runtime.Gosched).
func TestHoldPPark(t *testing.T) {
	l := newLoop(t)
	l.SetHoldP(time.Hour)
	parked := make(chan struct{}, 1)
	l.parkHook = func() {
		select {
		case parked <- struct{}{}:
		default:
		}
	}
	slept := false
	var waiter *Task
	l.Go(func(tk *Task) {
		slept = tk.Sleep(30 * time.Millisecond)
		waiter = tk
		tk.Park() // until the Post below
	})
	go func() {
		<-parked // the sleep's park
		<-parked // the Park's: the loop is in the runtime's poller or about to be
		l.Post(func() { l.Ready(waiter) })
	}()
	run(t, l)
	if !slept || l.parks < 2 || l.sysWaits != 0 {
		t.Errorf("slept %v, %d parks, %d yields, %d raw waits, %d through the syscall path; want the sleep to end at its time, at least 2 parks, none through the syscall path",
			slept, l.parks, l.yields, l.rawWaits, l.sysWaits)
	}
}
