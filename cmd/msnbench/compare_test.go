package main

import (
	"bytes"
	"context"
	"encoding/json"
	"encoding/xml"
	"flag"
	"io"
	"math"
	"math/rand/v2"
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/compare"
	"github.com/msnbench/msnbench/server"
)

func compareCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := commands["compare"].run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

// writeSynthRun writes a run of n logins whose login and ns.usr.s phases are
// log-normal around the given medians (µs), and returns its path.
func writeSynthRun(t *testing.T, dir, name string, seed uint64, n int, loginUs, usrUs float64) string {
	t.Helper()
	r := rand.New(rand.NewPCG(seed, 9))
	start := time.Date(2026, 11, 23, 12, 0, 0, 0, time.UTC)
	run := &report.Run{
		Schema: report.SchemaVersion, Tool: "msnbench test", Label: name,
		Config: report.Config{Target: "127.0.0.1:1863", Model: "closed", Concurrency: 10, Steps: []string{},
			Dialects: "MSNP7", Timeout: report.Duration(time.Second), Interval: report.Duration(time.Second)},
		Machine: report.Machine{OS: "linux", Arch: "amd64", NumCPU: 2, GOMAXPROCS: 2, GoVersion: "go"},
		Start:   start, End: start.Add(10 * time.Second),
		Counts: report.Counts{Attempted: int64(n), OK: int64(n)},
	}
	for _, ph := range []struct {
		name   string
		median float64
	}{{"ns.usr.s", usrUs}, {"login", loginUs}} {
		h := report.NewHist()
		for i := 0; i < n; i++ {
			if err := h.RecordValue(int64(ph.median * math.Exp(0.4*r.NormFloat64()))); err != nil {
				t.Fatal(err)
			}
		}
		enc, err := report.EncodeHist(h)
		if err != nil {
			t.Fatal(err)
		}
		run.Phases = append(run.Phases, report.PhaseResult{Name: ph.name, Hist: enc, Summary: report.SummaryOf(h)})
	}
	path := filepath.Join(dir, name+".json")
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := report.Encode(f, run); err != nil {
		t.Fatal(err)
	}
	return path
}

func TestCompareFiles(t *testing.T) {
	dir := t.TempDir()
	a := writeSynthRun(t, dir, "a", 1, 3000, 2000, 900)
	same := writeSynthRun(t, dir, "same", 2, 3000, 2000, 900)
	slow := writeSynthRun(t, dir, "slow", 3, 3000, 4000, 2900)

	code, stdout, stderr := compareCmd(t, a, same)
	if code != exitOK || !strings.Contains(stdout, "no regression: no significant change in any phase") {
		t.Errorf("same distribution: exit %d\n%s%s", code, stdout, stderr)
	}
	// One run per side cannot separate a change from run-to-run variation:
	// the slowdown is shown, as indicative, and is no regression (issue 11).
	code, stdout, stderr = compareCmd(t, a, slow)
	if code != exitOK || !strings.Contains(stdout, "slower: login, ns.usr.s") || !strings.Contains(stdout, "indicative") {
		t.Errorf("slower B, one run per side: exit %d\n%s%s", code, stdout, stderr)
	}
	// --assume-independent: the old behaviour, a regression.
	code, stdout, stderr = compareCmd(t, "--assume-independent", a, slow)
	if code != exitFail || !strings.Contains(stdout, "REGRESSION: slower: login, ns.usr.s") {
		t.Errorf("slower B, --assume-independent: exit %d\n%s%s", code, stdout, stderr)
	}
	// B faster than A is no regression.
	code, stdout, _ = compareCmd(t, slow, a)
	if code != exitOK || !strings.Contains(stdout, "faster: login, ns.usr.s") {
		t.Errorf("faster B: exit %d\n%s", code, stdout)
	}
	// A threshold above the change: no regression.
	code, stdout, _ = compareCmd(t, "--assume-independent", "--threshold", "400%", a, slow)
	if code != exitOK {
		t.Errorf("--threshold 400%%: exit %d\n%s", code, stdout)
	}
}

