package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"strconv"
	"strings"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/compare"
)

const compareExamples = `
Examples:
  # did build 42 get slower than build 41? One run per side: the change is shown, but only as indicative
  msnbench compare build41.json build42.json

  # several runs per side, best taken alternately (A B B A ...): the spread between runs sets the intervals
  msnbench compare --paired --a base1.json base2.json base3.json --b new1.json new2.json new3.json

  # a stricter gate and reports for people
  msnbench compare --threshold 2% --html cmp.html --json cmp.json --a a1.json a2.json a3.json --b b1.json b2.json b3.json

  # in CI: a JUnit file with one test case per phase (a regression fails, an indicative change is skipped)
  msnbench compare --junit compare.xml --a a1.json a2.json a3.json --b b1.json b2.json b3.json

  # run the comparison live: alternate 1 s rounds at 200 logins/s until the verdict is clear, at most 2 minutes
  MSNBENCH_PASSWORD=secret msnbench compare --run --target old:1863 --target new:1863 --rate 200 --precision 5% --max-time 2m

For every phase (login first) and percentile (p50, p90, p99, p99.9) compare
prints B/A - 1 and a confidence interval. Its width comes from the spread
between the runs of a side when there are several; with one run per side,
from the run's time batches (its per-interval histograms), which cannot see
what differs between two runs (the server's warm-up, the machine's other
work): such latency changes are indicative and do not set the exit code
(--assume-independent makes them count, the old behaviour). A run the load
generator limited makes latency inconclusive (--allow-limited judges anyway).
A phase is slower or faster when the interval excludes 0 and the change is
beyond --threshold. The failure rate, and the share of presence notifications
and chat messages lost or duplicated (presence, msg.deliver), are judged on
their own against --fail-threshold. Exit codes: 0 no regression, 1 regression
(some phase significantly slower beyond --threshold with several runs per
side, or significantly more failures, or more lost or duplicated), 2 usage or
unreadable input.
`

func init() {
	register("compare", "compare runs: B against A, with confidence intervals (exit 1 on regression)", runCompare)
}

// compareFlags are the flags shared by the file form and the --run form.
type compareFlags struct {
	threshold     percentFlag
	failThreshold percentFlag
	confidence    percentFlag
	resamples     int
	seed          uint64
	percentiles   string
	phases        string
	html, json    string
	junit         string
	quiet         bool
	independent   bool
	allowLimited  bool
	format        string
	paired        bool
}

// register adds the flags to fs. In the --run form the run command already
// defines --html, --junit, --quiet and --seed: there --html, --junit and
// --quiet are read from the run flags and mean the same. The bootstrap seed is
// --bootstrap-seed in both forms, since --seed seeds the arrivals.
func (cf *compareFlags) register(fs *flag.FlagSet, live bool) {
	cf.threshold = percentFlag{v: compare.DefaultThreshold}
	cf.failThreshold = percentFlag{v: compare.DefaultFailThreshold}
	cf.confidence = percentFlag{v: compare.DefaultConfidence}
	fs.Var(&cf.threshold, "threshold", "minimum change that counts as slower or faster, e.g. 5% or 0.05")
	fs.Var(&cf.failThreshold, "fail-threshold", "minimum rise of the failure rate (share of sessions) that counts, e.g. 0.1%")
	fs.Var(&cf.confidence, "confidence", "confidence of the intervals, for the whole comparison")
	fs.IntVar(&cf.resamples, "resamples", compare.DefaultResamples, "bootstrap resamples")
	fs.Uint64Var(&cf.seed, "bootstrap-seed", compare.DefaultSeed, "bootstrap seed (the same seed gives the same result)")
	if !live {
		// The old name in the file form; in the --run form --seed seeds
		// the arrivals.
		fs.Var(fs.Lookup("bootstrap-seed").Value, "seed", deprecatedPrefix+"the old name of --bootstrap-seed")
	}
	fs.StringVar(&cf.percentiles, "percentiles", "50,90,99,99.9", "percentiles to compare")
	fs.StringVar(&cf.phases, "phases", "", "compare only these phases, e.g. login,ns.usr.s (default: every phase)")
	fs.StringVar(&cf.json, "json", "", "write the comparison as JSON to `file`")
	if !live {
		fs.StringVar(&cf.junit, "junit", "", "write the verdicts as JUnit XML to `file`: one test case per phase and one for the failure rate")
	}
	fs.StringVar(&cf.format, "format", "text", "standard output `format`: text, or markdown (for a pull-request comment)")
	fs.BoolVar(&cf.independent, "assume-independent", false, "treat the logins of a run as independent: with one run per side, latency changes count for the exit code (they are indicative otherwise)")
	fs.BoolVar(&cf.paired, "paired", false, "run i of A and run i of B were taken side by side (A B B A ...): compare them as pairs")
	fs.BoolVar(&cf.allowLimited, "allow-limited", false, "judge latency even when a run was limited by the load generator (inconclusive otherwise)")
	if !live {
		fs.StringVar(&cf.html, "html", "", "write the comparison as HTML to `file`")
		fs.BoolVar(&cf.quiet, "quiet", false, "no text table on standard output")
	}
}

