package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/fixture"
)

func TestMarkdownGolden(t *testing.T) {
	run := fixture.RecordedRun(t, false)
	slo, err := report.ParseSLO("login:p99<10ms, ns.syn:p50<1ms, errors<1%, rate>100, qry:p99<1s")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	if err := report.MarkdownWithSLO(slo.Check(run))(&buf, run); err != nil {
		t.Fatal(err)
	}
	fixture.CheckGolden(t, "closed.md", buf.Bytes())

	// The registered format is the same report without the SLO parts.
	var plain bytes.Buffer
	if err := report.Write(&plain, "markdown", run); err != nil {
		t.Fatal(err)
	}
	if strings.Contains(plain.String(), "SLO") {
		t.Errorf("markdown without an SLO check mentions one:\n%s", plain.String())
	}
}

// TestMarkdownTables checks the structure a Markdown renderer relies on:
// every table row has as many cells as its header, and a phase table row
// per phase the text report shows.
func TestMarkdownTables(t *testing.T) {
	for _, open := range []bool{false, true} {
		run := fixture.RecordedRun(t, open)
		run.Label = "a|b *c* <d>"
		run.Health.Warnings = []string{"x | y"}
		var buf bytes.Buffer
		if err := report.WriteMarkdown(&buf, run); err != nil {
			t.Fatal(err)
		}
		var header, rows int
		phaseRows := 0
		for _, line := range strings.Split(buf.String(), "\n") {
			if !strings.HasPrefix(line, "|") {
				header = 0
				continue
			}
			n := cells(line)
			if header == 0 {
				header = n
				rows = 0
				continue
			}
			rows++
			if n != header {
				t.Errorf("row %q has %d cells, its table %d", line, n, header)
			}
			if header == 6 && strings.HasPrefix(line, "| `") && rows > 1 {
				phaseRows++
			}
		}
		if want := len(report.TextPhases(run)); phaseRows != want {
			t.Errorf("open=%v: %d phase rows, want %d:\n%s", open, phaseRows, want, buf.String())
		}
		if !strings.Contains(buf.String(), `### msnbench: a\|b \*c\* \<d\>`) {
			t.Errorf("label not escaped:\n%s", buf.String())
		}
	}
}

// cells counts the cells of a table row, ignoring escaped bars.
func cells(line string) int {
	n := 0
	for i := 1; i < len(line); i++ {
		if line[i] == '|' && line[i-1] != '\\' {
			n++
		}
	}
	return n
}
