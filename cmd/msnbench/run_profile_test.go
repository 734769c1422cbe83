package main

import (
	"os"
	"path/filepath"
	"testing"
)

func TestRunProfiles(t *testing.T) {
	dir := t.TempDir()
	cpu, mem := filepath.Join(dir, "cpu.prof"), filepath.Join(dir, "mem.prof")
	code, _, stderr := runCmd(t, "-c", "2", "-n", "20", "--quiet", "--steps", "none",
		"--cpuprofile", cpu, "--memprofile", mem)
	if code != exitOK {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, p := range []string{cpu, mem} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		// Both are gzip-compressed protocol buffers (go tool pprof).
		if len(b) < 2 || b[0] != 0x1f || b[1] != 0x8b {
			t.Errorf("%s: not a gzip'd profile (%d bytes)", filepath.Base(p), len(b))
		}
	}
	// A path that cannot be created is a setup error before the run.
	code, _, _ = runCmd(t, "-c", "1", "-n", "1", "--quiet", "--cpuprofile", filepath.Join(dir, "no", "cpu.prof"))
	if code != exitUsage {
		t.Errorf("bad --cpuprofile path: exit %d, want %d", code, exitUsage)
	}
}
