package loadgen

import (
	"context"
	"runtime"
	"strconv"
	"testing"
	"time"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/server"
)

// Memory per held session (DESIGN.md §3 "Hold", §8 "tens of thousands of
// held sessions on one 2-core, 24 GiB machine"). scripts/held.sh measures it
// at full scale with the client and the server in separate processes (RSS);
// this benchmark measures it in-process, from the Go runtime's own figures,
// so a change to either side's per-session state shows up without a 20,000
// session run.

// heldMem is the Go memory in use: heap objects, goroutine stacks and the
// runtime's other structures (everything the process got from the OS,
// minus what is free or returned).
type heldMem struct {
	inuse      uint64 // HeapInuse + StackInuse + other runtime spans
	heap       uint64 // HeapInuse
	stack      uint64 // StackInuse
	goroutines int
}

func takeHeldMem() heldMem {
	runtime.GC()
	runtime.GC() // the second cycle frees what the first one's finalizers released
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return heldMem{
		inuse: ms.HeapInuse + ms.StackInuse + ms.MSpanInuse + ms.MCacheInuse + ms.BuckHashSys + ms.GCSys +
			ms.OtherSys,
		heap:       ms.HeapInuse,
		stack:      ms.StackInuse,
		goroutines: runtime.NumGoroutine(),
	}
}

// holdSessions logs n sessions in (SYN, CHG) and holds them, waits until
// all n are held, measures, and ends the run. The server is sp, a reference
// server in another process, or if sp is nil one started in this process.
// io is the engine's Config.IO. It returns this process's memory before
// the logins (server with its accounts, engine built) and while the n
// sessions are held, sp's while they are held (if sp is given), and the
// run.
func holdSessions(tb testing.TB, n int, io string, sp *serverProcess) (before, held, spHeld heldMem,
	run *report.Run) {
	tb.Helper()
	var target string
	var srv *server.Server
	if sp != nil {
		target = sp.addr
	} else {
		var err error
		srv, err = server.New(server.Config{
			DSAddr: "127.0.0.1:0", NSAddr: "127.0.0.1:0", Accounts: n, Password: "password", Contacts: 3,
			// Keep the server's own defaults from ending the holds: no idle
			// timeout within the measurement.
			IdleTimeout: 10 * time.Minute,
		})
		if err != nil {
			tb.Fatal(err)
		}
		defer srv.Close()
		target = srv.Addr()
	}
	e, err := New(Config{
		Target: target, Concurrency: n, Logins: int64(n), IO: io,
		UserPattern: "user%d@example.com", Accounts: n, Password: "password",
		Steps: []Step{StepSyn, StepChg},
		// Longer than the measurement; the run is ended by canceling ctx.
		Hold: 10 * time.Minute, Ping: 20 * time.Second,
		Timeout:       60 * time.Second, // generous: n connects at once on a shared machine
		SharedProcess: true,
	})
	if err != nil {
		tb.Fatal(err)
	}
	before = takeHeldMem()
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	type result struct {
		run *report.Run
		err error
	}
	done := make(chan result, 1)
	go func() {
		r, err := e.Run(ctx)
		done <- result{r, err}
	}()
	deadline := time.Now().Add(3 * time.Minute) // against hangs only
	for e.Live().Held < int64(n) {
		select {
		case r := <-done:
			tb.Fatalf("run ended before %d sessions were held: %v, counts %+v, errors %+v", n, r.err,
				r.run.Counts, r.run.Errors)
		default:
		}
		if time.Now().After(deadline) {
			cancel()
			<-done
			tb.Fatalf("only %d of %d sessions held after 3 minutes", e.Live().Held, n)
		}
		time.Sleep(20 * time.Millisecond)
	}
	online := int64(0)
	if srv != nil {
		online = srv.Stats().Online
	} else {
		spHeld, online = sp.mem(tb)
	}
	if online != int64(n) {
		tb.Fatalf("server sees %d sessions online, want %d", online, n)
	}
	held = takeHeldMem()
	cancel()
	r := <-done
	if r.err != nil {
		tb.Fatal(r.err)
	}
	if r.run.Counts.OK != int64(n) || r.run.Counts.Failed != 0 {
		tb.Fatalf("counts %+v, errors %+v, warnings %q", r.run.Counts, r.run.Errors, r.run.Health.Warnings)
	}
	return before, held, spHeld, r.run
}

