package main

import (
	"bufio"
	"context"
	"encoding/json"
	"encoding/xml"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msnbench/msnbench/report"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// junitDoc is the part of a JUnit file the CI-output tests look at.
type junitDoc struct {
	XMLName  xml.Name
	Failures int `xml:"failures,attr"`
	Suites   []struct {
		Cases []struct {
			Name    string `xml:"name,attr"`
			Failure *struct {
				Message string `xml:"message,attr"`
			} `xml:"failure"`
		} `xml:"testcase"`
	} `xml:"testsuite"`
}

func readJUnit(t *testing.T, path string) junitDoc {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	var d junitDoc
	if err := xml.Unmarshal(b, &d); err != nil {
		t.Fatalf("%s: %v\n%s", path, err, b)
	}
	if d.XMLName.Local != "testsuites" || len(d.Suites) != 1 {
		t.Fatalf("%s: want testsuites with one testsuite:\n%s", path, b)
	}
	return d
}

func TestReportMarkdownAndJUnit(t *testing.T) {
	dir := t.TempDir()
	run := rcRun(t, dir, "run.json", 0, 0)
	junit := filepath.Join(dir, "slo.xml")
	code, out, errs := rcCmd("report", run, "--format", "markdown", "--slo", "login:p99<10ms,login:p50<1ms", "--junit", junit)
	if code != exitFail {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitFail, out, errs)
	}
	for _, want := range []string{"**SLO failed**: 1 of 2", "| `login` | 200 |", "| ✅ pass | `login:p99<10ms` | 2.20ms |",
		"| ❌ **fail** | `login:p50<1ms` |"} {
		if !strings.Contains(out, want) {
			t.Errorf("markdown lacks %q:\n%s", want, out)
		}
	}
	if strings.Contains(out, "FAIL login") || !strings.Contains(errs, "FAIL login p50") {
		t.Errorf("the plain SLO lines belong on stderr for markdown:\nstdout:\n%s\nstderr:\n%s", out, errs)
	}
	d := readJUnit(t, junit)
	cases := d.Suites[0].Cases
	if len(cases) != 2 || cases[0].Name != "login:p99<10ms" || cases[0].Failure != nil ||
		cases[1].Failure == nil || !strings.Contains(cases[1].Failure.Message, "login p50 ") || d.Failures != 1 {
		t.Errorf("junit %+v", d)
	}

	for _, args := range [][]string{
		{"report", run, "--junit", junit},                                    // no --slo
		{"report", run, "--slo", "errors<1%", "--junit", "-"},                // both on stdout
		{"report", run, "--slo", "errors<1%", "--junit", junit, "-o", junit}, // same file
	} {
		if code, _, errs := rcCmd(args...); code != exitUsage || !strings.Contains(errs, "--junit") {
			t.Errorf("%q: exit %d, %s", args, code, errs)
		}
	}
}

func TestRunJUnit(t *testing.T) {
	junit := filepath.Join(t.TempDir(), "slo.xml")
	code, stdout, stderr := runCmd(t, "-c", "2", "-n", "10", "--quiet", "--steps", "none",
		"--slo", "login:max<1us,errors<=0", "--junit", junit)
	if code != exitFail {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitFail, stdout, stderr)
	}
	d := readJUnit(t, junit)
	cases := d.Suites[0].Cases
	if len(cases) != 2 || cases[0].Failure == nil || !strings.Contains(cases[0].Failure.Message, "FAIL login max ") ||
		cases[1].Failure != nil || d.Failures != 1 {
		t.Errorf("junit %+v", d)
	}
	if code, _, errs := runCmd(t, "-c", "1", "-n", "1", "--quiet", "--junit", junit); code != exitUsage ||
		!strings.Contains(errs, "--junit needs --slo") {
		t.Errorf("--junit without --slo: exit %d, %s", code, errs)
	}
}

