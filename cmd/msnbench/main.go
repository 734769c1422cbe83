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
	"syscall"
)

// Exit codes (DESIGN.md §6).
const (
	exitOK    = 0
	exitFail  = 1 // thresholds or regression failed
	exitUsage = 2 // usage or setup error
)

// version is set at build time with -ldflags "-X main.version=...".
var version = "0.1.0-dev"

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
	fmt.Fprintln(w, "Usage: msnbench <command> [flags]")
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

// parseFlags parses args with fs, printing usage errors to stderr. It
// returns the exit code to use and false when the command should stop.
func parseFlags(fs *flag.FlagSet, args []string, stderr io.Writer) (int, bool) {
	fs.SetOutput(stderr)
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			return exitOK, false
		}
		return exitUsage, false
	}
	return exitOK, true
}

func init() {
	register("version", "print the version", func(_ context.Context, _ []string, stdout, _ io.Writer) int {
		fmt.Fprintf(stdout, "msnbench %s\n", version)
		return exitOK
	})
}