func TestCompareFilesSidesAndOutputs(t *testing.T) {
	dir := t.TempDir()
	var as, bs []string
	for i := uint64(0); i < 3; i++ {
		as = append(as, writeSynthRun(t, dir, "a"+string(rune('1'+i)), 10+i, 2000, 2000, 900))
		bs = append(bs, writeSynthRun(t, dir, "b"+string(rune('1'+i)), 20+i, 2000, 2000, 2900))
	}
	js, html := filepath.Join(dir, "cmp.json"), filepath.Join(dir, "cmp.html")
	args := append([]string{"--json", js, "--a"}, as...)
	args = append(args, "--b")
	args = append(args, bs...)
	args = append(args, "--html", html, "--phases", "login,ns.usr.s", "--quiet")
	code, stdout, stderr := compareCmd(t, args...)
	if code != exitFail {
		t.Fatalf("exit %d, want %d (ns.usr.s slower)\n%s%s", code, exitFail, stdout, stderr)
	}
	if stdout != "" {
		t.Errorf("--quiet printed %q", stdout)
	}
	var c compare.Comparison
	b, err := os.ReadFile(js)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if c.A.Runs != 3 || c.B.Runs != 3 || len(c.Phases) != 2 {
		t.Errorf("JSON: %d+%d runs, %d phases", c.A.Runs, c.B.Runs, len(c.Phases))
	}
	for _, p := range c.Phases {
		want := compare.NoChange
		if p.Phase == "ns.usr.s" {
			want = compare.Slower
		}
		if p.Verdict != want {
			t.Errorf("%s: %q, want %q", p.Phase, p.Verdict, want)
		}
	}
	page, err := os.ReadFile(html)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(page, []byte("<svg")) || !bytes.Contains(page, []byte("REGRESSION")) {
		t.Error("HTML comparison lacks its plots or verdict")
	}
}