// TestRunJSONL: --jsonl writes a line per interval while the run goes; the
// lines parse and add up to the saved run.
func TestRunJSONL(t *testing.T) {
	dir := t.TempDir()
	jsonl, js := filepath.Join(dir, "live.jsonl"), filepath.Join(dir, "run.json")
	code, stdout, stderr := runCmd(t, "-c", "2", "-d", "600ms", "--interval", "100ms", "--warmup", "100ms",
		"--quiet", "--steps", "syn", "--jsonl", jsonl, "-o", js)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	run := decodeRun(t, js)
	b, err := os.ReadFile(jsonl)
	if err != nil {
		t.Fatal(err)
	}
	lines := strings.Split(strings.TrimSuffix(string(b), "\n"), "\n")
	if len(lines) < 6 || len(lines) != len(run.Series) {
		t.Fatalf("%d lines, %d intervals in the run:\n%s", len(lines), len(run.Series), b)
	}
	var ok, failed, warm int64
	phases := map[string]int64{}
	for i, line := range lines {
		var s report.IntervalStats
		dec := json.NewDecoder(strings.NewReader(line))
		dec.DisallowUnknownFields()
		if err := dec.Decode(&s); err != nil {
			t.Fatalf("line %d: %v: %s", i, err, line)
		}
		if s.Index != int64(i) {
			t.Errorf("line %d has interval %d", i, s.Index)
		}
		ok, failed, warm = ok+s.OK, failed+s.Failed, warm+s.Warmup
		for _, p := range s.Phases {
			phases[p.Phase] += p.Count
		}
	}
	c := run.Counts
	if ok != c.OK || failed != c.Failed || warm != c.Warmup || ok == 0 {
		t.Errorf("lines sum to ok %d failed %d warm-up %d, the run has %+v", ok, failed, warm, c)
	}
	for _, p := range run.Phases {
		if phases[p.Name] != p.Summary.Count {
			t.Errorf("%s: lines sum to %d, the run has %d", p.Name, phases[p.Name], p.Summary.Count)
		}
	}
	if !run.Start.Equal(mustTime(t, lines[0], "start")) {
		t.Errorf("first line starts at %s, the run at %s", lines[0], run.Start)
	}

	// To standard output, the text summary moves to stderr.
	code, stdout, stderr = runCmd(t, "-c", "1", "-n", "3", "--quiet", "--steps", "none", "--jsonl", "-")
	if code != exitOK || !strings.HasPrefix(stdout, `{"interval":0,`) || strings.Contains(stdout, "phase ") ||
		!strings.Contains(stderr, "phase ") {
		t.Errorf("--jsonl -: exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if code, _, errs := runCmd(t, "-n", "1", "--jsonl", "-", "-o", "-"); code != exitUsage ||
		!strings.Contains(errs, "standard output") {
		t.Errorf("--jsonl - with -o -: exit %d, %s", code, errs)
	}
	if code, _, errs := runCmd(t, "-n", "1", "--jsonl", filepath.Join(dir, "no", "x.jsonl")); code != exitUsage ||
		!strings.Contains(errs, "--jsonl") {
		t.Errorf("--jsonl into a missing directory: exit %d, %s", code, errs)
	}
}

func mustTime(t *testing.T, line, key string) time.Time {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal([]byte(line), &m); err != nil {
		t.Fatal(err)
	}
	s, _ := m[key].(string)
	v, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("%s %q: %v", key, s, err)
	}
	return v
}

func TestRunMetricsFlag(t *testing.T) {
	code, stdout, stderr := runCmd(t, "-c", "1", "-n", "3", "--steps", "none", "--metrics", "127.0.0.1:0")
	if code != exitOK || !strings.Contains(stderr, "metrics: http://127.0.0.1:") || strings.Contains(stderr, "warning") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if code, _, errs := runCmd(t, "-n", "1", "--metrics", "127.0.0.1:99999"); code != exitUsage || !strings.Contains(errs, "--metrics") {
		t.Errorf("bad --metrics address: exit %d, %s", code, errs)
	}
}

// TestServeMetrics: serve --metrics serves the server's counters, which
// Prometheus' own parser reads.
func TestServeMetrics(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	exit := make(chan int, 1)
	go func() {
		exit <- runServe(ctx, []string{"--ns", "127.0.0.1:0", "--sb", "off", "--accounts", "3", "--password", "pw",
			"--stats-every", "0", "--metrics", "127.0.0.1:0"}, io.Discard, pw)
		pw.Close()
	}()
	sc := bufio.NewScanner(pr)
	url := ""
	for url == "" && sc.Scan() {
		if u, ok := strings.CutPrefix(sc.Text(), "metrics: "); ok {
			url = u
		}
	}
	go io.Copy(io.Discard, pr)
	if url == "" {
		t.Fatal("serve printed no metrics address")
	}
	resp, err := http.Get(url)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	for _, name := range []string{"msnbench_server_logins_ok_total", "msnbench_server_conns_open", "process_cpu_seconds_total"} {
		if fams[name] == nil {
			t.Errorf("no %s", name)
		}
	}
	cancel()
	if code := <-exit; code != exitOK {
		t.Errorf("serve exit %d", code)
	}
}
