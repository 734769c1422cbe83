package loadgen

import (
	"bufio"
	"bytes"
	"context"
	"io"
	"net"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/server"
)

// presenceVariants are the I/O engines the presence tests run on.
func presenceVariants() []string {
	v := []string{"net"}
	if loopsSupported {
		v = append(v, "loop:3")
	}
	return v
}

// startPresence runs cfg until the roster's counters satisfy cond, then
// ends the holds as the end of a run does and returns the report.
func startPresence(t *testing.T, cfg Config, what string, cond func(r *roster) bool) *report.Run {
	t.Helper()
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	type result struct {
		run *report.Run
		err error
	}
	ch := make(chan result, 1)
	go func() {
		run, err := e.Run(context.Background())
		ch <- result{run, err}
	}()
	waitFor(t, what, func() bool { return cond(e.p.roster) })
	e.endHolds()
	res := <-ch
	if res.err != nil {
		t.Fatal(res.err)
	}
	return res.run
}

// TestPresenceE2E: held sessions that are contacts of each other (the
// reference server's --contacts) change their status; every notification
// a contact of this process must see is timed, none is lost, and each
// delivery is one presence value.
func TestPresenceE2E(t *testing.T) {
	for _, v := range presenceVariants() {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			srv, target := refServer(t, true, func(c *server.Config) { c.Contacts = 4 })
			cfg := baseConfig(target)
			testIO(&cfg, v)
			cfg.Concurrency, cfg.Logins = 8, 8
			cfg.Hold, cfg.Ping = time.Hour, 0
			cfg.StatusEvery = 20 * time.Millisecond
			run := startPresence(t, cfg, "40 notifications delivered", func(r *roster) bool {
				return r.expected.Load()-r.lost.Load() >= 40
			})
			checkCounts(t, run)
			if run.Counts.OK != 8 || len(run.HoldErrors) != 0 {
				t.Fatalf("counts %+v hold errors %+v", run.Counts, run.HoldErrors)
			}
			d := run.Delivery("presence")
			if d == nil || d.Expected < 40 || d.Lost != 0 || d.Duplicate != 0 {
				t.Fatalf("deliveries %+v", run.Deliveries)
			}
			p := phase(run, "presence")
			if p == nil || p.Summary.Count != d.Expected {
				t.Fatalf("presence %+v, want one value per delivered notification (%d)", p, d.Expected)
			}
			if run.Config.StatusEvery != report.Duration(cfg.StatusEvery) {
				t.Errorf("config status_every %v", run.Config.StatusEvery)
			}
			if st := srv.Stats(); st.Presence == 0 {
				t.Errorf("server pushed no presence: %+v", st)
			}
		})
	}
}

// TestPresenceLost: a server whose NLNs never arrive (a proxy drops them)
// gets every expected notification counted as lost once its time is up,
// and no presence value.
func TestPresenceLost(t *testing.T) {
	for _, v := range presenceVariants() {
		t.Run(v, func(t *testing.T) {
			t.Parallel()
			_, target := refServer(t, false, func(c *server.Config) { c.Contacts = 4 })
			proxy := filterProxy(t, target, func(line []byte) [][]byte {
				if bytes.HasPrefix(line, []byte("NLN ")) {
					return nil
				}
				return [][]byte{line}
			})
			cfg := baseConfig(proxy)
			testIO(&cfg, v)
			cfg.TargetRole = RoleNS
			cfg.Concurrency, cfg.Logins = 6, 6
			cfg.Hold, cfg.Ping = time.Hour, 0
			// Long enough that the CHGs' own replies come back on a
			// loaded machine (with 1 s, at load average 35 under -race, the
			// held sessions failed at presence/timeout and nothing was
			// left to lose); a notification is lost only after it.
			cfg.Timeout = 5 * time.Second
			cfg.StatusEvery = 50 * time.Millisecond
			run := startPresence(t, cfg, "10 notifications lost", func(r *roster) bool {
				return r.lost.Load() >= 10
			})
			checkCounts(t, run)
			if run.Counts.OK != 6 || len(run.HoldErrors) != 0 {
				t.Fatalf("counts %+v hold errors %+v", run.Counts, run.HoldErrors)
			}
			d := run.Delivery("presence")
			if d == nil || d.Lost < 10 || d.Expected != d.Lost {
				t.Fatalf("deliveries %+v, want all lost", run.Deliveries)
			}
			if p := phase(run, "presence"); p != nil {
				t.Fatalf("presence %+v, want none", p)
			}
		})
	}
}

