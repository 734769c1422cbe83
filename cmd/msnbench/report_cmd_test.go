package main

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/msnbench/msnbench/report"
)

// rcRun writes a small run (shard idx of n, or unsharded when n is 0) made
// with the Recorder and returns its path.
func rcRun(t *testing.T, dir, name string, idx, n int) string {
	t.Helper()
	rec := report.NewRecorder(2, time.Second)
	for i := 0; i < 200; i++ {
		at := int64(i) * int64(10*time.Millisecond)
		rec.Started(i, at)
		s := &report.Sample{Intended: at, Start: at, End: at + 3e6}
		s.Set(report.DSConnect, 200e3)
		s.Set(report.Login, int64(2e6+i*1e3))
		rec.Record(i, s)
	}
	start := time.Date(2026, 3, 4, 5, 6, 7, 0, time.UTC)
	run := &report.Run{
		Schema: report.SchemaVersion, Tool: "msnbench test",
		Config: report.Config{Target: "127.0.0.1:1863", Model: "closed", Concurrency: 4, Dialects: "MSNP7",
			Interval: report.Duration(time.Second)},
		Start: start, End: start.Add(2 * time.Second),
		Shard: report.Shard{Index: idx, Count: n, Group: "g"},
	}
	rec.Finish(run, int64(2*time.Second))
	path := filepath.Join(dir, name)
	var buf bytes.Buffer
	if err := report.Encode(&buf, run); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	return path
}

func rcCmd(args ...string) (int, string, string) {
	var out, errb bytes.Buffer
	code := mainArgs(args, &out, &errb)
	return code, out.String(), errb.String()
}

func TestReportCommand(t *testing.T) {
	dir := t.TempDir()
	run := rcRun(t, dir, "run.json", 0, 0)
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"schema": 99}`), 0o644)
	tests := []struct {
		name      string
		args      []string
		code      int
		out, errs string
		notInOut  string
	}{
		{"text", []string{"report", run}, exitOK, "login", "", ""},
		{"flags after file", []string{"report", run, "--format", "csv"}, exitOK, "t,started,ok", "", "phase"},
		{"hgrm one phase", []string{"report", "--format=hgrm", "--phase", "login", run}, exitOK, "#[Buckets =", "", "ds.connect"},
		{"hlog", []string{"report", run, "--format", "hlog"}, exitOK, "Tag=login,", "", ""},
		{"slo pass", []string{"report", run, "--slo", "login:p99<10ms,errors<1%"}, exitOK, "PASS login p99", "", ""},
		{"slo fail", []string{"report", run, "--slo", "login:p50<1ms"}, exitFail, "FAIL login p50", "", ""},
		{"slo on stderr for json", []string{"report", run, "--format", "json", "--slo", "login:p50<1ms"}, exitFail, `"schema": 1`, "FAIL login p50", "FAIL"},
		{"bad slo", []string{"report", run, "--slo", "login:p98<1ms"}, exitUsage, "", "unknown metric", ""},
		{"unknown format", []string{"report", run, "--format", "pdf"}, exitUsage, "", "unknown format", ""},
		{"unknown phase", []string{"report", run, "--phase", "ns.chg"}, exitUsage, "", "no phase", ""},
		{"no file", []string{"report"}, exitUsage, "", "exactly one run file", ""},
		{"missing file", []string{"report", filepath.Join(dir, "nope.json")}, exitUsage, "", "no such file", ""},
		{"newer schema", []string{"report", bad}, exitUsage, "", "newer msnbench", ""},
		{"help", []string{"report", "-h"}, exitOK, "", "Examples", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, out, errs := rcCmd(tt.args...)
			if code != tt.code || !strings.Contains(out, tt.out) || !strings.Contains(errs, tt.errs) ||
				(tt.notInOut != "" && strings.Contains(out, tt.notInOut)) {
				t.Fatalf("exit %d, want %d\nstdout:\n%s\nstderr:\n%s", code, tt.code, out, errs)
			}
		})
	}

	outFile := filepath.Join(dir, "out", "r.txt")
	if code, _, errs := rcCmd("report", run, "-o", outFile); code != exitUsage || !strings.Contains(errs, "cannot write") {
		t.Errorf("-o into a missing directory: exit %d, %s", code, errs)
	}
	os.Mkdir(filepath.Join(dir, "out"), 0o755)
	code, out, _ := rcCmd("report", run, "-o", outFile, "--slo", "login:p99<10ms")
	data, _ := os.ReadFile(outFile)
	if code != exitOK || !strings.Contains(string(data), "phase") || out != "PASS login p99 2.20ms < 10.0ms\n" {
		t.Errorf("-o: exit %d, stdout %q, file %q", code, out, data)
	}
}

func TestMergeCommand(t *testing.T) {
	dir := t.TempDir()
	a, b := rcRun(t, dir, "a.json", 0, 2), rcRun(t, dir, "b.json", 1, 2)
	all := filepath.Join(dir, "all.json")
	code, _, errs := rcCmd("merge", a, b, "-o", all)
	if code != exitOK {
		t.Fatalf("merge: exit %d: %s", code, errs)
	}
	f, err := os.Open(all)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	m, err := report.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	if m.Counts.OK != 400 || m.Phase("login").Summary.Count != 400 || len(m.Shard.Parts) != 2 || m.Config.Concurrency != 4 {
		t.Errorf("merged counts %+v shard %+v", m.Counts, m.Shard)
	}
	parts := filepath.Join(dir, "parts")
	os.Mkdir(parts, 0o755)
	rcRun(t, parts, "p0.json", 0, 2)
	rcRun(t, parts, "p1.json", 1, 2)
	if code, out, errs := rcCmd("merge", parts); code != exitOK || !strings.Contains(out, `"parts": [`) {
		t.Errorf("merge a directory: exit %d: %s", code, errs)
	}
	if code, _, errs := rcCmd("merge", t.TempDir()); code != exitUsage || !strings.Contains(errs, "no .json files") {
		t.Errorf("merge an empty directory: exit %d: %s", code, errs)
	}
	if code, _, errs := rcCmd("merge", a, a); code != exitUsage || !strings.Contains(errs, "msnbench merge: shard 0 is in both run 1 and run 2") {
		t.Errorf("duplicate shard: exit %d: %s", code, errs)
	}
	if code, _, errs := rcCmd("merge"); code != exitUsage || !strings.Contains(errs, "no run files") {
		t.Errorf("no files: exit %d: %s", code, errs)
	}
	code, out, _ := rcCmd("merge", a, b)
	if code != exitOK || !strings.Contains(out, `"parts": [`) {
		t.Errorf("merge to stdout: exit %d", code)
	}
}

func TestInterspersed(t *testing.T) {
	fs := flag.NewFlagSet("x", flag.ContinueOnError)
	fs.String("format", "", "")
	fs.Bool("v", false, "")
	tests := []struct{ in, want string }{
		{"a.json --format html", "--format html -- a.json"},
		{"--format=csv a.json b.json -v", "--format=csv -v -- a.json b.json"},
		{"a.json -v b.json", "-v -- a.json b.json"},
		{"a.json -- --format", "-- a.json --format"},
		{"--unknown a.json", "--unknown -- a.json"},
		{"a.json --format", "--format -- a.json"},
		{"- x", "-- - x"},
	}
	for _, tt := range tests {
		got := strings.Join(interspersed(fs, strings.Fields(tt.in)), " ")
		if got != tt.want {
			t.Errorf("interspersed(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}
