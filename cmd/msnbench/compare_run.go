package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/msnbench/msnbench/loadgen"
	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/compare"
)

const compareRunExamples = `
Examples:
  # 1-s rounds until login p50 is known to ±5%, at most 2 minutes; stops early when B is clearly worse
  MSNBENCH_PASSWORD=secret msnbench compare --run --target old:1863 --target new:1863 --rate 300 --precision 5% --max-time 2m

  # a fixed design: 6 rounds of 20 s at 300 logins/s each, alternating between the old and the new server
  MSNBENCH_PASSWORD=secret msnbench compare --run --target old:1863 --target new:1863 --rounds 6 -d 20s --rate 300

  # in CI: 6 rounds per side, a JUnit file with one test case per phase verdict, exit 1 on a regression
  MSNBENCH_PASSWORD=secret msnbench compare --run --target old:1863 --target new:1863 --rounds 6 -d 20s --rate 300 --junit compare.xml

  # open model, keep every round's run for later (a-1.json, b-1.json, ...)
  msnbench compare --run --target 10.0.0.5:1863 --target 10.0.0.6:1863 --rate 300 -d 30s --save-dir rounds/

Rounds go A B, B A, A B, ... so that a drift in the network or the
generator's machine affects both sides alike; each round is a complete run
with the run command's flags (-d or -n is per round). With --rounds the
rounds of a side are compared as several runs per side, so the run-to-run
spread counts. With --precision or --max-time the comparison chooses its
own length: rounds are 1 s unless -d or -n is given (longer at a low
--rate, for about 200 logins each), the first round per side is a warm-up
and dropped (--warmup-rounds), round r of A and of B are compared as a
pair, and after
every pair the rounds so far are compared, with the error rate spent over
the looks (O'Brien-Fleming-type alpha spending, so stopping early keeps the
stated confidence) and half of it on login p50. It stops when B is
significantly worse, when login p50's interval is within ±precision, or at
--max-time, and then says how many more rounds the precision would need.
Prefer the open model (--rate): with -c, a slower server is offered fewer
logins per second, and every phase's latency changes with the load.
Before the first round each server gets a probe login, as in 'msnbench run'
(--no-probe skips it).
Exit codes: 0 no regression, 1 regression, 2 usage or setup error (including
a failed probe login), 130 interrupted (Ctrl-C; the rounds done so far are
still compared).
`

// targetList collects repeated --target flags.
type targetList []string

func (t *targetList) String() string { return strings.Join(*t, ",") }

func (t *targetList) Set(s string) error {
	if s == "" {
		return errors.New("empty target")
	}
	*t = append(*t, s)
	return nil
}