// TestPresenceNoSyn: without the syn step nothing is expected, and the
// report says so.
func TestPresenceNoSyn(t *testing.T) {
	srv, target := refServer(t, true, func(c *server.Config) { c.Contacts = 4 })
	cfg := baseConfig(target)
	cfg.Steps = []Step{StepChg}
	cfg.Concurrency, cfg.Logins = 4, 4
	cfg.Hold, cfg.Ping = time.Hour, 0
	cfg.StatusEvery = 10 * time.Millisecond
	// 4 initial CHGs, then at least 3 status changes each on average.
	run := startPresence(t, cfg, "status changes", func(*roster) bool { return srv.Stats().StatusChanges >= 16 })
	if d := run.Delivery("presence"); d == nil || d.Expected != 0 || d.Lost != 0 {
		t.Fatalf("deliveries %+v", run.Deliveries)
	}
	found := false
	for _, w := range run.Health.Warnings {
		found = found || bytes.Contains([]byte(w), []byte("without the syn step"))
	}
	if !found {
		t.Errorf("no warning about the missing syn step: %q", run.Health.Warnings)
	}
}

func TestPresenceConfig(t *testing.T) {
	for _, tc := range []struct {
		name string
		mod  func(*Config)
	}{
		{"no hold", func(c *Config) { c.Hold = 0 }},
		{"no chg", func(c *Config) { c.Steps = []Step{StepSyn} }},
		{"shared accounts", func(c *Config) { c.AllowSharedAccounts = true }},
		{"negative", func(c *Config) { c.StatusEvery = -time.Second }},
	} {
		cfg := baseConfig("127.0.0.1:1")
		cfg.Concurrency, cfg.Logins, cfg.Hold, cfg.StatusEvery = 1, 1, time.Second, time.Second
		tc.mod(&cfg)
		if err := cfg.Validate(); err == nil {
			t.Errorf("%s: accepted", tc.name)
		}
	}
}

// TestPresenceOddNotifications: every NLN arrives twice, and NLNs that
// match nothing (too short, an unknown user, a status never written) come
// along: the duplicates are counted, the rest ignored, nothing is lost and
// nothing fails.
func TestPresenceOddNotifications(t *testing.T) {
	_, target := refServer(t, false, func(c *server.Config) { c.Contacts = 4 })
	odd := [][]byte{[]byte("NLN BSY\r\n"), []byte("NLN NLN nobody@example.com x\r\n"),
		[]byte("NLN HDN user1@example.com user1\r\n"), []byte("NLN\r\n")}
	proxy := filterProxy(t, target, func(line []byte) [][]byte {
		if bytes.HasPrefix(line, []byte("NLN ")) {
			return append([][]byte{line, line}, odd...)
		}
		return [][]byte{line}
	})
	cfg := baseConfig(proxy)
	cfg.TargetRole = RoleNS
	cfg.Concurrency, cfg.Logins = 6, 6
	cfg.Hold, cfg.Ping = time.Hour, 0
	cfg.StatusEvery = 20 * time.Millisecond
	run := startPresence(t, cfg, "20 duplicates", func(r *roster) bool { return r.dup.Load() >= 20 })
	checkCounts(t, run)
	if run.Counts.OK != 6 || len(run.HoldErrors) != 0 {
		t.Fatalf("counts %+v hold errors %+v", run.Counts, run.HoldErrors)
	}
	d := run.Delivery("presence")
	if d == nil || d.Lost != 0 || d.Duplicate < 20 || d.Duplicate > d.Expected {
		t.Fatalf("deliveries %+v", run.Deliveries)
	}
	if p := phase(run, "presence"); p == nil || p.Summary.Count != d.Expected {
		t.Fatalf("presence %+v, want one value per notification (%d), duplicates not timed", p, d.Expected)
	}
}

