package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msnbench/msnbench/report"
)

// TestMergeRefusesTwiceAndOtherConfig: merge run.json run.json used to
// double every count; a closed run and an open run of another
// configuration merged with a warning. Both exit 2 now, unless --force
// (issue 10 item 12).
func TestMergeRefusesTwiceAndOtherConfig(t *testing.T) {
	dir := t.TempDir()
	js := filepath.Join(dir, "run.json")
	if code, _, stderr := runCmd(t, "-c", "2", "-n", "4", "--quiet", "--steps", "none", "--timestamps", "user",
		"-o", js); code != exitOK {
		t.Fatalf("run: exit %d\n%s", code, stderr)
	}
	run := decodeRun(t, js)
	if len(run.ID) != 32 {
		t.Fatalf("run ID %q: want 128 bits in hex", run.ID)
	}
	code, stdout, stderr := rcCmd("merge", js, js)
	if code != exitUsage || stdout != "" || !strings.Contains(stderr, "run 2 is run 1 again (run ID "+run.ID+")") ||
		!strings.Contains(stderr, "--force") {
		t.Errorf("merge run.json run.json: exit %d\n%s", code, stderr)
	}
	all := filepath.Join(dir, "all.json")
	code, _, stderr = rcCmd("merge", "--force", js, js, "-o", all)
	if code != exitOK || !strings.Contains(stderr, "warning: "+report.ForcedPrefix+"run 2 is run 1 again") {
		t.Errorf("merge --force: exit %d\n%s", code, stderr)
	} else if m := decodeRun(t, all); m.Counts.OK != 2*run.Counts.OK {
		t.Errorf("merge --force: %d ok, want %d", m.Counts.OK, 2*run.Counts.OK)
	}

	open := *run
	open.ID = report.NewRunID()
	open.Config.Model, open.Config.Concurrency, open.Config.Rate = "open", 0, 50
	openPath := filepath.Join(dir, "open.json")
	f, err := os.Create(openPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := report.Encode(f, &open); err != nil {
		t.Fatal(err)
	}
	f.Close()
	code, _, stderr = rcCmd("merge", js, openPath)
	if code != exitUsage || !strings.Contains(stderr, "run 2 has a different load model (open) than run 1 (closed)") {
		t.Errorf("closed + open: exit %d\n%s", code, stderr)
	}
}
