package report

// Which runs may be merged: the parts of one sharded run, or independent
// generators of one test, and never the same part twice.

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"time"
)

// configDiff names the first setting of the test in which a and b differ,
// with both values, or "": the parts of one run record the same settings
// (-c, --rate and -n are the whole run's, each shard takes its share).
func configDiff(a, b *Config) (what string, x, y any) {
	for _, d := range []struct {
		what string
		x, y any
	}{
		{"target", a.Target, b.Target},
		{"load model", a.Model, b.Model},
		{"concurrency (-c)", a.Concurrency, b.Concurrency},
		{"rate", a.Rate, b.Rate},
		{"arrival", a.Arrival, b.Arrival},
		{"stages", a.Stages, b.Stages},
		{"login count (-n)", a.Logins, b.Logins},
		{"duration (-d)", a.Duration, b.Duration},
		{"warm-up", a.Warmup, b.Warmup},
		{"steps", strings.Join(a.Steps, ","), strings.Join(b.Steps, ",")},
		{"status", a.Status, b.Status},
		{"hold", a.Hold, b.Hold},
		{"ping", a.Ping, b.Ping},
		{"status every", a.StatusEvery, b.StatusEvery},
		{"chat every", a.ChatEvery, b.ChatEvery},
		{"dialects", a.Dialects, b.Dialects},
		{"accounts", a.Accounts, b.Accounts},
		{"user pattern", a.UserPattern, b.UserPattern},
		{"users file", a.UsersFile, b.UsersFile},
		{"timeout", a.Timeout, b.Timeout},
	} {
		if d.x != d.y {
			return d.what, d.x, d.y
		}
	}
	return "", nil, nil
}

// machineDiff names the first setting that belongs to a generator's
// machine in which a and b differ, or "": parts of one run may differ in
// these, and the report says so.
func machineDiff(a, b *Config) string {
	switch {
	case a.MaxInflight != b.MaxInflight:
		return "--max-inflight"
	case a.Source != b.Source:
		return "source address range"
	case a.IO != b.IO:
		return "I/O engine"
	case a.Timestamps != b.Timestamps:
		return "kind of timestamps"
	}
	return ""
}

// shardParts returns the shard indexes r holds, or nil if r is unsharded.
func shardParts(r *Run) []int {
	if len(r.Shard.Parts) > 0 {
		return r.Shard.Parts
	}
	if r.Shard.Count > 1 {
		return []int{r.Shard.Index}
	}
	return nil
}

// runIDs returns the IDs of the runs r is made of: its parts' for a merged
// run, else its own, else (a run saved before IDs existed) one derived
// from what tells two runs apart.
func runIDs(r *Run) []string {
	switch {
	case len(r.PartIDs) > 0:
		return r.PartIDs
	case r.ID != "":
		return []string{r.ID}
	}
	key, _ := json.Marshal(struct {
		Start, End time.Time
		Config     Config
		Shard      Shard
		Counts     Counts
	}{r.Start, r.End, r.Config, Shard{Index: r.Shard.Index, Count: r.Shard.Count, Group: r.Shard.Group}, r.Counts})
	sum := sha256.Sum256(key)
	return []string{"legacy-" + hex.EncodeToString(sum[:16])}
}

// checkMergeable returns the sorted shard indexes of the merged run (nil for
// unsharded runs) or why the runs cannot be merged. With force, the reasons
// that wrap ErrNotOneRun are returned as warnings instead.
func checkMergeable(runs []*Run, force bool) (parts []int, forced []string, err error) {
	a := runs[0]
	if a.Interval() <= 0 {
		return nil, nil, fmt.Errorf("merge: run 1 has no interval length")
	}
	// notOne refuses, or with force records, a reason these runs are not
	// the parts of one run.
	notOne := func(format string, args ...any) error {
		msg := fmt.Sprintf(format, args...)
		if force {
			forced = append(forced, msg)
			return nil
		}
		return fmt.Errorf("merge: %s; %w", msg, ErrNotOneRun)
	}
	sharded := shardParts(a) != nil
	seen := map[int]int{}
	for i, r := range runs {
		n := i + 1
		differ := func(what string, x, y any) error {
			return notOne("run %d has a different %s (%v) than run 1 (%v)", n, what, y, x)
		}
		switch {
		case r.Schema != a.Schema:
			return nil, nil, fmt.Errorf("merge: run %d has a different schema (%v) than run 1 (%v)", n, r.Schema, a.Schema)
		case r.Config.Interval != a.Config.Interval:
			return nil, nil, fmt.Errorf("merge: run %d has a different interval (%v) than run 1 (%v): their "+
				"intervals cannot be added up", n, r.Config.Interval, a.Config.Interval)
		}
		if what, x, y := configDiff(&a.Config, &r.Config); what != "" {
			if err := differ(what, x, y); err != nil {
				return nil, nil, err
			}
		}
		if r.Shard.Group != a.Shard.Group {
			if err := differ("shard group", a.Shard.Group, r.Shard.Group); err != nil {
				return nil, nil, err
			}
		}
		p := shardParts(r)
		if (p != nil) != sharded {
			err := notOne("run %d is %s but run 1 is not", n, map[bool]string{true: "a shard", false: "unsharded"}[p != nil])
			if err != nil {
				return nil, nil, err
			}
			continue
		}
		if !sharded {
			continue
		}
		if r.Shard.Count != a.Shard.Count {
			if err := differ("shard count", a.Shard.Count, r.Shard.Count); err != nil {
				return nil, nil, err
			}
		}
		for _, x := range p {
			if x < 0 || x >= r.Shard.Count {
				return nil, nil, fmt.Errorf("merge: run %d holds shard %d, outside 0..%d", n, x, r.Shard.Count-1)
			}
			if m, dup := seen[x]; dup {
				if err := notOne("shard %d is in both run %d and run %d", x, m, n); err != nil {
					return nil, nil, err
				}
				continue
			}
			seen[x] = n
			parts = append(parts, x)
		}
	}
	ids := map[string]int{} // run ID -> the run holding it
	for i, r := range runs {
		n := i + 1
		for _, id := range runIDs(r) {
			m, dup := ids[id]
			if !dup {
				ids[id] = n
				continue
			}
			how := "run " + strconv.Itoa(n) + " is run " + strconv.Itoa(m) + " again"
			if len(runIDs(r)) > 1 || len(runIDs(runs[m-1])) > 1 {
				how = "run " + strconv.Itoa(n) + " and run " + strconv.Itoa(m) + " hold the same part"
			}
			if strings.HasPrefix(id, "legacy-") {
				how += " (same start, end, configuration, shard and counts)"
			} else {
				how += " (run ID " + id + ")"
			}
			if err := notOne("%s: its sessions would be counted twice", how); err != nil {
				return nil, nil, err
			}
			break
		}
	}
	sort.Ints(parts)
	return parts, forced, nil
}
