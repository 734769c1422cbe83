// Command msnbench load-tests and benchmarks MSN Messenger (MSNP2–MSNP7)
// servers. Each subcommand lives in its own file and registers itself in
// commands; this file only dispatches and maps errors to exit codes.
package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"strings"
	"syscall"
)

// Exit codes (DESIGN.md §6).
const (
	exitOK          = 0
	exitFail        = 1   // thresholds or regression failed, or no session succeeded
	exitUsage       = 2   // usage or setup error, including a failed probe login
	exitInterrupted = 130 // stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it)
)

// version is set at build time with -ldflags "-X main.version=...".
var version = devVersion

// command is one subcommand. run gets the arguments after the subcommand
// name and returns the exit code.
type command struct {
	summary string
	run     func(ctx context.Context, args []string, stdout, stderr io.Writer) int
}

var commands = map[string]command{}

func register(name, summary string, run func(ctx context.Context, args []string, stdout, stderr io.Writer) int) {
	commands[name] = command{summary: summary, run: run}
}

func usage(w io.Writer) {
	fmt.Fprintf(w, "msnbench %s: load tests and benchmarks for MSN Messenger (MSNP2-MSNP7) servers\n\n", version)
	fmt.Fprintln(w, "Usage: msnbench <command> [arguments] [flags]   (flags may come before or after arguments)")
	fmt.Fprintln(w, "       msnbench --version")
	fmt.Fprintln(w, "\nCommands:")
	names := make([]string, 0, len(commands))
	for n := range commands {
		names = append(names, n)
	}
	sort.Strings(names)
	for _, n := range names {
		fmt.Fprintf(w, "  %-9s %s\n", n, commands[n].summary)
	}
	fmt.Fprintln(w, "\nRun 'msnbench <command> -h' for a command's flags and examples.")
	fmt.Fprintln(w, "Exit codes: 0 ok; 1 thresholds or regression failed, or no session succeeded; 2 usage or setup error;")
	fmt.Fprintln(w, "130 interrupted (Ctrl-C or SIGTERM).")
}

func main() {
	os.Exit(mainArgs(os.Args[1:], os.Stdout, os.Stderr))
}

func mainArgs(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		usage(stderr)
		return exitUsage
	}
	switch args[0] {
	case "-h", "-help", "--help", "help":
		usage(stdout)
		return exitOK
	case "-version", "--version", "-v":
		args = append([]string{"version"}, args[1:]...)
	}
	c, ok := commands[args[0]]
	if !ok {
		fmt.Fprintf(stderr, "msnbench: unknown command %q\n\n", args[0])
		usage(stderr)
		return exitUsage
	}
	// The first SIGINT/SIGTERM cancels ctx: commands stop starting work, let
	// in-flight work finish or time out, and still write their reports. A
	// second signal kills the process the default way.
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	go func() {
		<-ctx.Done()
		stop() // restore default handling so a second Ctrl-C ends the process
	}()
	return c.run(ctx, args[1:], stdout, stderr)
}

// parseFlags is the one argument convention of every subcommand: flags may
// come before or after the positional arguments ("run 127.0.0.1:1863 -c 3",
// "report run.json --format html"), "--" ends the flags, -h prints the full
// usage to stderr, and a bad flag prints its error last, under no usage
// page, with a pointer to -h (so a page of flags does not scroll it away).
// It returns the exit code to use and false when the command should stop.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (int, bool) {
	full := fs.Usage
	if full == nil {
		full = func() { printDefaults(fs) }
	}
	fs.SetOutput(io.Discard) // flag would print the error above the usage
	fs.Usage = func() {}
	err := fs.Parse(interspersed(fs, args))
	fs.SetOutput(stderr)
	fs.Usage = full
	switch {
	case err == nil:
		return exitOK, true
	case errors.Is(err, flag.ErrHelp):
		full()
		return exitOK, false
	}
	fmt.Fprintf(stderr, "msnbench %s: %v\nRun 'msnbench %s -h' for usage.\n", fs.Name(), err, fs.Name())
	return exitUsage, false
}

// interspersed reorders args so that flags given after positional
// arguments are parsed too: the flag package stops at the first non-flag.
// "--" still ends the flags; "-" alone is an argument (standard output).
func interspersed(fs *flag.FlagSet, args []string) []string {
	var flags, pos []string
	for i := 0; i < len(args); i++ {
		a := args[i]
		if a == "--" {
			pos = append(pos, args[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		flags = append(flags, a)
		name := strings.TrimLeft(a, "-")
		if strings.Contains(name, "=") {
			continue
		}
		f := fs.Lookup(name)
		if f == nil {
			continue // Parse reports it
		}
		if b, ok := f.Value.(interface{ IsBoolFlag() bool }); ok && b.IsBoolFlag() {
			continue
		}
		if i+1 < len(args) {
			i++
			flags = append(flags, args[i])
		}
	}
	return append(append(flags, "--"), pos...)
}

// deprecatedPrefix starts the usage of a flag kept only as an old name of
// another; printDefaults leaves such flags out of -h.
const deprecatedPrefix = "deprecated: "

// printDefaults is fs.PrintDefaults without the deprecated aliases.
func printDefaults(fs *flag.FlagSet) {
	shown := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
	shown.SetOutput(fs.Output())
	fs.VisitAll(func(f *flag.Flag) {
		if !strings.HasPrefix(f.Usage, deprecatedPrefix) {
			shown.Var(f.Value, f.Name, f.Usage)
			shown.Lookup(f.Name).DefValue = f.DefValue
		}
	})
	shown.PrintDefaults()
}

func init() {
	register("version", "print the version", func(_ context.Context, _ []string, stdout, _ io.Writer) int {
		fmt.Fprintf(stdout, "msnbench %s\n", version)
		return exitOK
	})
}
