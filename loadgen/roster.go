package loadgen

import (
	"sync"
	"sync/atomic"

	"github.com/msnbench/msnbench/msnp"
)

// The roster is what the sessions of this process know of each other while
// they are held: which account is held by which session, whether it is
// online (its own initial CHG acknowledged), and its contact lists as its
// SYN told them. Presence (--status-every) uses it to know which of a
// user's contacts must see its status change, and to match the NLN a
// contact receives to the CHG that caused it; the switchboard chat uses it
// to pick an online partner and to hand an RNG to the held session it is
// for.
//
// Lock discipline:
//   - Each slot's mu guards every field of the slot except state.
//   - A goroutine holds at most one slot's mu at a time, and never across
//     I/O or a Recorder call: no lock order exists, so none can deadlock.
//   - state (the hold generation and online bit) is written under mu, by
//     the session that holds the account (enter, leave), and read without
//     a lock by anyone: a status change snapshots its watchers' states with
//     it, and resolving the change compares them again.
//   - Only the session that holds the account (an account is never held
//     twice at once: --allow-shared-accounts is refused with a roster)
//     writes its lists and its changes; other sessions read the lists and
//     mark deliveries, under mu.
//
// Nothing on the per-notification path allocates: the handle lookup is a
// map access with a []byte key converted in place, and a change's
// expectations live in slices the slot reuses.
type roster struct {
	byHandle map[string]int32 // account index by handle (this shard's accounts)
	slots    []rosterSlot
	cycle    [][]byte // the statuses a held session cycles through, NLN first

	// counts of measured (post-warm-up) status changes, for Run.Deliveries
	expected, lost, dup atomic.Int64
	delivered           atomic.Int64 // measured notifications timed, for Live
}

// rosterSlot is one account's entry.
type rosterSlot struct {
	// state is gen<<1 | online, gen counting the account's holds (bumped
	// when one starts and when it ends), so a watcher that left and came
	// back is told apart from one that stayed.
	state atomic.Uint64

	mu sync.Mutex
	s  *session // the session holding the account; nil when not held
	// Lists from the account's last SYN, as account indices of this
	// process (handles of others are not kept).
	fl, rl, al, bl []int32
	blpBL          bool    // BLP BL: only AL may see this user
	watchers       []int32 // who must see this user's status changes: RL, not BL, AL if blpBL
	synced         bool    // the lists come from a complete SYN
	// changes in flight, oldest first in ring order (see change)
	ring  [maxChanges]change
	first int // index of the oldest
	n     int // changes in flight
}

// maxChanges is how many status changes of one user can wait for their
// notifications at once. It is below the length of the status cycle, so the
// changes in flight all have different statuses and an NLN's status tells
// which one it is for.
const maxChanges = 4

// change is one status change written by the holder of a slot.
type change struct {
	status   int   // index into roster.cycle
	at       int64 // CHG written (ns since run start)
	due      int64 // its notifications are lost if not in by then
	measured bool  // written after the warm-up: counted and recorded
	exp      []expect
}

// expect is one watcher that must see a change: its account and the state
// it was in (held, online) when the CHG was written.
type expect struct {
	acct  int32
	state uint64
	got   bool
}

// statusCycle is the order a held session's statuses take (MSNP.md §4.3,
// the same for MSNP2–7): never HDN, which contacts see as FLN, not NLN.
var statusCycle = [...]string{"NLN", "BSY", "AWY", "BRB", "PHN", "LUN", "IDL"}

func newRoster(a *accounts) *roster {
	r := &roster{byHandle: make(map[string]int32, a.len()), slots: make([]rosterSlot, a.len())}
	for i, h := range a.handles {
		r.byHandle[string(h)] = int32(i)
	}
	for _, st := range statusCycle {
		r.cycle = append(r.cycle, []byte(st))
	}
	return r
}

// statusIndex is the cycle position of status, or -1 (HDN: the next change
// is the first in the cycle after NLN).
func (r *roster) statusIndex(status []byte) int {
	for i, st := range r.cycle {
		if string(st) == string(status) {
			return i
		}
	}
	return -1
}

// lookup returns the account index of handle, if it is one of this
// process's accounts.
func (r *roster) lookup(handle []byte) (int32, bool) {
	i, ok := r.byHandle[string(handle)]
	return i, ok
}

// enter registers s as holding acct (online if its initial CHG was
// acknowledged) and returns the state its expectations are keyed by.
func (r *roster) enter(acct int32, s *session, online bool) uint64 {
	sl := &r.slots[acct]
	sl.mu.Lock()
	sl.s = s
	st := (sl.state.Load()>>1 + 1) << 1
	if online {
		st |= 1
	}
	sl.state.Store(st)
	sl.first, sl.n = 0, 0
	sl.mu.Unlock()
	return st
}

// leave ends acct's hold. Its changes still in flight are given up: the
// notifications that did arrive count as delivered, the others as nothing
// (the user left before their time was up, so they were not lost).
func (r *roster) leave(acct int32) {
	sl := &r.slots[acct]
	sl.mu.Lock()
	sl.s = nil
	sl.state.Store((sl.state.Load()>>1 + 1) << 1)
	for ; sl.n > 0; sl.n-- {
		c := &sl.ring[sl.first]
		if c.measured {
			var got int64
			for _, x := range c.exp {
				if x.got {
					got++
				}
			}
			r.expected.Add(got)
		}
		sl.first = (sl.first + 1) % maxChanges
	}
	sl.mu.Unlock()
}

// online reports whether acct is held by a session of this process that
// is online.
func (r *roster) online(acct int32) bool { return r.slots[acct].state.Load()&1 != 0 }

