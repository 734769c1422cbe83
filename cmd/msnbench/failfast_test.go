package main

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/msnbench/msnbench/internal/hostile"
	"github.com/msnbench/msnbench/server"
)

// deadAddr is a loopback address where nothing listens, reserved until the
// test ends (hostile.ReserveRefused: no other test's server can take it).
func deadAddr(t *testing.T) string {
	t.Helper()
	addr, release, err := hostile.ReserveRefused()
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(release)
	return addr
}

// TestRunProbeFails: a target that would fail every session gets one line
// on stderr (phase, reply, likely fix) and exit 2, and no load.
func TestRunProbeFails(t *testing.T) {
	srv, err := server.New(server.Config{DSAddr: "127.0.0.1:0", NSAddr: "127.0.0.1:0", Accounts: 10, Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	for _, tc := range []struct {
		name string
		args []string
		want []string
	}{
		{"refused", []string{"--target", deadAddr(t), "--password", "x"},
			[]string{"ds.connect", "refused", "connection refused", "check --target"}},
		{"wrong password", []string{"--target", srv.Addr(), "--password", "wrong"},
			[]string{"ns.usr.s", "auth-fail", `the server answered "911 `, "--password"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			js := filepath.Join(t.TempDir(), "run.json")
			code, stdout, stderr := runCmd(t, append(tc.args, "-c", "5", "-d", "2s", "-o", js)...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d\n%s\n%s", code, exitUsage, stdout, stderr)
			}
			if strings.Count(stderr, "\n") != 1 || stdout != "" {
				t.Errorf("want one line on stderr and nothing on stdout; stderr:\n%s\nstdout:\n%s", stderr, stdout)
			}
			for _, w := range append(tc.want, "--no-probe") {
				if !strings.Contains(stderr, w) {
					t.Errorf("stderr %q lacks %q", stderr, w)
				}
			}
			if strings.Contains(stderr, "wrong") {
				t.Error("the password is on stderr")
			}
			if _, err := os.Stat(js); err == nil {
				t.Error("a report was written for a run that did not start")
			}
		})
	}
}

// TestRunNothingSucceeded: without the probe, a run in which no session
// succeeded exits 1 (no --slo needed) and says why; its workers backed off.
func TestRunNothingSucceeded(t *testing.T) {
	js := filepath.Join(t.TempDir(), "run.json")
	code, stdout, stderr := runCmd(t, "--target", deadAddr(t), "--password", "x", "--no-probe", "--quiet",
		"-c", "2", "-n", "4", "-o", js)
	if code != exitFail {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitFail, stdout, stderr)
	}
	if !strings.Contains(stderr, "no session succeeded") || !strings.Contains(stderr, "ds.connect refused") {
		t.Errorf("stderr %q does not say why", stderr)
	}
	run := decodeRun(t, js)
	if run.Health.Backoffs == 0 || !strings.Contains(stdout, "backoff ") {
		t.Errorf("no backoff in the report: %+v\n%s", run.Health, stdout)
	}
}

// TestRunTargetWithoutPort: a host alone means port 1863.
func TestRunTargetWithoutPort(t *testing.T) {
	code, stdout, stderr := runCmd(t, "--target", "127.0.0.77", "--password", "x", "--quiet", "-c", "1", "-n", "1")
	if !strings.Contains(stderr+stdout, "127.0.0.77:1863") {
		t.Errorf("exit %d: port 1863 not used:\n%s\n%s", code, stdout, stderr)
	}
}

// TestRunInterruptedReports: a run stopped by Ctrl-C (ctx canceled) exits
// 130 and every report it writes says it was interrupted.
func TestRunInterruptedReports(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	dir := t.TempDir()
	js, html := filepath.Join(dir, "run.json"), filepath.Join(dir, "run.html")
	var stdout, stderr strings.Builder
	code := runRun(ctx, []string{"--no-probe", "--quiet", "-c", "2", "-d", "1h", "-o", js, "--html", html},
		&stdout, &stderr)
	if code != exitInterrupted {
		t.Fatalf("exit %d, want %d\n%s\n%s", code, exitInterrupted, stdout.String(), stderr.String())
	}
	if run := decodeRun(t, js); !run.Interrupted {
		t.Error("JSON report not marked interrupted")
	}
	if b, err := os.ReadFile(html); err != nil || !strings.Contains(string(b), "Interrupted:") {
		t.Errorf("HTML report not marked interrupted (%v)", err)
	}
	if !strings.Contains(stdout.String(), "INTERRUPTED") {
		t.Errorf("text report not marked interrupted:\n%s", stdout.String())
	}

	// Interrupted during the probe: nothing runs, same code.
	stderr.Reset()
	code = runRun(ctx, []string{"--quiet", "-c", "2", "-d", "1h"}, &stdout, &stderr)
	if code != exitInterrupted || !strings.Contains(stderr.String(), "interrupted") {
		t.Errorf("interrupted probe: exit %d, stderr %q", code, stderr.String())
	}
}

// TestCompareRunFailFast: compare --run probes both servers before the
// first round, and an interrupt exits 130.
func TestCompareRunFailFast(t *testing.T) {
	srv, err := server.New(server.Config{NSAddr: "127.0.0.1:0", Accounts: 10, Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	args := []string{"--run", "--target", srv.Addr(), "--target", deadAddr(t), "--rounds", "1", "-n", "4", "-c", "2",
		"--password", "pw", "--quiet"}
	var out, errb strings.Builder
	code := commands["compare"].run(context.Background(), args, &out, &errb)
	if code != exitUsage || !strings.Contains(errb.String(), "B: probe login") || !strings.Contains(errb.String(), "refused") {
		t.Errorf("dead B: exit %d, stderr %q; want %d and the probe's line", code, errb.String(), exitUsage)
	}
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	errb.Reset()
	code = commands["compare"].run(ctx, append(args, "--no-probe"), &out, &errb)
	if code != exitInterrupted {
		t.Errorf("interrupted: exit %d, want %d; stderr %q", code, exitInterrupted, errb.String())
	}
}

// TestExitCodesDocumented: the top-level usage and run -h name every exit
// code.
func TestExitCodesDocumented(t *testing.T) {
	var out, errb strings.Builder
	if code := mainArgs([]string{"help"}, &out, &errb); code != exitOK {
		t.Fatalf("help: exit %d", code)
	}
	_, runOut, runErr := runCmd(t, "-h")
	for name, text := range map[string]string{"usage": out.String(), "run -h": runOut + runErr} {
		for _, want := range []string{"0", "ok", "no session succeeded", "2", "usage or setup", "130", "interrupted"} {
			if !strings.Contains(text, want) {
				t.Errorf("%s lacks %q", name, want)
			}
		}
	}
}
