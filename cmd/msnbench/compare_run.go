package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/msnbench/msnbench/loadgen"
	"github.com/msnbench/msnbench/report"
)

const compareRunExamples = `
Examples:
  # 6 rounds of 20 s at 300 logins/s each, alternating between the old and the new server
  MSNBENCH_PASSWORD=secret msnbench compare --run --target old:1863 --target new:1863 --rounds 6 -d 20s --rate 300

  # open model, keep every round's run for later (a-1.json, b-1.json, ...)
  msnbench compare --run --target 10.0.0.5:1863 --target 10.0.0.6:1863 --rate 300 -d 30s --save-dir rounds/

Rounds go A B, B A, A B, ... so that a drift in the network or the
generator's machine affects both sides alike; each round is a complete run
with the run command's flags (-d or -n is per round). The rounds of a side
are then compared as several runs per side, so the run-to-run spread counts.
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
	var cf compareFlags
	cf.register(fs, true)
	live := fs.Bool("run", true, "run the comparison live (this form)")
	rounds := fs.Int("rounds", 6, "rounds per side")
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
	case rf.out != "" || rf.hlog != "" || rf.hgrm != "" || rf.csv != "" || rf.slo != "":
		return usageErr("-o, --hlog, --hgrm, --csv and --slo belong to 'msnbench run'; use --save-dir to keep the rounds")
	}
	set := map[string]bool{}
	fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
	rf.cfg.Target = targets[0] // resolve needs a target to demand a password
	if err := rf.resolve(set); err != nil {
		return usageErr("%v", err)
	}
	cf.html, cf.quiet = rf.html, rf.quiet
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
	var sides [2][]*report.Run
	for r := 0; r < *rounds; r++ {
		order := [2]int{0, 1}
		if r%2 == 1 {
			order = [2]int{1, 0} // ABBA: a linear drift hits both sides equally
		}
		for _, s := range order {
			if ctx.Err() != nil {
				break
			}
			cfg := rf.cfg
			cfg.Target = targets[s]
			cfg.Label = fmt.Sprintf("%s round %d", names[s], r+1)
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
				fmt.Fprintf(stderr, "round %d/%d %s %s: %s\n", r+1, *rounds, names[s], targets[s], roundLine(run))
			}
			if *saveDir != "" {
				path := filepath.Join(*saveDir, fmt.Sprintf("%s-%d.json", strings.ToLower(names[s]), r+1))
				if err := writeOutput(path, stdout, func(w io.Writer) error { return report.Encode(w, run) }); err != nil {
					return usageErr("%v", err)
				}
			}
			sides[s] = append(sides[s], run)
		}
	}
	if len(sides[0]) == 0 || len(sides[1]) == 0 {
		fmt.Fprintln(stderr, "msnbench compare --run: interrupted before both servers had a round")
		return exitInterrupted
	}
	if ctx.Err() != nil {
		if !rf.quiet {
			fmt.Fprintln(stderr, "interrupted: comparing the rounds done so far")
		}
		finishCompare(sides[0], sides[1], opt, &cf, stdout, stderr)
		return exitInterrupted
	}
	return finishCompare(sides[0], sides[1], opt, &cf, stdout, stderr)
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
