package main

import (
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
)

// A disk too full for the reports stops the run before it starts, and no
// temporary file is left behind.
func TestRunRefusesFullDisk(t *testing.T) {
	dir := t.TempDir()
	old := freeSpace
	defer func() { freeSpace = old }()
	freeSpace = func(string) (uint64, bool) { return 3 << 20, true }
	out := filepath.Join(dir, "run.json")
	code, _, stderr := runCmd(t, "--quiet", "-n", "1", "-o", out)
	if code != exitUsage || !strings.Contains(stderr, "free for "+out) {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
	if left, _ := os.ReadDir(dir); len(left) != 0 {
		t.Errorf("files left behind: %v", left)
	}
	// With room for the report the same command runs.
	freeSpace = func(string) (uint64, bool) { return 1 << 30, true }
	if code, _, stderr := runCmd(t, "--quiet", "-n", "1", "-o", out); code != exitOK {
		t.Fatalf("with free space: exit %d, %s", code, stderr)
	}
	if free, ok := diskFree(dir); runtime.GOOS == "linux" && (!ok || free == 0) {
		t.Errorf("diskFree(%s) = %d, %v", dir, free, ok)
	}
}
