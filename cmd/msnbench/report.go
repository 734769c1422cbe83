package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"strings"

	"github.com/msnbench/msnbench/report"
)

const reportExamples = `
Examples:
  # the text summary of a saved run
  msnbench report run.json

  # re-render it as HTML, or as CSV for a spreadsheet
  msnbench report run.json --format html -o run.html
  msnbench report run.json --format csv -o series.csv

  # HdrHistogram percentile output of one phase, for the HdrHistogram plotter
  msnbench report run.json --format hgrm --phase login -o login.hgrm

  # check thresholds after the fact (exit 1 if one is missed)
  msnbench report run.json --slo 'login:p99<200ms,ns.usr.s:p50<5ms,errors<0.1%'

  # for CI: a Markdown summary (with the thresholds' results) for a pull-request
  # comment, and a JUnit file with one test case per threshold
  msnbench report run.json --format markdown --slo 'login:p99<200ms' --junit slo.xml -o summary.md

Formats: FORMATS. Flags may follow the file name.
Exit codes: 0 ok, 1 --slo missed, 2 usage error or unreadable run.
`

func init() {
	register("report", "render a saved run (run.json) as text, markdown, html, json, csv, hgrm or hlog", runReport)
}

func runReport(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("report", flag.ContinueOnError)
	format := fs.String("format", "text", "output `format`: "+strings.Join(report.Formats(), ", "))
	out := fs.String("o", "", "write to `file` instead of standard output")
	phases := fs.String("phase", "", "only these `phases` (comma-separated), e.g. login for a single-table .hgrm")
	slo := fs.String("slo", "", "thresholds to check, e.g. 'login:p99<200ms,errors<0.1%' (exit 1 if missed)")
	junit := fs.String("junit", "", "write the --slo results as JUnit XML to `file`, one test case per threshold")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: msnbench report RUN.json [--format F] [-o FILE] [--phase P] [--slo S [--junit FILE]]\n\nFlags:")
		printDefaults(fs)
		io.WriteString(fs.Output(), strings.Replace(reportExamples, "FORMATS", strings.Join(report.Formats(), ", "), 1))
	}
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	fail := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "msnbench report: "+format+"\n", a...)
		return exitUsage
	}
	if fs.NArg() != 1 {
		return fail("want exactly one run file, got %d (see msnbench report -h)", fs.NArg())
	}
	if _, ok := report.Lookup(*format); !ok {
		return fail("unknown format %q (have %s)", *format, strings.Join(report.Formats(), ", "))
	}
	var check report.SLO
	if *slo != "" {
		var err error
		if check, err = report.ParseSLO(*slo); err != nil {
			return fail("%v", err)
		}
	}
	if *junit != "" && check == nil {
		return fail("--junit needs --slo: its test cases are the thresholds")
	}
	if *junit != "" && (*junit == *out || *junit == "-" && *out == "") {
		return fail("--junit and the report would both go to %s", orStdout(*junit))
	}
	run, err := loadRunFile(fs.Arg(0))
	if err != nil {
		return fail("%v", err)
	}
	shown := run
	if *phases != "" {
		names := splitCommaList(*phases)
		for _, n := range names {
			if run.Phase(n) == nil {
				return fail("%s has no phase %q", fs.Arg(0), n)
			}
		}
		shown = run.OnlyPhases(names...)
	}

	var res report.SLOReport
	if check != nil {
		res = check.Check(run) // thresholds always see every phase
	}
	render, _ := report.Lookup(*format)
	if *format == "markdown" && check != nil {
		render = report.MarkdownWithSLO(res)
	}
	sloOut := stdout // SLO lines go after a text report, or alone when the report goes to a file
	if *out == "" {
		if err := render(stdout, shown); err != nil {
			fmt.Fprintf(stderr, "msnbench report: %v\n", err)
			return exitUsage
		}
		if *format != "text" {
			sloOut = stderr // keep machine-readable output clean
		}
	} else if err := writeOutput(*out, stdout, func(w io.Writer) error { return render(w, shown) }); err != nil {
		return fail("%v", err)
	}
	if check == nil {
		return exitOK
	}
	if *junit != "" {
		if err := writeOutput(*junit, stdout, func(w io.Writer) error {
			return report.WriteJUnit(w, report.SLOJUnit(run, res))
		}); err != nil {
			return fail("%v", err)
		}
	}
	if *format == "text" && *out == "" {
		fmt.Fprintln(sloOut)
	}
	if _, err := res.WriteTo(sloOut); err != nil {
		return exitUsage
	}
	if !res.Passed() {
		return exitFail
	}
	return exitOK
}

func splitCommaList(s string) []string {
	var out []string
	for _, p := range strings.Split(s, ",") {
		if p = strings.TrimSpace(p); p != "" {
			out = append(out, p)
		}
	}
	return out
}

func orStdout(path string) string {
	if path == "-" || path == "" {
		return "standard output"
	}
	return path
}