// runCompareLive is "msnbench compare --run": interleaved rounds against two
// servers, then Compare of the rounds.
func runCompareLive(ctx context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("compare --run", flag.ContinueOnError)
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: msnbench compare --run --target A --target B [--rounds N] [run flags] [compare flags]\n\nFlags:")
		printDefaults(fs)
		io.WriteString(fs.Output(), compareRunExamples)
	}
	rf := newRunFlags(fs)
	var targets targetList
	fs.Lookup("target").Value = &targets
	fs.Lookup("target").Usage = "server `host:port`: give it twice, A (baseline) then B"
	fs.Lookup("html").Usage = "write the comparison as HTML to `file`"
	fs.Lookup("quiet").Usage = "no progress and no text table"
	fs.Lookup("junit").Usage = "write the verdicts as JUnit XML to `file`: one test case per phase and one for the failure rate"
	fs.Lookup("d").Usage = "length of each round (default 10s; with --precision or --max-time 1s, or about 200 logins at a low --rate)"
	var cf compareFlags
	cf.register(fs, true)
	live := fs.Bool("run", true, "run the comparison live (this form)")
	rounds := fs.Int("rounds", 6, "rounds per side (without --precision or --max-time)")
	var precision percentFlag
	fs.Var(&precision, "precision", "run rounds until login p50's interval is this narrow (±), e.g. 5%; stops early when B is clearly worse")
	maxTime := fs.Duration("max-time", 0, "run rounds until this much time has passed or the verdict is clear (default 2m with --precision); rounds are then 1s unless -d or -n is given")
	warmRounds := fs.Int("warmup-rounds", -1, "rounds per side run first and dropped (default 1 with --precision or --max-time, else 0)")
	saveDir := fs.String("save-dir", "", "write every round's run as JSON into `dir` (a-1.json, b-1.json, ...)")
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	usageErr := func(format string, a ...any) int {
		fmt.Fprintf(stderr, "msnbench compare --run: "+format+"\n", a...)
		return exitUsage
	}
	switch {
	case !*live:
		return usageErr("--run=false: give run files instead")
	case fs.NArg() > 0:
		return usageErr("unexpected arguments %q", fs.Args())
	case len(targets) != 2:
		return usageErr("give exactly two servers: --target A --target B (got %d)", len(targets))
	case *rounds < 1:
		return usageErr("--rounds must be at least 1")
	case *maxTime < 0:
		return usageErr("--max-time must not be negative")
	case rf.out != "" || rf.hlog != "" || rf.hgrm != "" || rf.csv != "" || rf.slo != "":
		return usageErr("-o, --hlog, --hgrm, --csv and --slo belong to 'msnbench run'; use --save-dir to keep the rounds")
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	rf.cfg.Target = targets[0] // resolve needs a target to demand a password
	if err := rf.resolve(set); err != nil {
		return usageErr("%v", err)
	}
	seq := *maxTime > 0 || precision.v > 0
	if seq && !set["d"] && !set["n"] && len(rf.cfg.Stages) == 0 && rf.cfg.Logins == 0 {
		rf.cfg.Duration = seqRoundLength(rf.cfg.Rate)
	}
	cf.html, cf.quiet, cf.junit = rf.html, rf.quiet, rf.junit
	if *saveDir != "" {
		if err := os.MkdirAll(*saveDir, 0o755); err != nil {
			return usageErr("--save-dir: %v", err)
		}
	}
	opt, err := cf.options()
	if err != nil {
		return usageErr("%v", err)
	}

	names := [2]string{"A", "B"}
	if !rf.noProbe {
		for i, t := range targets {
			cfg := rf.cfg
			cfg.Target = t
			eng, err := loadgen.New(cfg)
			if err != nil {
				return usageErr("%v", err)
			}
			if code, ok := probe(ctx, eng, "msnbench compare --run: "+names[i], stderr); !ok {
				return code
			}
		}
	}
	if seq && *maxTime == 0 {
		*maxTime = 2 * time.Minute
	}
	if *warmRounds < 0 {
		*warmRounds = 0
		if seq {
			*warmRounds = 1
		}
	}
	var plan *compare.Sequential
	if seq {
		// Round r of A and round r of B ran side by side: compare them as
		// pairs, which leaves out the drift they shared (with many rounds
		// the degrees of freedom lost to pairing matter little). Login p50,
		// the headline, gets half of the error rate.
		opt.Paired = true
		opt.HeadlineShare = 0.5
		plan = &compare.Sequential{Alpha: 1 - cf.confidence.v, Precision: precision.v, HeadlineShare: opt.HeadlineShare}
	}

	var sides [2][]*report.Run
	begin := time.Now()
	var last *compare.Comparison
	stopWhy := ""
	for r := 0; seq || r < *warmRounds+*rounds; r++ {
		order := [2]int{0, 1}
		if r%2 == 1 {
			order = [2]int{1, 0} // ABBA: a linear drift hits both sides equally
		}
		warm := r < *warmRounds
		for _, s := range order {
			if ctx.Err() != nil {
				break
			}
			cfg := rf.cfg
			cfg.Target = targets[s]
			cfg.Label = fmt.Sprintf("%s round %d", names[s], r+1)
			if warm {
				cfg.Label += " (warm-up)"
			}
			if rf.cfg.Label != "" {
				cfg.Label = rf.cfg.Label + " " + cfg.Label
			}
			eng, err := loadgen.New(cfg)
			if err != nil {
				return usageErr("%v", err)
			}
			run, err := eng.Run(ctx)
			if err != nil {
				return usageErr("round %d, %s (%s): %v", r+1, names[s], targets[s], err)
			}
			if !rf.quiet {
				w := ""
				if warm {
					w = " (warm-up, dropped)"
				}
				total := strconv.Itoa(*warmRounds + *rounds)
				if seq {
					total = "..."
				}
				fmt.Fprintf(stderr, "round %d/%s %s %s: %s%s\n", r+1, total, names[s], targets[s], roundLine(run), w)
			}
			if *saveDir != "" {
				path := filepath.Join(*saveDir, fmt.Sprintf("%s-%d.json", strings.ToLower(names[s]), r+1))
				if err := writeOutput(path, stdout, func(w io.Writer) error { return report.Encode(w, run) }); err != nil {
					return usageErr("%v", err)
				}
			}
			if !warm {
				sides[s] = append(sides[s], run)
			}
		}
		if ctx.Err() != nil {
			break
		}
		if warm || !seq {
			continue
		}
		// A sequential look: plan the largest number of rounds from how
		// long the first measured pair took, then compare at this look's
		// share of the error rate.
		pairs := min(len(sides[0]), len(sides[1]))
		perPair := time.Since(begin) / time.Duration(r+1)
		if plan.MaxPairs == 0 {
			plan.MaxPairs = max(2, int((*maxTime-time.Since(begin))/perPair)+1)
		}
		final := time.Since(begin)+perPair > *maxTime || pairs >= plan.MaxPairs
		if pairs < 2 && !final {
			continue // the spread between rounds needs two per side
		}
		lookOpt := opt
		lookOpt.Confidence = plan.Look(pairs, final)
		lookOpt.HeadlineAlpha = plan.HeadlineAlpha()
		c, err := compare.Compare(sides[0], sides[1], lookOpt)
		if err != nil {
			return usageErr("%v", err)
		}
		last = c
		stop, why := plan.Stop(c)
		if !rf.quiet {
			fmt.Fprintf(stderr, "look %d after %d rounds per side: %s\n", plan.Looks(), pairs, lookLine(c))
		}
		if stop {
			stopWhy = why
			break
		}
		if final {
			stopWhy = fmt.Sprintf("time limit %v reached", *maxTime)
			if more := plan.MoreRounds(c, pairs); more > 0 {
				stopWhy += fmt.Sprintf("; about %d more rounds per side would bring login p50 to ±%s", more, precision.String())
			}
			break
		}
	}
	if len(sides[0]) == 0 || len(sides[1]) == 0 {
		fmt.Fprintln(stderr, "msnbench compare --run: interrupted before both servers had a measured round")
		return exitInterrupted
	}
	design := ""
	if seq {
		if last == nil || ctx.Err() != nil {
			// Interrupted before a look, or between looks: the rest of the
			// error rate goes to this comparison.
			opt.Confidence = plan.Look(min(len(sides[0]), len(sides[1])), true)
			opt.HeadlineAlpha = plan.HeadlineAlpha()
		} else {
			opt.Confidence, opt.HeadlineAlpha = last.Confidence, last.HeadlineAlpha
		}
		if stopWhy == "" || ctx.Err() != nil {
			stopWhy = "interrupted"
		}
		design = fmt.Sprintf("sequential: %d rounds per side after %d warm-up (%v), look %d of at most %d, "+
			"O'Brien-Fleming-type spending of %s: this look's intervals at %s%s; stopped: %s",
			min(len(sides[0]), len(sides[1])), *warmRounds, time.Since(begin).Round(time.Second), plan.Looks(),
			max(plan.MaxPairs-1, plan.Looks()), fmtFrac(1-cf.confidence.v), fmtFrac(1-opt.Confidence),
			headLevel(opt.HeadlineAlpha), stopWhy)
	}
	if ctx.Err() != nil {
		if !rf.quiet {
			fmt.Fprintln(stderr, "interrupted: comparing the rounds done so far")
		}
		finishCompareDesign(sides[0], sides[1], opt, &cf, design, stdout, stderr)
		return exitInterrupted
	}
	return finishCompareDesign(sides[0], sides[1], opt, &cf, design, stdout, stderr)
}

