//go:build unix

package main

import (
	"bytes"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"

	"golang.org/x/sys/unix"
)

func writeString(s string) func(io.Writer) error {
	return func(w io.Writer) error { _, err := io.WriteString(w, s); return err }
}

func noTempFiles(t *testing.T, dir string) {
	t.Helper()
	if left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp")); len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

// TestWriteOutputRegular: a regular file is replaced atomically and keeps
// its permissions; a new one is created.
func TestWriteOutputRegular(t *testing.T) {
	dir := t.TempDir()
	old := filepath.Join(dir, "old.json")
	if err := os.WriteFile(old, []byte("previous report, longer than the new one"), 0o600); err != nil {
		t.Fatal(err)
	}
	if err := writeOutput(old, nil, writeString("new")); err != nil {
		t.Fatal(err)
	}
	st, err := os.Stat(old)
	if b, _ := os.ReadFile(old); err != nil || string(b) != "new" || st.Mode().Perm() != 0o600 {
		t.Errorf("replaced file: %q, mode %v (%v); want \"new\", 0600", b, st.Mode(), err)
	}
	fresh := filepath.Join(dir, "fresh.json")
	if err := writeOutput(fresh, nil, writeString("x")); err != nil {
		t.Fatal(err)
	}
	if b, _ := os.ReadFile(fresh); string(b) != "x" {
		t.Errorf("new file holds %q", b)
	}
	noTempFiles(t, dir)
}

// TestWriteOutputSymlink: a link is followed; its target gets the report
// and the link stays a link (also when the target does not exist yet, and
// through a relative link).
func TestWriteOutputSymlink(t *testing.T) {
	dir := t.TempDir()
	sub := filepath.Join(dir, "reports")
	if err := os.Mkdir(sub, 0o755); err != nil {
		t.Fatal(err)
	}
	existing := filepath.Join(sub, "target.json")
	if err := os.WriteFile(existing, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ link, to, target string }{
		{"abs.json", existing, existing},
		{"rel.json", "reports/target.json", existing},
		{"dangling.json", filepath.Join(sub, "later.json"), filepath.Join(sub, "later.json")},
		{"chain.json", "abs.json", existing},
	} {
		link := filepath.Join(dir, tc.link)
		if err := os.Symlink(tc.to, link); err != nil {
			t.Fatal(err)
		}
		if err := writeOutput(link, nil, writeString("via "+tc.link)); err != nil {
			t.Fatalf("%s: %v", tc.link, err)
		}
		if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
			t.Errorf("%s: no longer a symbolic link (%v)", tc.link, err)
		}
		if b, _ := os.ReadFile(tc.target); string(b) != "via "+tc.link {
			t.Errorf("%s: target %s holds %q", tc.link, tc.target, b)
		}
	}
	noTempFiles(t, dir)
	noTempFiles(t, sub)
}

// TestWriteOutputFIFO: a FIFO is written through, not replaced by a
// file. The reader end is opened first without blocking, so the write
// finds a reader and nothing can hang.
func TestWriteOutputFIFO(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "report.fifo")
	if err := unix.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	r, err := os.OpenFile(fifo, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if err := writeOutput(fifo, nil, writeString("through the pipe")); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(fifo); err != nil || st.Mode()&os.ModeNamedPipe == 0 {
		t.Fatalf("the FIFO was replaced: mode %v (%v)", st.Mode(), err)
	}
	b, err := io.ReadAll(r)
	if err != nil || string(b) != "through the pipe" {
		t.Errorf("reader got %q, %v", b, err)
	}
	noTempFiles(t, dir)
}