func TestCompareUsage(t *testing.T) {
	dir := t.TempDir()
	a := writeSynthRun(t, dir, "a", 1, 100, 2000, 900)
	bad := filepath.Join(dir, "bad.json")
	if err := os.WriteFile(bad, []byte(`{"schema": 1, "phases": [{"name": "login", "hist": "nope"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"one file", []string{a}, "give two runs"},
		{"three files", []string{a, a, a}, "give two runs"},
		{"a without b", []string{"--a", a}, "--a and --b each need"},
		{"files outside sides", []string{a, "--a", a, "--b", a}, "outside --a/--b"},
		{"bare threshold", []string{"--threshold", "5", a, a}, "bare number"},
		{"negative threshold", []string{"--threshold", "-5%", a, a}, "percentage"},
		{"unknown phase", []string{"--phases", "login,nope", a, a}, `unknown phase "nope"`},
		{"bad percentile", []string{"--percentiles", "50,100", a, a}, "not a percentile"},
		{"missing file", []string{a, filepath.Join(dir, "none.json")}, "none.json"},
		{"bad run", []string{a, bad}, "bad.json"},
		{"unknown flag", []string{"--nope", a, a}, "flag provided but not defined"},
		{"confidence", []string{"--confidence", "100%", a, a}, "confidence"},
	} {
		code, _, stderr := compareCmd(t, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%s: exit %d, stderr %q; want %d and %q", tc.name, code, stderr, exitUsage, tc.want)
		}
	}
	if code, stdout, _ := compareCmd(t, "-h"); code != exitOK || stdout != "" {
		t.Errorf("-h: exit %d", code)
	}
}

func TestSplitSides(t *testing.T) {
	fs := flag.NewFlagSet("t", flag.ContinueOnError)
	var cf compareFlags
	cf.register(fs, false)
	for _, tc := range []struct {
		args       []string
		rest, a, b []string
		sides      bool
	}{
		{[]string{"x", "y"}, []string{"x", "y"}, nil, nil, false},
		{[]string{"--a", "a1", "a2", "--b", "b1"}, nil, []string{"a1", "a2"}, []string{"b1"}, true},
		{[]string{"-a", "a1", "--threshold", "5%", "-b", "b1", "b2", "--quiet"}, []string{"--threshold", "5%", "--quiet"},
			[]string{"a1"}, []string{"b1", "b2"}, true},
		{[]string{"--a=a1", "--b=b1", "--quiet", "--html", "x.html"}, []string{"--quiet", "--html", "x.html"},
			[]string{"a1"}, []string{"b1"}, true},
		{[]string{"--b", "b1", "--a", "a1", "--", "-odd"}, nil, []string{"a1", "-odd"}, []string{"b1"}, true},
	} {
		rest, a, b, sides, err := splitSides(fs, tc.args)
		if err != nil {
			t.Errorf("%q: %v", tc.args, err)
			continue
		}
		if !reflect.DeepEqual(rest, tc.rest) || !reflect.DeepEqual(a, tc.a) || !reflect.DeepEqual(b, tc.b) || sides != tc.sides {
			t.Errorf("%q: rest %q a %q b %q sides %v", tc.args, rest, a, b, sides)
		}
	}
}

func TestParsePercent(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want float64
		ok   bool
	}{
		{"5%", 0.05, true}, {"0.05", 0.05, true}, {"0", 0, true}, {"0%", 0, true}, {"12.5%", 0.125, true},
		{"1", 1, true}, {"5", 0, false}, {"-1%", 0, false}, {"x", 0, false}, {"400%", 4, true}, {"NaN", 0, false},
	} {
		got, err := parsePercent(tc.in)
		if (err == nil) != tc.ok || (tc.ok && math.Abs(got-tc.want) > 1e-12) {
			t.Errorf("parsePercent(%q) = %v, %v", tc.in, got, err)
		}
	}
}

// TestCompareLive runs the interleaved form against two built-in servers,
// B answering every command 50 ms late: login is slower by far more than any
// scheduling noise on a busy machine, so the verdict does not hang on timing.
// (5 ms was not: at load average 35 under -race, A's rounds had login p50
// from 11 to 90 ms, and 3 + 3 rounds could not tell +45 ms from that.)
func TestCompareLive(t *testing.T) {
	start := func(delay time.Duration) string {
		srv, err := server.New(server.Config{DSAddr: "127.0.0.1:0", NSAddr: "127.0.0.1:0", Password: "pw",
			Accounts: 50, Delay: delay})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		return srv.Addr()
	}
	a, b := start(0), start(50*time.Millisecond)
	dir := t.TempDir()
	js := filepath.Join(dir, "cmp.json")
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	code := commands["compare"].run(ctx, []string{"--run", "--target", a, "--target", b, "--rounds", "3",
		"-n", "24", "-c", "4", "--password", "pw", "--steps", "none", "--phases", "login", "--percentiles", "50",
		// A busy machine may mark a round as limited by the generator; this
		// test is about the rounds and the exit code, not that warning.
		"--allow-limited",
		"--json", js, "--junit", filepath.Join(dir, "cmp.xml"), "--save-dir", filepath.Join(dir, "rounds")}, &out, &errb)
	if code != exitFail {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFail, out.String(), errb.String())
	}
	if !strings.Contains(out.String(), "REGRESSION: slower: login") {
		t.Errorf("stdout:\n%s", out.String())
	}
	// --junit in this form too: login's case fails.
	if d := readJUnit(t, filepath.Join(dir, "cmp.xml")); d.Failures != 1 || len(d.Suites[0].Cases) != 2 ||
		d.Suites[0].Cases[0].Name != "login" || d.Suites[0].Cases[0].Failure == nil {
		t.Errorf("junit %+v", d)
	}
	for _, f := range []string{"a-1.json", "b-1.json", "a-3.json", "b-3.json"} {
		if _, err := os.Stat(filepath.Join(dir, "rounds", f)); err != nil {
			t.Errorf("round file: %v", err)
		}
	}
	if got := strings.Count(errb.String(), "round "); got != 6 {
		t.Errorf("%d round lines, want 6:\n%s", got, errb.String())
	}
	// Rounds alternate A B, B A, A B.
	var order []string
	for _, line := range strings.Split(errb.String(), "\n") {
		if f := strings.Fields(line); len(f) > 2 && f[0] == "round" {
			order = append(order, f[2])
		}
	}
	if strings.Join(order, "") != "ABBAAB" {
		t.Errorf("round order %v, want ABBAAB", order)
	}

	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"--run", "--target", a}, "exactly two servers"},
		{[]string{"--run", "--target", a, "--target", b, "--rounds", "0"}, "--rounds"},
		{[]string{"--run", "--target", a, "--target", b, "-o", "x.json"}, "--save-dir"},
		{[]string{"--run", "--target", a, "--target", b, "extra"}, "unexpected arguments"},
	} {
		code, _, stderr := compareCmd(t, tc.args...)
		if code != exitUsage || !strings.Contains(stderr, tc.want) {
			t.Errorf("%q: exit %d, stderr %q", tc.args, code, stderr)
		}
	}
}

// FuzzCompareArgs: any argument list splits and parses without a panic, and
// splitSides never loses or invents an argument.
func FuzzCompareArgs(f *testing.F) {
	f.Add("--a\x00a1\x00a2\x00--b\x00b1\x00--threshold\x005%")
	f.Add("x\x00--\x00-y")
	f.Add("--a=\x00--b\x00--quiet=false\x00--html")
	f.Fuzz(func(t *testing.T, joined string) {
		args := strings.Split(joined, "\x00")
		fs := flag.NewFlagSet("f", flag.ContinueOnError)
		fs.SetOutput(io.Discard)
		var cf compareFlags
		cf.register(fs, false)
		rest, a, b, _, err := splitSides(fs, args)
		if err != nil {
			return
		}
		n := 0 // markers, which splitSides consumes
		for _, arg := range args {
			switch arg {
			case "--", "-a", "--a", "-b", "--b":
				n++
			}
		}
		if got := len(rest) + len(a) + len(b); got > len(args) || got < len(args)-n {
			t.Errorf("%q: split into %d+%d+%d arguments", args, len(rest), len(a), len(b))
		}
		_ = fs.Parse(rest)
		for _, v := range []string{joined, strings.TrimSuffix(joined, "%")} {
			if p, err := parsePercent(v); err == nil && (p < 0 || math.IsNaN(p)) {
				t.Errorf("parsePercent(%q) = %v", v, p)
			}
		}
	})
}

// TestCompareLiveSequential: --precision/--max-time run rounds until the
// verdict is clear: a warm-up round per side is dropped, every pair of
// rounds is a look, and B 5 ms slower stops it with exit 1 before the
// time limit (bounded by it in any case).
func TestCompareLiveSequential(t *testing.T) {
	start := func(delay time.Duration) string {
		srv, err := server.New(server.Config{NSAddr: "127.0.0.1:0", Password: "pw", Accounts: 50, Delay: delay})
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { srv.Close() })
		return srv.Addr()
	}
	a, b := start(0), start(50*time.Millisecond)
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Minute)
	defer cancel()
	var out, errb bytes.Buffer
	code := commands["compare"].run(ctx, []string{"--run", "--target", a, "--target", b, "--precision", "5%",
		"--max-time", "20s", "-n", "20", "-c", "2", "--password", "pw", "--steps", "none", "--allow-limited"}, &out, &errb)
	if code != exitFail {
		t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, exitFail, out.String(), errb.String())
	}
	for _, want := range []string{"sequential:", "O'Brien-Fleming", "variance \"pairs\"", "REGRESSION"} {
		if !strings.Contains(out.String(), want) {
			t.Errorf("stdout lacks %q:\n%s", want, out.String())
		}
	}
	if !strings.Contains(errb.String(), "(warm-up, dropped)") || !strings.Contains(errb.String(), "look 1 after 2 rounds per side") {
		t.Errorf("stderr:\n%s", errb.String())
	}

	// A precision out of reach: the time limit ends it, and the output says
	// how many more rounds the precision needs. (A/A; the threshold keeps
	// the 5 % chance of a false alarm from ending it first.)
	out.Reset()
	errb.Reset()
	code = commands["compare"].run(ctx, []string{"--run", "--target", a, "--target", a, "--precision", "0.01%",
		"--threshold", "1000%", "--max-time", "2s", "-n", "20", "-c", "2", "--password", "pw", "--steps", "none", "--allow-limited"}, &out, &errb)
	if code == exitUsage || !strings.Contains(out.String(), "stopped: time limit 2s reached; about ") ||
		!strings.Contains(out.String(), "more rounds per side would bring login p50 to ±0.01%") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, out.String(), errb.String())
	}
}

func TestCompareFormatMarkdown(t *testing.T) {
	dir := t.TempDir()
	a := writeSynthRun(t, dir, "a", 1, 3000, 2000, 900)
	slow := writeSynthRun(t, dir, "slow", 3, 3000, 4000, 2900)
	code, stdout, stderr := compareCmd(t, "--format", "markdown", "--assume-independent", a, slow)
	if code != exitFail || !strings.HasPrefix(stdout, "### ❌ msnbench compare: REGRESSION") || !strings.Contains(stdout, "| **login** | p50 |") {
		t.Errorf("exit %d\n%s%s", code, stdout, stderr)
	}
	if code, _, stderr := compareCmd(t, "--format", "html", a, slow); code != exitUsage || !strings.Contains(stderr, "--format") {
		t.Errorf("--format html: exit %d, %s", code, stderr)
	}
}

func TestComparePairedFlag(t *testing.T) {
	dir := t.TempDir()
	var as, bs []string
	for i := uint64(0); i < 3; i++ {
		as = append(as, writeSynthRun(t, dir, "a"+string(rune('1'+i)), 10+i, 2000, 2000, 900))
		bs = append(bs, writeSynthRun(t, dir, "b"+string(rune('1'+i)), 20+i, 2000, 2000, 900))
	}
	args := append([]string{"--paired", "--a"}, as...)
	args = append(append(args, "--b"), bs...)
	code, stdout, stderr := compareCmd(t, args...)
	if code == exitUsage || !strings.Contains(stdout, "pairs 3") {
		t.Errorf("--paired: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestCompareJUnitFile: compare a.json b.json --junit x.xml writes one test
// case per phase and one for the failure rate; a slowdown of one run per
// side is a skipped case that says "indicative" (exit 0), the same slowdown
// with --assume-independent a <failure> (exit 1); with --junit - the XML
// alone goes to standard output.
func TestCompareJUnitFile(t *testing.T) {
	dir := t.TempDir()
	a := writeSynthRun(t, dir, "a", 1, 3000, 2000, 900)
	slow := writeSynthRun(t, dir, "slow", 3, 3000, 4000, 2900)
	x := filepath.Join(dir, "x.xml")
	type doc struct {
		Failures int `xml:"failures,attr"`
		Skipped  int `xml:"skipped,attr"`
		Cases    []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Type string `xml:"type,attr"`
			} `xml:"failure"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
		} `xml:"testsuite>testcase"`
	}
	decode := func(b []byte) doc {
		t.Helper()
		var d doc
		if err := xml.Unmarshal(b, &d); err != nil {
			t.Fatalf("%v\n%s", err, b)
		}
		if len(d.Cases) != 3 || d.Cases[0].Name != "login" || d.Cases[1].Name != "ns.usr.s" || d.Cases[2].Name != "failures" {
			t.Fatalf("cases %+v, want login, ns.usr.s, failures", d.Cases)
		}
		return d
	}
	read := func() doc {
		t.Helper()
		b, err := os.ReadFile(x)
		if err != nil {
			t.Fatal(err)
		}
		return decode(b)
	}

	code, stdout, stderr := compareCmd(t, a, slow, "--junit", x)
	if code != exitOK || !strings.Contains(stdout, "indicative") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	d := read()
	if d.Failures != 0 || d.Skipped != 2 {
		t.Errorf("one run per side: %d failures, %d skipped, want 0 and 2: %+v", d.Failures, d.Skipped, d.Cases)
	}
	for _, k := range d.Cases[:2] {
		if k.Skipped == nil || !strings.HasPrefix(k.Skipped.Message, "indicative, not judged: slower") {
			t.Errorf("%s: skipped %+v, want indicative", k.Name, k.Skipped)
		}
	}
	if k := d.Cases[2]; k.Failure != nil || k.Skipped != nil {
		t.Errorf("failures case %+v, want a pass", k)
	}

	code, stdout, stderr = compareCmd(t, "--assume-independent", "--junit", x, a, slow)
	if code != exitFail {
		t.Fatalf("--assume-independent: exit %d\n%s%s", code, stdout, stderr)
	}
	d = read()
	if d.Failures != 2 || d.Skipped != 0 || d.Cases[0].Failure == nil || d.Cases[0].Failure.Type != "slower" {
		t.Errorf("--assume-independent: %d failures, %d skipped, want 2 and 0: %+v", d.Failures, d.Skipped, d.Cases)
	}

	code, stdout, stderr = compareCmd(t, "--junit", "-", a, slow)
	if code != exitOK || !strings.HasPrefix(stdout, "<?xml") || !strings.Contains(stderr, "no regression") {
		t.Fatalf("--junit -: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	decode([]byte(stdout))
}

// TestCompareLiveSequentialRoundLength: with --max-time and neither -d nor
// -n, the rounds are 1 s long (more, shorter pairs find a change sooner;
// docs/benchmarks.md), not run's 10 s, and long enough for about 200 logins
// at a low --rate; -d still sets them.
func TestCompareLiveSequentialRoundLength(t *testing.T) {
	for _, c := range []struct {
		rate float64
		want time.Duration
	}{{0, time.Second}, {200, time.Second}, {1000, time.Second}, {50, 4 * time.Second}, {3, 66700 * time.Millisecond}} {
		if got := seqRoundLength(c.rate); got != c.want {
			t.Errorf("seqRoundLength(%v) = %v, want %v", c.rate, got, c.want)
		}
	}
	srv, err := server.New(server.Config{NSAddr: "127.0.0.1:0", Password: "pw", Accounts: 200})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	a := srv.Addr()
	rounds := func(args ...string) []string {
		dir := t.TempDir()
		ctx, cancel := context.WithTimeout(context.Background(), time.Minute)
		defer cancel()
		var out, errb bytes.Buffer
		args = append([]string{"--run", "--target", a, "--target", a, "--password", "pw", "--accounts", "200",
			"--steps", "none", "--allow-limited", "--threshold", "1000%", "--max-time", "1s", "--save-dir", dir, "--quiet"}, args...)
		if code := commands["compare"].run(ctx, args, &out, &errb); code == exitUsage || code == exitInterrupted {
			t.Fatalf("%q: exit %d\n%s%s", args, code, out.String(), errb.String())
		}
		var got []string
		for _, f := range []string{"a-1.json", "b-1.json", "a-2.json", "b-2.json"} {
			run, err := loadRunFile(filepath.Join(dir, f))
			if err != nil {
				t.Fatal(err)
			}
			got = append(got, time.Duration(run.Config.Duration).String())
		}
		return got
	}
	if got := rounds("--rate", "200"); strings.Join(got, " ") != "1s 1s 1s 1s" {
		t.Errorf("--rate 200, no -d: rounds %v, want 1s", got)
	}
	if got := rounds("--rate", "200", "-d", "500ms"); strings.Join(got, " ") != "500ms 500ms 500ms 500ms" {
		t.Errorf("-d 500ms: rounds %v", got)
	}
}
