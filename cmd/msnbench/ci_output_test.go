package main

import (
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
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