// filterProxy forwards connections to target, passing each line from the
// server through filter, which returns what to send instead.
func filterProxy(t *testing.T, target string, filter func(line []byte) [][]byte) string {
	return filterProxyConn(t, target, func() func([]byte) [][]byte { return filter })
}

// filterProxyConn is filterProxy with a filter per connection, from newFilter.
func filterProxyConn(t *testing.T, target string, newFilter func() func(line []byte) [][]byte) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	var conns []net.Conn
	t.Cleanup(func() {
		ln.Close()
		mu.Lock()
		for _, c := range conns {
			c.Close()
		}
		mu.Unlock()
		wg.Wait()
	})
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			s, err := net.Dial("tcp", target)
			if err != nil {
				c.Close()
				continue
			}
			mu.Lock()
			conns = append(conns, c, s)
			mu.Unlock()
			filter := newFilter()
			wg.Add(2)
			go func() {
				defer wg.Done()
				_, _ = io.Copy(s, c)
				s.Close()
			}()
			go func() {
				defer wg.Done()
				defer c.Close()
				br := bufio.NewReader(s)
				for {
					line, err := br.ReadBytes('\n')
					if len(line) > 0 {
						for _, l := range filter(line) {
							if _, werr := c.Write(l); werr != nil {
								return
							}
						}
					}
					if err != nil {
						return
					}
				}
			}()
		}
	}()
	return ln.Addr().String()
}

// TestPresenceAllocs: the per-notification path (a contact's NLN matched
// and recorded, the writer's change begun and resolved) allocates nothing.
func TestPresenceAllocs(t *testing.T) {
	if testing.Short() {
		t.Skip("allocation test")
	}
	cfg := baseConfig("127.0.0.1:1")
	cfg.Concurrency, cfg.Logins, cfg.Hold, cfg.StatusEvery = 2, 2, time.Hour, time.Second
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	e.p.start = time.Now()
	e.p.rec = report.NewRecorder(1, time.Hour)
	r := e.p.roster
	a, b := e.newSession(0), e.newSession(0)
	a.acct, b.acct = 0, 1
	// Their lists, as SYN gives them: each on the other's FL and RL.
	for _, x := range []struct {
		s     *session
		other string
	}{{a, "user1@example.com"}, {b, "user0@example.com"}} {
		r.synStart(x.s.acct)
		for _, l := range []string{"FL", "AL", "RL"} {
			r.synLine(x.s.acct, parseLine(t, "LST 5 "+l+" 1 1 1 "+x.other+" "+x.other))
		}
		r.synDone(x.s.acct)
	}
	a.rst = r.enter(a.acct, a, true)
	b.rst = r.enter(b.acct, b, true)
	nln := [...]*msnp.Command{parseLine(t, "NLN BSY user0@example.com user0"),
		parseLine(t, "NLN AWY user0@example.com user0")}
	i := 0
	step := func() {
		at := e.p.now()
		st := 1 + i%2
		r.begin(a.acct, st, at, at+int64(time.Hour), true)
		b.onNLN(nln[i%2])
		b.onNLN(nln[i%2]) // a duplicate
		r.resolve(a.acct, at, true)
		i++
	}
	for range 200 {
		step()
	}
	if allocs := testing.AllocsPerRun(100, step); allocs != 0 {
		t.Fatalf("%v allocations per notification, want 0", allocs)
	}
	if got := r.expected.Load(); got != int64(i) || r.lost.Load() != 0 || r.dup.Load() != int64(i) {
		t.Fatalf("expected %d lost %d dup %d after %d changes", got, r.lost.Load(), r.dup.Load(), i)
	}
}

