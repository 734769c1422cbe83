package main

import (
	"bytes"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/msnbench/msnbench/server"
)

// cli runs msnbench with args and returns the exit code and both outputs.
func cli(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := mainArgs(args, &out, &errb)
	return code, out.String(), errb.String()
}

// TestFlagsAfterArguments: every subcommand reads flags before and after
// its positional arguments (issue 10 item 14).
func TestFlagsAfterArguments(t *testing.T) {
	srv := newReference(t, server.Config{Accounts: 20, Password: "pw"})
	dir := t.TempDir()
	js := filepath.Join(dir, "run.json")
	code, _, stderr := cli("run", srv.Addr(), "-c", "3", "-n", "6", "--steps", "none", "--password", "pw",
		"--quiet", "--timestamps", "user", "-o", js)
	if code != exitOK {
		t.Fatalf("run ADDR -c 3: exit %d\n%s", code, stderr)
	}
	run := decodeRun(t, js)
	if run.Config.Concurrency != 3 || run.Counts.OK != 6 || run.Config.Target != srv.Addr() {
		t.Errorf("run ADDR -c 3 -n 6: concurrency %d, ok %d, target %q", run.Config.Concurrency, run.Counts.OK,
			run.Config.Target)
	}

	a := writeSynthRun(t, dir, "a", 1, 500, 2000, 900)
	b := writeSynthRun(t, dir, "b", 2, 500, 2000, 900)
	html := filepath.Join(dir, "cmp.html")
	if code, _, stderr := cli("compare", a, b, "--html", html, "--quiet"); code != exitOK {
		t.Fatalf("compare a b --html: exit %d\n%s", code, stderr)
	}
	if st, err := os.Stat(html); err != nil || st.Size() == 0 {
		t.Errorf("compare a b --html x: no HTML written (%v)", err)
	}
	// The side form and "--" keep working.
	if code, _, stderr := cli("compare", "--a", a, "--b", b, "--quiet"); code != exitOK {
		t.Errorf("compare --a a --b b: exit %d\n%s", code, stderr)
	}
	if code, _, stderr := cli("compare", "--quiet", "--", a, b); code != exitOK {
		t.Errorf("compare --quiet -- a b: exit %d\n%s", code, stderr)
	}
	merged := filepath.Join(dir, "m.json")
	if code, _, stderr := cli("report", js, "--format", "json", "-o", merged); code != exitOK {
		t.Errorf("report run.json --format json -o m.json: exit %d\n%s", code, stderr)
	}
}

// TestBootstrapSeedName: both compare forms call the bootstrap seed
// --bootstrap-seed; the file form's old --seed still works but is not
// offered in -h.
func TestBootstrapSeedName(t *testing.T) {
	dir := t.TempDir()
	a := writeSynthRun(t, dir, "a", 1, 300, 2000, 900)
	b := writeSynthRun(t, dir, "b", 2, 300, 2000, 900)
	code, out1, stderr := cli("compare", a, b, "--bootstrap-seed", "7", "--resamples", "200")
	if code != exitOK {
		t.Fatalf("--bootstrap-seed: exit %d\n%s", code, stderr)
	}
	code, out2, stderr := cli("compare", a, b, "--seed", "7", "--resamples", "200")
	if code != exitOK || out1 != out2 {
		t.Errorf("--seed 7 (old name): exit %d, same output %t\n%s", code, out1 == out2, stderr)
	}
	_, _, help := cli("compare", "-h")
	if !strings.Contains(help, "-bootstrap-seed") || strings.Contains(help, "\n  -seed") {
		t.Errorf("compare -h should offer --bootstrap-seed and not --seed:\n%s", help)
	}
	_, _, help = cli("compare", "--run", "-h")
	if !strings.Contains(help, "-bootstrap-seed") {
		t.Errorf("compare --run -h lacks --bootstrap-seed")
	}
}

// TestBadFlagErrorLast: a mistyped flag prints the error as the last line,
// under a pointer to -h, not above a page of usage.
func TestBadFlagErrorLast(t *testing.T) {
	for _, tc := range []struct {
		args []string
		name string
	}{
		{[]string{"run", "-x"}, "run"},
		{[]string{"run", "127.0.0.1:1863", "-x"}, "run"},
		{[]string{"serve", "-x"}, "serve"},
		{[]string{"report", "r.json", "-x"}, "report"},
		{[]string{"merge", "-x", "a.json"}, "merge"},
		{[]string{"compare", "a.json", "b.json", "-x"}, "compare"},
		{[]string{"compare", "--run", "-x"}, "compare --run"},
		{[]string{"run", "-c", "many"}, "run"},
	} {
		code, stdout, stderr := cli(tc.args...)
		lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
		want := "Run 'msnbench " + tc.name + " -h' for usage."
		if code != exitUsage || stdout != "" || len(lines) != 2 || lines[1] != want ||
			!strings.HasPrefix(lines[0], "msnbench "+tc.name+": ") {
			t.Errorf("%q: exit %d, stderr:\n%s\nwant 2 lines: the error, then %q", tc.args, code, stderr, want)
		}
	}
	// -h still prints the whole usage.
	if code, _, stderr := cli("run", "-h"); code != exitOK || !strings.Contains(stderr, "Examples:") {
		t.Errorf("run -h: exit %d, no examples", code)
	}
}

// TestVersionFlag: msnbench --version (and -v) print the version.
func TestVersionFlag(t *testing.T) {
	for _, a := range []string{"--version", "-version", "-v", "version"} {
		code, stdout, stderr := cli(a)
		if code != exitOK || stdout != "msnbench "+version+"\n" {
			t.Errorf("msnbench %s: exit %d, stdout %q, stderr %q", a, code, stdout, stderr)
		}
	}
}

// TestExplicitZeroRefused: flags whose 0 used to silently become the
// default refuse an explicit 0 with a message naming the flag.
func TestExplicitZeroRefused(t *testing.T) {
	for _, tc := range [][]string{
		{"-c", "0"}, {"-d", "0s"}, {"--timeout", "0"}, {"-n", "0"}, {"--rate", "0"}, {"--interval", "0s"},
		{"--max-inflight", "0", "--rate", "5"}, {"--accounts", "0"},
	} {
		code, _, stderr := runCmd(t, append([]string{"--quiet"}, tc...)...)
		if code != exitUsage || !strings.Contains(stderr, tc[0]+" 0: want ") {
			t.Errorf("%q: exit %d, stderr %q; want %d and %q", tc, code, stderr, exitUsage, tc[0]+" 0: want")
		}
	}
}

// TestStepsBoth: --steps both, offered in -h, is syn,chg.
func TestStepsBoth(t *testing.T) {
	js := filepath.Join(t.TempDir(), "run.json")
	code, _, stderr := runCmd(t, "-c", "1", "-n", "2", "--quiet", "--timestamps", "user", "--steps", "both", "-o", js)
	if code != exitOK {
		t.Fatalf("--steps both: exit %d\n%s", code, stderr)
	}
	if got := decodeRun(t, js).Config.Steps; !slices.Equal(got, []string{"syn", "chg"}) {
		t.Errorf("--steps both: steps %q, want [syn chg]", got)
	}
}
