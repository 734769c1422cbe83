package main

import (
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"testing"
	"time"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/server"
)

// TestShardedRunMerges: three generator processes, each running its shard of
// one test (--shard i/3) against one server, merged with `msnbench merge`,
// give what one unsharded run of the same test gives: the same counts, every
// phase with the same number of values, and the merged histograms exactly the
// sum of the parts' (DESIGN.md §7).
func TestShardedRunMerges(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs four load tests")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "msnbench")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	srv, err := server.New(server.Config{DSAddr: "127.0.0.1:0", Accounts: 300, Password: "password", Contacts: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()

	const logins = 300
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	run := func(out string, extra ...string) *exec.Cmd {
		args := append([]string{"run", "--target", srv.Addr(), "-c", "6", "-n", strconv.Itoa(logins),
			"--accounts", "300", "--timeout", "20s", "--quiet", "-o", out}, extra...)
		cmd := exec.CommandContext(ctx, bin, args...)
		cmd.Env = append(os.Environ(), "MSNBENCH_PASSWORD=password")
		var stderr bytes.Buffer
		cmd.Stderr = &stderr
		cmd.Stdout = &stderr
		t.Cleanup(func() {
			if t.Failed() {
				t.Logf("%v:\n%s", args, stderr.String())
			}
		})
		return cmd
	}
	var parts []string
	var cmds []*exec.Cmd
	for i := 0; i < 3; i++ {
		p := filepath.Join(dir, "part-"+strconv.Itoa(i)+".json")
		parts = append(parts, p)
		c := run(p, "--shard", strconv.Itoa(i)+"/3", "--shard-group", "t")
		if err := c.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, c)
	}
	for i, c := range cmds {
		if err := c.Wait(); err != nil {
			t.Fatalf("shard %d: %v", i, err)
		}
	}
	all := filepath.Join(dir, "all.json")
	var stdout, stderr bytes.Buffer
	if code := mainArgs(append([]string{"merge", "-o", all}, parts...), &stdout, &stderr); code != exitOK {
		t.Fatalf("merge: exit %d: %s", code, stderr.String())
	}
	whole := filepath.Join(dir, "whole.json")
	if err := run(whole).Run(); err != nil {
		t.Fatalf("unsharded run: %v", err)
	}

	merged, single := decodeRunFile(t, all), decodeRunFile(t, whole)
	var partRuns []*report.Run
	for _, p := range parts {
		partRuns = append(partRuns, decodeRunFile(t, p))
	}
	if merged.Counts != single.Counts || merged.Counts.Attempted != logins || merged.Counts.OK != logins {
		t.Errorf("counts: merged %+v, unsharded %+v, want %d ok", merged.Counts, single.Counts, logins)
	}
	if len(merged.Errors) != 0 || len(single.Errors) != 0 {
		t.Errorf("errors: merged %v, unsharded %v", merged.Errors, single.Errors)
	}
	if got := merged.Shard.Parts; len(got) != 3 || got[0] != 0 || got[1] != 1 || got[2] != 2 {
		t.Errorf("merged shard parts %v", got)
	}
	if len(merged.Phases) != len(single.Phases) {
		t.Fatalf("phases: merged %d, unsharded %d", len(merged.Phases), len(single.Phases))
	}
	for i, mp := range merged.Phases {
		sp := single.Phases[i]
		if mp.Name != sp.Name || mp.Summary.Count != sp.Summary.Count {
			t.Errorf("phase %s: merged %d values, unsharded %s %d", mp.Name, mp.Summary.Count, sp.Name, sp.Summary.Count)
		}
		h, err := report.DecodeHist(mp.Hist)
		if err != nil {
			t.Fatal(err)
		}
		var n, maxv int64
		for _, pr := range partRuns {
			pp := pr.Phase(mp.Name)
			if pp == nil {
				t.Fatalf("phase %s missing in a part", mp.Name)
			}
			ph, err := report.DecodeHist(pp.Hist)
			if err != nil {
				t.Fatal(err)
			}
			n += ph.TotalCount()
			maxv = max(maxv, ph.Max())
		}
		if h.TotalCount() != n || h.Max() != maxv {
			t.Errorf("phase %s: merged histogram has %d values (max %d), the parts %d (max %d)",
				mp.Name, h.TotalCount(), h.Max(), n, maxv)
		}
	}
}

func decodeRunFile(t *testing.T, path string) *report.Run {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := report.Decode(f)
	if err != nil {
		t.Fatalf("%s: %v", path, err)
	}
	return r
}
