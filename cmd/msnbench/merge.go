package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/msnbench/msnbench/report"
)

const mergeExamples = `
Examples:
  # join the parts of a sharded run (e.g. the pods of a Kubernetes Indexed Job)
  msnbench merge -o all.json part-*.json
  msnbench merge -o all.json results/parts/     # every .json file in the directory
  msnbench report all.json

The parts must come from the same run: each part once (every run has an ID),
started with the same settings (target, load model, -c/--rate/-n, -d, steps,
dialects, accounts, timeout, interval, shard group and count, ...); they may
differ only in their shard and in what belongs to their machine. --force
merges runs that do not belong together anyway, with a warning for each
problem. Histograms, intervals (aligned by wall-clock time), series, counts
and errors are added exactly.
Exit codes: 0 ok, 2 usage error or runs that do not belong together.
`

func init() {
	register("merge", "merge the parts of a sharded run into one run.json", runMerge)
}

func runMerge(_ context.Context, args []string, stdout, stderr io.Writer) int {
	fs := flag.NewFlagSet("merge", flag.ContinueOnError)
	out := fs.String("o", "", "write the merged run to `file` (default standard output)")
	force := fs.Bool("force", false, "merge runs that do not belong together (a part given twice, another configuration), with a warning")
	fs.Usage = func() {
		fmt.Fprintln(fs.Output(), "Usage: msnbench merge [-o all.json] [--force] part.json...\n\nFlags:")
		printDefaults(fs)
		io.WriteString(fs.Output(), mergeExamples)
	}
	if code, ok := parseFlags(fs, args, stderr); !ok {
		return code
	}
	fail := func(err error) int {
		fmt.Fprintf(stderr, "msnbench merge: %v\n", err)
		return exitUsage
	}
	if fs.NArg() == 0 {
		return fail(errors.New("no run files"))
	}
	paths, err := expandRunDirs(fs.Args())
	if err != nil {
		return fail(err)
	}
	runs := make([]*report.Run, 0, len(paths))
	for _, p := range paths {
		run, err := loadRunFile(p)
		if err != nil {
			return fail(err)
		}
		runs = append(runs, run)
	}
	merged, err := report.MergeOptions{Force: *force}.Merge(runs...)
	if err != nil {
		fmt.Fprintf(stderr, "msnbench %v\n", err) // the error starts with "merge:"
		if errors.Is(err, report.ErrNotOneRun) {
			fmt.Fprintln(stderr, "(--force merges them anyway)")
		}
		return exitUsage
	}
	for _, w := range merged.Health.Warnings {
		if strings.HasPrefix(w, report.ForcedPrefix) {
			fmt.Fprintf(stderr, "warning: %s\n", w)
		}
	}
	if *out == "" {
		if err := report.Encode(stdout, merged); err != nil {
			return fail(err)
		}
		return exitOK
	}
	if err := writeOutput(*out, stdout, func(w io.Writer) error { return report.Encode(w, merged) }); err != nil {
		return fail(err)
	}
	fmt.Fprintf(stderr, "merged %d runs (%d sessions) into %s\n", len(runs), merged.Counts.Attempted, *out)
	return exitOK
}

// expandRunDirs replaces each directory argument by the *.json files in it,
// sorted, so a container without a shell can merge a results directory
// (msnbench merge -o all.json /results/run1/parts).
func expandRunDirs(args []string) ([]string, error) {
	var out []string
	for _, a := range args {
		st, err := os.Stat(a)
		if err != nil || !st.IsDir() {
			out = append(out, a) // a file; open errors are reported when it is read
			continue
		}
		m, err := filepath.Glob(filepath.Join(a, "*.json"))
		if err != nil {
			return nil, err
		}
		if len(m) == 0 {
			return nil, fmt.Errorf("%s: no .json files", a)
		}
		sort.Strings(m)
		out = append(out, m...)
	}
	return out, nil
}
