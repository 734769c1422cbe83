package loadgen

import (
	"context"
	"os"
	"runtime"
	"runtime/pprof"
	"strconv"
	"testing"
	"time"

	"github.com/msnbench/msnbench/report"
)

// TestChatSessionMemory: a held user that chats costs at most twice the
// memory of one held idle (issue 14). N users are held against a server
// in another process, first idle, then chatting (each sends a message
// every ChatEvery over the switchboard it opened, and takes those of the
// users that opened one to it); the client's Go memory in use per held
// user is compared (on the event loops: with Go's net package each
// switchboard connection has its goroutine). LOADGEN_CHATMEM_N sets N; LOADGEN_CHATMEM_PROFILE
// writes a heap profile of the chatting run there.
func TestChatSessionMemory(t *testing.T) {
	if testing.Short() {
		t.Skip("holds hundreds of connections")
	}
	if raceEnabled {
		t.Skip("a memory measurement: the race detector's shadow memory would be in it")
	}
	n := 2000 // fewer: the run's fixed costs (histograms, pools) blur the figures (1,000: 1.64-1.94x)
	if os.Getenv("LOADGEN_CHATMEM_PROFILE") != "" {
		runtime.MemProfileRate = 64
	}
	if v, err := strconv.Atoi(os.Getenv("LOADGEN_CHATMEM_N")); err == nil && v > 0 {
		n = v
	}
	target := startServerProcess(t, n, serveSBEnv+"=10").addr
	// measure returns the heap per held user and the goroutines beyond
	// those before the run. Heap, not heap and stacks: the runtime keeps
	// spare stacks for a while, which blurs a figure of a few KB; the
	// goroutines say whether connections wait on stacks of their own.
	measure := func(chat bool) (heap float64, goroutines int) {
		cfg := baseConfig(target)
		cfg.Accounts, cfg.Concurrency, cfg.Logins = n, n, int64(n)
		cfg.Hold, cfg.Ping, cfg.Timeout = time.Hour, 0, 30*time.Second
		cfg.Interval = time.Hour // no interval histograms encoded while measuring
		if chat {
			cfg.ChatEvery, cfg.Seed = 500*time.Millisecond, 7
		}
		e, err := New(cfg)
		if err != nil {
			t.Fatal(err)
		}
		if e.Config().IO != IOLoop {
			// Go's net package: every connection, held or switchboard,
			// waits on a goroutine of its own (docs/benchmarks.md).
			t.Skip("switchboard connections park only on the event loops")
		}
		base := heapInUse()
		baseG := runtime.NumGoroutine()
		ctx, cancel := context.WithCancel(context.Background())
		done := runInBackground(t, ctx, e, func(run *report.Run) {
			if run.Counts.OK != int64(n) || run.Counts.HoldLost != 0 {
				t.Errorf("counts %+v errors %+v hold errors %+v", run.Counts, run.Errors, run.HoldErrors)
			}
			if chat && (run.Chat == nil || run.Chat.Lost != 0 || len(run.ChatErrors) != 0) {
				t.Errorf("chat %+v errors %+v", run.Chat, run.ChatErrors)
			}
		})
		waitFor(t, "all sessions held", func() bool { return e.Live().Held == int64(n) })
		if chat {
			// Every user has opened its switchboard and sent a few
			// messages on it.
			h := e.p.chat
			waitFor(t, "every user chatting", func() bool {
				return h.opened.Load() >= int64(n) && h.acked.Load() >= int64(3*n)
			})
		}
		// The least of a few samples: the steady state, not the moment
		// a burst of messages is being handled.
		inUse := heapInUse()
		for range 2 {
			inUse = min(inUse, heapInUse())
		}
		goroutines = runtime.NumGoroutine() - baseG
		if f := os.Getenv("LOADGEN_CHATMEM_PROFILE"); chat && f != "" {
			if w, err := os.Create(f); err == nil {
				_ = pprof.WriteHeapProfile(w)
				w.Close()
			}
		}
		cancel()
		<-done
		return (float64(inUse) - float64(base)) / float64(n), goroutines
	}
	idle, idleG := measure(false)
	chat, chatG := measure(true)
	t.Logf("%d held users: %.1f KB of heap each idle, %.1f KB chatting (%.2fx); %d and %d goroutines", n,
		idle/1024, chat/1024, chat/idle, idleG, chatG)
	if chat > 2*idle {
		t.Errorf("a chatting user costs %.0f bytes, %.2f times an idle one (%.0f), want at most 2 times",
			chat, chat/idle, idle)
	}
	if chatG > idleG+n/10 {
		t.Errorf("%d goroutines while %d users chat, %d while they are held idle: switchboard connections wait on goroutines",
			chatG, n, idleG)
	}
}

// heapInUse is the heap in use after a full GC.
func heapInUse() uint64 {
	runtime.GC()
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}