// contacts appends acct's forward list (the contacts it sees) to dst, as
// its last SYN gave it.
func (r *roster) contacts(acct int32, dst []int32) []int32 {
	sl := &r.slots[acct]
	sl.mu.Lock()
	dst = append(dst, sl.fl...)
	sl.mu.Unlock()
	return dst
}

// synStart forgets acct's lists: a SYN is about to send them again.
func (r *roster) synStart(acct int32) {
	sl := &r.slots[acct]
	sl.mu.Lock()
	sl.fl, sl.rl, sl.al, sl.bl = sl.fl[:0], sl.rl[:0], sl.al[:0], sl.bl[:0]
	sl.watchers = sl.watchers[:0]
	sl.blpBL, sl.synced = false, false
	sl.mu.Unlock()
}

// synLine takes one line of acct's SYN answer: LST entries of this
// process's accounts and BLP (MSNP.md §4.1, MSNP2–7 forms). Index and
// count are not needed, so their swapped order on some servers does not
// matter.
func (r *roster) synLine(acct int32, cmd *msnp.Command) {
	switch {
	case cmd.Is("BLP"):
		sl := &r.slots[acct]
		sl.mu.Lock()
		sl.blpBL = bytesEq(cmd.Arg(1), "BL") || (cmd.NArgs == 1 && bytesEq(cmd.Arg(0), "BL"))
		sl.mu.Unlock()
	case cmd.Is("LST") && cmd.NArgs >= 5:
		who, ok := r.lookup(cmd.Arg(4))
		if !ok {
			return
		}
		sl := &r.slots[acct]
		sl.mu.Lock()
		switch string(cmd.Arg(0)) {
		case "FL":
			sl.fl = append(sl.fl, who)
		case "RL":
			sl.rl = append(sl.rl, who)
		case "AL":
			sl.al = append(sl.al, who)
		case "BL":
			sl.bl = append(sl.bl, who)
		}
		sl.mu.Unlock()
	}
}

// synDone works out who must see acct's status changes: the reverse list
// (who has acct on their forward list), less the block list, and only the
// allow list when BLP is BL.
func (r *roster) synDone(acct int32) {
	sl := &r.slots[acct]
	sl.mu.Lock()
	for _, w := range sl.rl {
		if w == acct || has(sl.bl, w) || (sl.blpBL && !has(sl.al, w)) || has(sl.watchers, w) {
			continue
		}
		sl.watchers = append(sl.watchers, w)
	}
	sl.synced = true
	sl.mu.Unlock()
}

func has(l []int32, x int32) bool {
	for _, y := range l {
		if y == x {
			return true
		}
	}
	return false
}

// full reports whether acct has maxChanges changes in flight; then the
// next may not be written before the oldest is resolved.
func (r *roster) full(acct int32) bool {
	sl := &r.slots[acct]
	sl.mu.Lock()
	f := sl.n == maxChanges
	sl.mu.Unlock()
	return f
}

// begin records a status change of acct to cycle[status], to be written
// at at (ns since run start; before the write, so no notification can
// arrive before it is known), whose notifications are due by due. Its
// watchers are the ones held and online now. It returns how many there
// are; the ring must not be full.
func (r *roster) begin(acct int32, status int, at, due int64, measured bool) int {
	sl := &r.slots[acct]
	sl.mu.Lock()
	c := &sl.ring[(sl.first+sl.n)%maxChanges]
	sl.n++
	c.status, c.at, c.due, c.measured = status, at, due, measured
	c.exp = c.exp[:0]
	for _, w := range sl.watchers {
		if st := r.slots[w].state.Load(); st&1 != 0 {
			c.exp = append(c.exp, expect{acct: w, state: st})
		}
	}
	n := len(c.exp)
	sl.mu.Unlock()
	return n
}

// resolve ends acct's changes due by now, oldest first: every watcher
// that was expected and is still in the hold it was in then, but did not
// get the notification, is lost. With early it also ends changes not yet
// due that are complete (nothing is missing but from watchers that left).
// It returns the due time of the oldest change still in flight, or 0 when
// none is.
func (r *roster) resolve(acct int32, now int64, early bool) int64 {
	sl := &r.slots[acct]
	sl.mu.Lock()
	defer sl.mu.Unlock()
	for sl.n > 0 {
		c := &sl.ring[sl.first]
		var exp, lost int64
		for _, x := range c.exp {
			switch {
			case x.got:
				exp++
			case r.slots[x.acct].state.Load() == x.state:
				exp++
				lost++
			}
		}
		if c.due > now && (!early || lost > 0) {
			return c.due
		}
		if c.measured {
			r.expected.Add(exp)
			r.lost.Add(lost)
		}
		sl.first = (sl.first + 1) % maxChanges
		sl.n--
	}
	return 0
}

// deliver matches an NLN about from with the given status, received by the
// session holding to (in hold state st), to from's change in flight. It
// returns when the change's CHG was written and whether it is to be
// recorded; ok is false for a notification nobody waited for (not one of
// our changes, a watcher not expected, a duplicate).
func (r *roster) deliver(from, to int32, st uint64, status []byte) (at int64, measured, ok bool) {
	sl := &r.slots[from]
	sl.mu.Lock()
	defer sl.mu.Unlock()
	for i := range sl.n {
		c := &sl.ring[(sl.first+i)%maxChanges]
		if string(r.cycle[c.status]) != string(status) {
			continue
		}
		for j := range c.exp {
			x := &c.exp[j]
			if x.acct != to || x.state != st {
				continue
			}
			if x.got {
				if c.measured {
					r.dup.Add(1)
				}
				return 0, false, false
			}
			x.got = true
			return c.at, c.measured, true
		}
		return 0, false, false
	}
	return 0, false, false
}