// BenchmarkHeldSessionMemory holds N sessions (full login, SYN, CHG, then
// held with PNG) and reports the Go memory in use per held session
// (runtime.MemStats after a GC; RSS is higher by what the runtime has not
// returned to the OS, and the kernel's socket buffers are not in it):
//
//   - "both": client and reference server in this process, together
//     ("B/session", split into "heap_B/session" and "stack_B/session",
//     and "goroutines/session");
//   - "io=loop", "io=net": the client alone with each I/O engine, the
//     server in a child process ("B/session" and the split as above are
//     the client's), and the server's own figures from that process
//     ("server_B/session", "server_goroutines/session").
//
// Run it with
//
//	go test ./loadgen -run '^$' -bench HeldSessionMemory -benchtime 1x -count 3
//
// It needs about 2·N file descriptors in one process for "both", N in
// each of the two processes otherwise.
func BenchmarkHeldSessionMemory(b *testing.B) {
	for _, mode := range []string{"both", "io=loop", "io=net"} {
		for _, n := range []int{1000, 4000} {
			b.Run(mode+"/N="+strconv.Itoa(n), func(b *testing.B) {
				if mode == "io=loop" && !loopsSupported {
					b.Skip("no event loops here")
				}
				var perSession, heap, stack, goroutines, srvPer, srvG float64
				iters := 0
				for b.Loop() {
					var sp *serverProcess
					var sBefore heldMem
					io := ""
					if mode != "both" {
						io = mode[len("io="):]
						sp = startServerProcess(b, n)
						sBefore, _ = sp.mem(b)
					}
					before, held, sHeld, _ := holdSessions(b, n, io, sp)
					perSession += float64(int64(held.inuse)-int64(before.inuse)) / float64(n)
					heap += float64(int64(held.heap)-int64(before.heap)) / float64(n)
					stack += float64(int64(held.stack)-int64(before.stack)) / float64(n)
					goroutines += float64(held.goroutines-before.goroutines) / float64(n)
					if sp != nil {
						srvPer += float64(int64(sHeld.inuse)-int64(sBefore.inuse)) / float64(n)
						srvG += float64(sHeld.goroutines-sBefore.goroutines) / float64(n)
					}
					iters++
				}
				b.ReportMetric(perSession/float64(iters), "B/session")
				b.ReportMetric(heap/float64(iters), "heap_B/session")
				b.ReportMetric(stack/float64(iters), "stack_B/session")
				b.ReportMetric(goroutines/float64(iters), "goroutines/session")
				if mode != "both" {
					b.ReportMetric(srvPer/float64(iters), "server_B/session")
					b.ReportMetric(srvG/float64(iters), "server_goroutines/session")
				}
				b.ReportMetric(0, "ns/op") // one whole run per op: its time says nothing
			})
		}
	}
}

// TestHoldSessionsBooks checks the helper the benchmark relies on, at a
// small scale: every session is held at once (engine and server agree), the
// measured memory grows with the held sessions, and ending the run logs
// every one of them out without a failure.
func TestHoldSessionsBooks(t *testing.T) {
	before, held, _, run := holdSessions(t, 50, "", nil)
	if held.goroutines <= before.goroutines {
		t.Errorf("goroutines %d while holding 50 sessions, %d before", held.goroutines, before.goroutines)
	}
	if held.inuse <= before.inuse {
		t.Errorf("memory in use %d while holding 50 sessions, %d before", held.inuse, before.inuse)
	}
	if run.Counts.OK != 50 {
		t.Errorf("counts %+v", run.Counts)
	}
}