// seqRoundLength is the length of a round when --precision or --max-time
// chooses the number of rounds and neither -d nor -n gives their length: 1 s,
// or long enough for about minRoundLogins logins at the open model's rate.
// Shorter rounds give more pairs in the same time, and more pairs let the
// paired interval use the signed-rank test (from about 26 pairs) instead of
// the coarser sign test. On this project's 2-core machine at 200 logins/s
// (docs/benchmarks.md, "Error rates on real runs", third series), trials
// of 110 s with 1-s rounds found +10 % on login p50 in 9 of 12, after 55 s
// on average; 3-s rounds, alternating with them, in 7 of 12, after 72 s. A
// round costs 15-30 ms beyond its length. A round needs about 20 logins for
// its p50 to be judged at all (10 beyond it), so rounds at a low rate are
// longer.
func seqRoundLength(rate float64) time.Duration {
	d := time.Second
	if rate > 0 {
		d = max(d, time.Duration(minRoundLogins/rate*float64(time.Second)).Round(100*time.Millisecond))
	}
	return d
}

// minRoundLogins is how many logins a round of the sequential design's
// default length should hold (seqRoundLength).
const minRoundLogins = 200

// lookLine summarises one sequential look for the progress output.
func lookLine(c *compare.Comparison) string {
	q := c.Headline()
	if q == nil {
		return "no login p50"
	}
	verdict := "no regression"
	if c.Regressed(c.Threshold) {
		verdict = "REGRESSION"
	}
	level := (1 - c.Confidence) * c.HeadlineShare
	if c.HeadlineAlpha > 0 {
		level = c.HeadlineAlpha
	}
	return fmt.Sprintf("login p50 %s [%s, %s] at %s: %s", compare.FmtChange(q.Change), compare.FmtChange(q.Low),
		compare.FmtChange(q.High), fmtFrac(level), verdict)
}

// headLevel names login p50's own level in the design line, when its
// group-sequential boundary set one.
func headLevel(a float64) string {
	if a <= 0 {
		return ""
	}
	return ", login p50's at " + fmtFrac(a) + " (each half of its paired interval at a group-sequential boundary)"
}

// fmtFrac formats an error rate: 0.05 -> "5%", 0.0012 -> "0.12%".
func fmtFrac(f float64) string {
	return strconv.FormatFloat(100*f, 'g', 2, 64) + "%"
}

// roundLine summarises one round for the progress output.
func roundLine(run *report.Run) string {
	line := fmt.Sprintf("%d ok, %d failed", run.Counts.OK, run.Counts.Failed)
	if r := run.LoginRate(); r > 0 {
		line += fmt.Sprintf(", %.1f logins/s", r)
	}
	if p := run.Phase(report.Login.String()); p != nil {
		line += fmt.Sprintf(", login p50 %s p99 %s", fmtMicros(p.Summary.P50), fmtMicros(p.Summary.P99))
	}
	return line
}

// fmtMicros formats a latency in µs for a progress line.
func fmtMicros(us int64) string {
	return time.Duration(us * int64(time.Microsecond)).String()
}
