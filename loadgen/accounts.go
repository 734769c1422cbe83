package loadgen

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
)

// accounts is the table of login identities, formatted once at start so a
// login never formats a handle, and the lease that keeps one account from
// being used by two sessions at once.
type accounts struct {
	handles   [][]byte // views into one backing array
	passwords [][]byte // nil entry: the shared password
	shared    []byte

	// free holds the indices of accounts not in use. A FIFO spreads reuse
	// over the whole table, so an account just logged out is the last one
	// to be reused (some servers still tear the old session down).
	free chan int32
	// next is used instead of free when accounts may be shared.
	next atomic.Uint64
}

// newAccounts builds the table for cfg's shard. The shard takes a disjoint
// range of the accounts so that generators of one sharded run never log in
// the same account.
func newAccounts(cfg *Config) (*accounts, error) {
	a := &accounts{shared: []byte(cfg.Password)}
	total := cfg.accountCount()
	lo, hi := shardRange(total, cfg.ShardIndex, cfg.ShardCount)
	n := hi - lo
	if n <= 0 {
		return nil, fmt.Errorf("shard %d/%d gets no accounts out of %d", cfg.ShardIndex, cfg.ShardCount, total)
	}
	var backing []byte
	ends := make([]int, 0, n)
	if len(cfg.Users) > 0 {
		a.passwords = make([][]byte, n)
		for i, u := range cfg.Users[lo:hi] {
			backing = append(backing, u.Handle...)
			ends = append(ends, len(backing))
			if u.Password != "" {
				a.passwords[i] = []byte(u.Password)
			}
		}
	} else {
		for i := lo; i < hi; i++ {
			backing = fmt.Appendf(backing, cfg.UserPattern, cfg.AccountStart+i)
			ends = append(ends, len(backing))
		}
	}
	a.handles = make([][]byte, n)
	start := 0
	for i, e := range ends {
		a.handles[i] = backing[start:e:e]
		if len(a.handles[i]) == 0 || len(a.handles[i]) > 129 {
			return nil, fmt.Errorf("account %d: handle must be 1..129 bytes (MSNP.md §1.2)", lo+i+1)
		}
		start = e
	}
	if !cfg.AllowSharedAccounts {
		a.free = make(chan int32, n)
		for i := range n {
			a.free <- int32(i)
		}
	}
	return a, nil
}

func (a *accounts) len() int { return len(a.handles) }

// acquire returns an account index not in use by any other session. It
// never blocks in practice: the engine refuses to start with fewer accounts
// than sessions in flight. ok is false only if none is free.
func (a *accounts) acquire() (int32, bool) {
	if a.free == nil {
		return int32(a.next.Add(1) % uint64(len(a.handles))), true
	}
	select {
	case i := <-a.free:
		return i, true
	default:
		return 0, false
	}
}

func (a *accounts) release(i int32) {
	if a.free != nil {
		a.free <- i
	}
}

func (a *accounts) password(i int32) []byte {
	if a.passwords != nil && a.passwords[i] != nil {
		return a.passwords[i]
	}
	return a.shared
}

// shardRange splits n items into count near-equal contiguous parts and
// returns part index's [lo, hi).
func shardRange(n, index, count int) (int, int) {
	if count <= 1 {
		return 0, n
	}
	return n * index / count, n * (index + 1) / count
}

// ReadUsers reads a users file: one "email,password" (or just "email") per
// line; blank lines and lines starting with # are skipped. Errors name the
// line but never echo a password.
func ReadUsers(r io.Reader) ([]Account, error) {
	var out []Account
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 4096), 64<<10)
	line := 0
	for sc.Scan() {
		line++
		s := strings.TrimSpace(sc.Text())
		if s == "" || s[0] == '#' {
			continue
		}
		h, p, _ := strings.Cut(s, ",")
		h = strings.TrimSpace(h)
		p = strings.TrimSpace(p)
		if h == "" || strings.ContainsAny(h, " \t") || len(h) > 129 {
			return nil, fmt.Errorf("line %d: bad account handle", line)
		}
		out = append(out, Account{Handle: h, Password: p})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	if len(out) == 0 {
		return nil, errors.New("no accounts in users file")
	}
	return out, nil
}

// ReadUsersFile is ReadUsers on a named file.
func ReadUsersFile(name string) ([]Account, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	u, err := ReadUsers(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	return u, nil
}