func parseLine(t testing.TB, line string) *msnp.Command {
	t.Helper()
	rd := msnp.NewReader(bytes.NewReader([]byte(line+"\r\n")), msnp.FromServer, 0)
	cmd, err := rd.Next()
	if err != nil {
		t.Fatal(err)
	}
	return cmd
}

// TestRosterResolve: what counts as expected and lost. A watcher that was
// offline when the CHG was written, or left (and maybe came back) before
// the change was due, is not counted; one still held that got nothing is
// lost; a change written in the warm-up counts nothing; a change not yet
// due waits unless it is complete and resolving early was asked for.
func TestRosterResolve(t *testing.T) {
	cfg := baseConfig("127.0.0.1:1")
	cfg.Concurrency, cfg.Logins, cfg.Hold, cfg.StatusEvery = 1, 1, time.Hour, time.Second
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	r := e.p.roster
	const a = 0
	r.synStart(a)
	for w := 1; w <= 4; w++ {
		r.synLine(a, parseLine(t, "LST 5 RL 1 1 1 user"+strconv.Itoa(w)+"@example.com x"))
	}
	r.synLine(a, parseLine(t, "LST 5 BL 1 1 1 user4@example.com x")) // blocked: never a watcher
	r.synDone(a)
	st := make([]uint64, 5)
	for w := 1; w <= 3; w++ {
		st[w] = r.enter(int32(w), nil, w != 3) // 3 is held but not online
	}
	st[4] = r.enter(4, nil, true)

	if n := r.begin(a, 1, 100, 200, true); n != 2 {
		t.Fatalf("%d watchers expected, want 2 (1 and 2: 3 is offline, 4 blocked)", n)
	}
	if due := r.resolve(a, 150, true); due != 200 {
		t.Fatalf("an incomplete change resolved early (due %d)", due)
	}
	if _, _, ok := r.deliver(a, 1, st[1], []byte("BSY")); !ok {
		t.Fatal("1's notification not matched")
	}
	if _, _, ok := r.deliver(a, 4, st[4], []byte("BSY")); ok {
		t.Fatal("a blocked watcher's notification matched")
	}
	if due := r.resolve(a, 200, false); due != 0 || r.expected.Load() != 2 || r.lost.Load() != 1 {
		t.Fatalf("due %d expected %d lost %d, want 0 2 1", due, r.expected.Load(), r.lost.Load())
	}

	// 2 leaves and comes back before the change is due: not counted.
	r.begin(a, 2, 300, 400, true)
	r.leave(2)
	st[2] = r.enter(2, nil, true)
	if _, _, ok := r.deliver(a, 2, st[2], []byte("AWY")); ok {
		t.Fatal("a notification for a watcher's earlier hold matched its new one")
	}
	if _, _, ok := r.deliver(a, 1, st[1], []byte("AWY")); !ok {
		t.Fatal("1's notification not matched")
	}
	if due := r.resolve(a, 350, true); due != 0 || r.expected.Load() != 3 || r.lost.Load() != 1 {
		t.Fatalf("early: due %d expected %d lost %d, want 0 3 1", due, r.expected.Load(), r.lost.Load())
	}

	// Written in the warm-up: delivered or not, nothing is counted.
	r.begin(a, 3, 500, 600, false)
	if _, measured, ok := r.deliver(a, 1, st[1], []byte("BRB")); !ok || measured {
		t.Fatalf("warm-up change: ok %v measured %v", ok, measured)
	}
	r.resolve(a, 600, false)
	if r.expected.Load() != 3 || r.lost.Load() != 1 {
		t.Fatalf("warm-up change counted: expected %d lost %d", r.expected.Load(), r.lost.Load())
	}
}