// TestWriteOutputCharDevice: a character device (a copy of /dev/null's
// device numbers, made in a temporary directory) is written in place and
// stays a device.
func TestWriteOutputCharDevice(t *testing.T) {
	dir := t.TempDir()
	dev := filepath.Join(dir, "null")
	if err := mknod(dev, unix.S_IFCHR|0o666, unix.Mkdev(1, 3)); err != nil {
		t.Skipf("mknod (needs root): %v", err)
	}
	if f, err := os.OpenFile(dev, os.O_WRONLY, 0); err != nil {
		t.Skipf("cannot open a device node here (nodev mount?): %v", err)
	} else {
		f.Close()
	}
	if err := writeOutput(dev, nil, writeString("discarded")); err != nil {
		t.Fatal(err)
	}
	if st, err := os.Lstat(dev); err != nil || st.Mode()&os.ModeCharDevice == 0 {
		t.Fatalf("the device was replaced: mode %v (%v)", st.Mode(), err)
	}
	noTempFiles(t, dir)
}

// TestWriteReplaces: only regular files are replaced by a rename.
func TestWriteReplaces(t *testing.T) {
	for _, tc := range []struct {
		mode os.FileMode
		want bool
	}{
		{0o644, true}, {os.ModeDevice | os.ModeCharDevice | 0o666, false}, {os.ModeNamedPipe | 0o600, false},
		{os.ModeSocket | 0o600, false}, {os.ModeDevice | 0o600, false},
	} {
		if got := writeReplaces(tc.mode); got != tc.want {
			t.Errorf("writeReplaces(%v) = %t, want %t", tc.mode, got, tc.want)
		}
	}
}

// TestWriteOutputStdout: "-" and /dev/stdout are the command's standard
// output; nothing is created.
func TestWriteOutputStdout(t *testing.T) {
	dir := t.TempDir()
	t.Chdir(dir)
	for _, p := range []string{"-", "/dev/stdout"} {
		var out bytes.Buffer
		if err := writeOutput(p, &out, writeString("to stdout")); err != nil || out.String() != "to stdout" {
			t.Errorf("%s: wrote %q, %v", p, out.String(), err)
		}
	}
	if ents, _ := os.ReadDir(dir); len(ents) > 0 {
		t.Errorf("files created: %v", ents)
	}
}

// TestRunReportsToLinkAndStdout: a run's JSON report goes through a
// symbolic link, its CSV to standard output, and the text summary then to
// standard error.
func TestRunReportsToLinkAndStdout(t *testing.T) {
	dir := t.TempDir()
	target := filepath.Join(dir, "real.json")
	link := filepath.Join(dir, "run.json")
	if err := os.Symlink("real.json", link); err != nil {
		t.Fatal(err)
	}
	code, stdout, stderr := runCmd(t, "-c", "1", "-n", "3", "--quiet", "--steps", "none", "--timestamps", "user",
		"-o", link, "--csv", "-")
	if code != exitOK {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	if st, err := os.Lstat(link); err != nil || st.Mode()&os.ModeSymlink == 0 {
		t.Errorf("-o LINK replaced the link (%v)", err)
	}
	if run := decodeRun(t, target); run.Counts.OK != 3 {
		t.Errorf("the link's target holds %d ok sessions", run.Counts.OK)
	}
	if !strings.HasPrefix(stdout, "t,") && !strings.Contains(strings.SplitN(stdout, "\n", 2)[0], ",") {
		t.Errorf("stdout is not the CSV alone:\n%s", stdout)
	}
	if strings.Contains(stdout, "sessions ") || !strings.Contains(stderr, "sessions ") {
		t.Errorf("the text summary should move to stderr when a report goes to stdout;\nstdout:\n%s\nstderr:\n%s",
			stdout, stderr)
	}
	noTempFiles(t, dir)
}

// TestCompareJSONToStdout: compare --json - leaves standard output to the
// JSON; the table goes to standard error.
func TestCompareJSONToStdout(t *testing.T) {
	dir := t.TempDir()
	a := writeSynthRun(t, dir, "a", 1, 300, 2000, 900)
	b := writeSynthRun(t, dir, "b", 2, 300, 2000, 900)
	code, stdout, stderr := cli("compare", a, b, "--json", "-", "--resamples", "200")
	if code != exitOK || !json.Valid([]byte(stdout)) || stderr == "" {
		t.Errorf("compare --json -: exit %d, stdout valid JSON %t, stderr %d bytes\n%s", code,
			json.Valid([]byte(stdout)), len(stderr), stdout)
	}
}