func (cf *compareFlags) options() (compare.Options, error) {
	if cf.format != "text" && cf.format != "markdown" {
		return compare.Options{}, fmt.Errorf("--format: %q is neither text nor markdown", cf.format)
	}
	opt := compare.Options{
		Threshold: cf.threshold.v, FailThreshold: cf.failThreshold.v, Confidence: cf.confidence.v,
		Resamples: cf.resamples, Seed: cf.seed,
		AssumeIndependent: cf.independent, AllowLimited: cf.allowLimited, Paired: cf.paired,
	}
	// Zero means "default" to Compare; an explicit 0 here means "none".
	if opt.Threshold == 0 {
		opt.Threshold = -1
	}
	if opt.FailThreshold == 0 {
		opt.FailThreshold = -1
	}
	for _, s := range splitList(cf.percentiles) {
		p, err := strconv.ParseFloat(strings.TrimPrefix(s, "p"), 64)
		if err != nil || !(p > 0 && p < 100) {
			return opt, fmt.Errorf("--percentiles: %q is not a percentile between 0 and 100", s)
		}
		opt.Percentiles = append(opt.Percentiles, p)
	}
	for _, s := range splitList(cf.phases) {
		if _, ok := report.ParsePhase(s); !ok {
			return opt, fmt.Errorf("--phases: unknown phase %q", s)
		}
		opt.Phases = append(opt.Phases, s)
	}
	return opt, nil
}

func splitList(s string) []string {
	var out []string
	for _, f := range strings.Split(s, ",") {
		if f = strings.TrimSpace(f); f != "" {
			out = append(out, f)
		}
	}
	return out
}

// percentFlag reads "5%" or a fraction "0.05".
type percentFlag struct{ v float64 }

func (p *percentFlag) String() string {
	if p == nil {
		return ""
	}
	return strconv.FormatFloat(100*p.v, 'g', -1, 64) + "%"
}

func (p *percentFlag) Set(s string) error {
	v, err := parsePercent(s)
	if err != nil {
		return err
	}
	p.v = v
	return nil
}

// parsePercent parses "5%" as 0.05 and "0.05" as 0.05. A bare number above
// 1 is refused rather than guessed at.
func parsePercent(s string) (float64, error) {
	s = strings.TrimSpace(s)
	pct := strings.HasSuffix(s, "%")
	v, err := strconv.ParseFloat(strings.TrimSuffix(s, "%"), 64)
	if err != nil || v < 0 || v != v {
		return 0, fmt.Errorf("%q: want a percentage such as 5%% or a fraction such as 0.05", s)
	}
	if pct {
		v /= 100
	} else if v > 1 {
		return 0, fmt.Errorf("%q: a bare number is a fraction; write %s%% for a percentage", s, s)
	}
	return v, nil
}

func runCompare(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	for _, a := range args {
		if a == "--" {
			break
		}
		if a == "-run" || a == "--run" {
			return runCompareLive(ctx, args, stdout, stderr)
		}
	}
	fs := flag.NewFlagSet("compare", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: msnbench compare [flags] A.json B.json\n"+
			"       msnbench compare [flags] --a A1.json [A2.json...] --b B1.json [B2.json...]\n"+
			"       msnbench compare --run --target A --target B [--rounds N] [run flags...]\n\nFlags:")
		printDefaults(fs)
		fmt.Fprintln(fs.Output(), "  -a, --a files\n    \tthe runs of side A (the baseline); every file up to the next flag\n"+
			"  -b, --b files\n    \tthe runs of side B (the candidate)\n"+
			"  --run\n    \trun the comparison live (see 'msnbench compare --run -h')")
		io.WriteString(fs.Output(), compareExamples)
	}
	var cf compareFlags
	cf.register(fs, false)
	flagArgs, filesA, filesB, sides, err := splitSides(fs, args)
	if err != nil {
		fmt.Fprintf(stderr, "msnbench compare: %v\n", err)
		return exitUsage
	}
	if code, ok := parseFlags(fs, flagArgs, stderr); !ok {
		return code
	}
	if sides {
		if fs.NArg() > 0 {
			fmt.Fprintf(stderr, "msnbench compare: files %q outside --a/--b\n", fs.Args())
			return exitUsage
		}
	} else {
		if fs.NArg() != 2 {
			fmt.Fprintln(stderr, "msnbench compare: give two runs (A.json B.json), or several per side with --a ... --b ...")
			return exitUsage
		}
		filesA, filesB = fs.Args()[:1], fs.Args()[1:]
	}
	if len(filesA) == 0 || len(filesB) == 0 {
		fmt.Fprintln(stderr, "msnbench compare: each side needs at least one run file")
		return exitUsage
	}
	opt, err := cf.options()
	if err != nil {
		fmt.Fprintf(stderr, "msnbench compare: %v\n", err)
		return exitUsage
	}
	a, err := readRunFiles(filesA)
	if err != nil {
		fmt.Fprintf(stderr, "msnbench compare: %v\n", err)
		return exitUsage
	}
	b, err := readRunFiles(filesB)
	if err != nil {
		fmt.Fprintf(stderr, "msnbench compare: %v\n", err)
		return exitUsage
	}
	return finishCompare(a, b, opt, &cf, stdout, stderr)
}

