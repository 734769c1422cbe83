package main

import (
	"bytes"
	"context"
	"flag"
	"io"
	"strconv"
	"strings"
	"testing"

	"github.com/msnbench/msnbench/server"
)

// TestServeAndRunDefaultAccountsAgree: serve used to generate 1,000
// accounts and an open-model run to use 10,000, so the pair gave 911 to
// most sessions (issue 10 item 16). serve now has as many accounts as a run
// uses by default.
func TestServeAndRunDefaultAccountsAgree(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // print the listening line, then stop
	var out bytes.Buffer
	if code := runServe(ctx, []string{"--ns", "127.0.0.1:0", "--stats-every", "0"}, &out, io.Discard); code != exitOK {
		t.Fatalf("serve: exit %d", code)
	}
	served := "accounts=" + strconv.Itoa(server.DefaultAccounts) + " "
	if !strings.Contains(out.String(), served) {
		t.Fatalf("serve's default: %q, want %q", out.String(), served)
	}
	for _, args := range [][]string{
		{"--rate", "500"}, {"-c", "50"}, {"--stages", "10s:0->2000"}, {"--stages-rate", "--stages", "10s:0->900"},
	} {
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		f := newRunFlags(fs)
		if err := fs.Parse(append(args, "--target", "127.0.0.1:1863", "--password", "pw")); err != nil {
			t.Fatal(err)
		}
		set := map[string]bool{}
		fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
		if err := f.resolve(set); err != nil {
			t.Fatal(err)
		}
		if a := f.cfg.AccountStart + f.cfg.Accounts; a > server.DefaultAccounts {
			t.Errorf("run %q uses %d accounts by default, serve has %d", args, a, server.DefaultAccounts)
		}
	}
}

// TestAuthFailHint: when the server knows fewer accounts than the run
// uses, the report says so instead of leaving a bare 911 count.
func TestAuthFailHint(t *testing.T) {
	srv := newReference(t, server.Config{Accounts: 10, Password: "pw"})
	code, stdout, stderr := runCmd(t, "--target", srv.Addr(), "-c", "4", "-n", "40", "--accounts", "20",
		"--password", "pw", "--steps", "none", "--quiet", "--timestamps", "user")
	if code == exitUsage {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
	text := strings.Join(strings.Fields(stdout), " ")
	if !strings.Contains(text, "hint: 911 (authentication failed) for ") ||
		!strings.Contains(text, "the server may know fewer accounts than this run used (--accounts 20") {
		t.Errorf("no hint about unknown accounts:\n%s", stdout)
	}
}