// TestPresenceChangeRefused: a server that answers a later status change
// with an error (800, changing too rapidly) or never echoes it ends the
// hold with a presence failure; the login stays a success.
func TestPresenceChangeRefused(t *testing.T) {
	for _, tc := range []struct {
		name  string
		reply func(trid []byte) []byte
		class msnp.Class
		code  int
	}{
		{"800", func(trid []byte) []byte { return append(append([]byte("800 "), trid...), "\r\n"...) },
			msnp.ClassThrottle, 800},
		{"no echo", func([]byte) []byte { return nil }, msnp.ClassTimeout, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, target := refServer(t, false, func(c *server.Config) { c.Contacts = 2 })
			proxy := filterProxyConn(t, target, func() func(line []byte) [][]byte {
				loggedIn := false // the login's CHG is echoed, the later ones are not
				return func(line []byte) [][]byte {
					if !bytes.HasPrefix(line, []byte("CHG ")) || !loggedIn {
						loggedIn = loggedIn || bytes.HasPrefix(line, []byte("CHG "))
						return [][]byte{line}
					}
					if r := tc.reply(bytes.Fields(line)[1]); r != nil {
						return [][]byte{r}
					}
					return nil
				}
			})
			cfg := baseConfig(proxy)
			cfg.TargetRole = RoleNS
			cfg.Concurrency, cfg.Logins = 3, 3
			cfg.Hold, cfg.Ping = time.Hour, 0
			cfg.Timeout = 500 * time.Millisecond
			cfg.StatusEvery = 10 * time.Millisecond
			run := runEngine(t, context.Background(), cfg)
			checkCounts(t, run)
			if run.Counts.OK != 3 || run.Counts.HoldLost != 3 || len(run.HoldErrors) != 1 {
				t.Fatalf("counts %+v hold errors %+v", run.Counts, run.HoldErrors)
			}
			he := run.HoldErrors[0]
			if he.Phase != "presence" || he.Class != tc.class.String() || he.Code != tc.code {
				t.Fatalf("hold error %+v, want presence/%s/%d", he, tc.class, tc.code)
			}
		})
	}
}

// TestPresenceRetryWhenFull: a user whose ring of changes is full because
// one notification is late wakes again within a quarter interval, not only
// when the oldest change is due (--timeout later), and at the end of its
// hold likewise.
func TestPresenceRetryWhenFull(t *testing.T) {
	cfg := baseConfig("127.0.0.1:1")
	cfg.Concurrency, cfg.Logins, cfg.Hold, cfg.StatusEvery = 2, 2, time.Hour, 100*time.Millisecond
	cfg.Timeout = time.Hour
	e, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	e.p.start = now
	r := e.p.roster
	s := e.newSession(0)
	s.acct = 0
	r.synStart(0)
	r.synLine(0, parseLine(t, "LST 5 RL 1 1 1 user1@example.com x"))
	r.synDone(0)
	s.rst = r.enter(0, s, true)
	r.enter(1, nil, true) // the watcher, who reads nothing
	for i := range maxChanges {
		r.begin(0, i+1, int64(i), int64(time.Hour)+int64(i), true)
	}
	ps := &s.hs.ps
	ps.oldestDue, ps.nextChg = int64(time.Hour), now // the next change is due, the ring is full
	for _, ended := range []bool{false, true} {
		wake, done, err := s.presenceTick(now, ended)
		if err != nil || done {
			t.Fatalf("ended %v: err %v done %v", ended, err, done)
		}
		if limit := now.Add(cfg.StatusEvery / 4); wake.IsZero() || wake.After(limit) {
			t.Errorf("ended %v: wakes at +%v, want within +%v", ended, wake.Sub(now), cfg.StatusEvery/4)
		}
	}
}