// finishCompare compares, writes every requested output, and returns the
// exit code: 1 when B regressed.
func finishCompare(a, b []*report.Run, opt compare.Options, cf *compareFlags, stdout, stderr io.Writer) int {
	return finishCompareDesign(a, b, opt, cf, "", stdout, stderr)
}

// finishCompareDesign is finishCompare with a description of how the runs
// were taken (Comparison.Design).
func finishCompareDesign(a, b []*report.Run, opt compare.Options, cf *compareFlags, design string, stdout, stderr io.Writer) int {
	c, err := compare.Compare(a, b, opt)
	if err != nil {
		fmt.Fprintf(stderr, "msnbench compare: %v\n", err)
		return exitUsage
	}
	c.Design = design
	code := exitOK
	if !cf.quiet {
		write := compare.WriteText
		if cf.format == "markdown" {
			write = compare.WriteMarkdown
		}
		tableOut := stdout
		if isStdout(cf.json) || isStdout(cf.html) || isStdout(cf.junit) {
			tableOut = stderr // --json -: standard output carries the JSON alone
		}
		if err := write(tableOut, c); err != nil {
			fmt.Fprintf(stderr, "msnbench compare: %v\n", err)
			code = exitUsage
		}
	}
	for _, o := range []struct {
		path  string
		write func(io.Writer, *compare.Comparison) error
	}{{cf.json, compare.WriteJSON}, {cf.html, compare.WriteHTML}, {cf.junit, compare.WriteJUnit}} {
		if o.path == "" {
			continue
		}
		if err := writeOutput(o.path, stdout, func(w io.Writer) error { return o.write(w, c) }); err != nil {
			fmt.Fprintf(stderr, "msnbench compare: %v\n", err)
			code = exitUsage
		}
	}
	if code == exitOK && c.Regressed(c.Threshold) {
		code = exitFail
	}
	return code
}

// splitSides separates the --a/--b file lists from the other arguments:
// after -a or --a every argument that is not a flag belongs to side A, up to
// the next flag; likewise for B. Flags keep their values (a flag that takes
// a value consumes the next argument), so "--threshold 5% --a x.json" reads
// as expected. sides reports whether --a or --b was used at all.
func splitSides(fs *flag.FlagSet, args []string) (rest, a, b []string, sides bool, err error) {
	var cur *[]string
	for i := 0; i < len(args); i++ {
		arg := args[i]
		if arg == "--" {
			if cur != nil {
				*cur = append(*cur, args[i+1:]...)
			} else {
				rest = append(rest, args[i:]...)
			}
			break
		}
		// As in package flag: one or two dashes; "---a" is no flag of ours
		// and is left for Parse to refuse.
		name, value, hasValue := strings.Cut(strings.TrimPrefix(strings.TrimPrefix(arg, "-"), "-"), "=")
		isFlag := len(arg) > 1 && arg[0] == '-' && !strings.HasPrefix(name, "-")
		switch {
		case isFlag && (name == "a" || name == "b"):
			sides = true
			cur = &a
			if name == "b" {
				cur = &b
			}
			if hasValue {
				*cur = append(*cur, value)
			}
		case isFlag || strings.HasPrefix(arg, "-") && len(arg) > 1:
			cur = nil
			rest = append(rest, arg)
			f := fs.Lookup(name)
			if f == nil || hasValue {
				continue // parse reports unknown flags
			}
			if bf, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && bf.IsBoolFlag() {
				continue
			}
			if i+1 < len(args) {
				i++
				rest = append(rest, args[i])
			}
		case cur != nil:
			*cur = append(*cur, arg)
		default:
			rest = append(rest, arg)
		}
	}
	if sides && (len(a) == 0 || len(b) == 0) {
		return nil, nil, nil, true, errors.New("--a and --b each need at least one run file")
	}
	return rest, a, b, sides, nil
}
