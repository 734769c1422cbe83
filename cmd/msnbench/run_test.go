package main

import (
	"bufio"
	"bytes"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/msnbench/msnbench/loadgen"
	"github.com/msnbench/msnbench/report"
)

func runCmd(t *testing.T, args ...string) (int, string, string) {
	t.Helper()
	var out, errb bytes.Buffer
	code := commands["run"].run(context.Background(), args, &out, &errb)
	return code, out.String(), errb.String()
}

func decodeRun(t *testing.T, path string) *report.Run {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	run, err := report.Decode(f)
	if err != nil {
		t.Fatalf("decoding %s: %v", path, err)
	}
	return run
}

func checkBooks(t *testing.T, run *report.Run) {
	t.Helper()
	c := run.Counts
	var sum int64
	for _, e := range run.Errors {
		sum += e.Count
	}
	if c.Attempted != c.OK+c.Failed || sum != c.Failed {
		t.Errorf("counts %+v do not add up (errors sum to %d)", c, sum)
	}
}

func TestRunEmbedded(t *testing.T) {
	dir := t.TempDir()
	js, csv, hgrm := filepath.Join(dir, "run.json"), filepath.Join(dir, "run.csv"), filepath.Join(dir, "run.hgrm")
	code, stdout, stderr := runCmd(t, "-c", "4", "-n", "40", "--quiet", "--password", "s3cr3t-pw", "--label", "ci",
		"-o", js, "--csv", csv, "--hgrm", hgrm, "--slo", "errors<=0")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	if stderr != "" {
		t.Errorf("--quiet printed to stderr: %q", stderr)
	}
	run := decodeRun(t, js)
	checkBooks(t, run)
	if run.Counts.OK != 40 || run.Config.Target != "embedded" || run.Label != "ci" ||
		!strings.HasPrefix(run.Tool, "msnbench ") {
		t.Errorf("run %+v config %+v", run.Counts, run.Config)
	}
	for _, f := range []string{csv, hgrm} {
		if st, err := os.Stat(f); err != nil || st.Size() == 0 {
			t.Errorf("%s not written: %v", f, err)
		}
	}
	b, _ := os.ReadFile(js)
	for name, text := range map[string]string{"stdout": stdout, "json": string(b)} {
		if strings.Contains(text, "s3cr3t-pw") {
			t.Errorf("the password appears in %s", name)
		}
	}
	if !strings.Contains(stdout, "login") {
		t.Errorf("no text report on stdout:\n%s", stdout)
	}
	if ts := run.Config.Timestamps; ts == "" || !strings.Contains(stdout, ts+" timestamps") {
		t.Errorf("reply timestamps %q not in the report:\n%s", ts, stdout)
	}
	left, _ := filepath.Glob(filepath.Join(dir, ".*.tmp"))
	if len(left) > 0 {
		t.Errorf("temporary files left: %v", left)
	}
}

func TestRunSLOFails(t *testing.T) {
	code, stdout, _ := runCmd(t, "-c", "2", "-n", "10", "--quiet", "--steps", "none", "--timestamps", "user",
		"--slo", "login:max<1us")
	if code != exitFail {
		t.Fatalf("exit %d, want %d\n%s", code, exitFail, stdout)
	}
}

func TestRunUsageErrors(t *testing.T) {
	dir := t.TempDir()
	tests := [][]string{
		{"--steps", "syn,dance"},
		{"-c", "5", "--rate", "10"},
		{"--stages", "30s:0->"},
		{"--arrival", "bursty", "--rate", "5"},
		{"-o", filepath.Join(dir, "missing", "run.json")},
		{"-o", dir},
		{"--shard", "4/4"},
		{"--shard", "/4"},
		{"--start-at", "tomorrow"},
		{"--slo", "login:p99<"},
		{"--dialects", "MSNP9"},
		{"--status", "FLN"},
		{"--source", "10.0.0.9-10.0.0.1"},
		{"-c", "10", "--accounts", "5"},
		{"--target", "127.0.0.1:1", "extra"},
		{"--password", "a", "--password-file", "b"},
		{"--timestamps", "tsc"},
		{"--target-role", "sb"},
		{"--no-such-flag"},
	}
	for _, args := range tests {
		t.Run(strings.Join(args, " "), func(t *testing.T) {
			t.Setenv("JOB_COMPLETION_INDEX", "")
			code, _, stderr := runCmd(t, append([]string{"--quiet", "-n", "1"}, args...)...)
			if code != exitUsage {
				t.Fatalf("exit %d, want %d; stderr %q", code, exitUsage, stderr)
			}
			if stderr == "" {
				t.Error("no message")
			}
		})
	}
}

func TestRunHelp(t *testing.T) {
	code, stdout, stderr := runCmd(t, "-h")
	if code != exitOK {
		t.Fatalf("exit %d", code)
	}
	all := stdout + stderr
	for _, want := range []string{"Examples:", "--rate", "--hold", "msnbench run", "--no-probe",
		"no session succeeded", "130  interrupted"} {
		if !strings.Contains(all, want) {
			t.Errorf("help lacks %q", want)
		}
	}
}

func TestParseShard(t *testing.T) {
	tests := []struct {
		in, env string
		i, n    int
		ok      bool
	}{
		{"0/1", "", 0, 1, true}, {"2/4", "", 2, 4, true}, {"/4", "3", 3, 4, true}, {"/4", "", 0, 0, false},
		{"4/4", "", 0, 0, false}, {"-1/4", "", 0, 0, false}, {"1", "", 0, 0, false}, {"1/0", "", 0, 0, false},
	}
	for _, tc := range tests {
		i, n, err := parseShard(tc.in, tc.env)
		if (err == nil) != tc.ok || i != tc.i || n != tc.n {
			t.Errorf("parseShard(%q, %q) = %d, %d, %v", tc.in, tc.env, i, n, err)
		}
	}
}

// TestRunSIGINT builds the binary, starts an endless run, interrupts it and
// checks that it ends on its own with a complete report.
func TestRunSIGINT(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	dir := t.TempDir()
	bin := filepath.Join(dir, "msnbench")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	js := filepath.Join(dir, "run.json")
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, "run", "-c", "8", "-d", "1h", "--timeout", "3s", "--progress", "50ms",
		"-o", js)
	var stdout bytes.Buffer
	cmd.Stdout = &stdout
	errPipe, err := cmd.StderrPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	// Wait for progress lines showing finished logins, then interrupt.
	sc := bufio.NewScanner(errPipe)
	var seen []string
	for sc.Scan() {
		line := sc.Text()
		seen = append(seen, line)
		if strings.Contains(line, " ok ") && !strings.Contains(line, " ok 0 ") {
			break
		}
	}
	if err := cmd.Process.Signal(syscall.SIGINT); err != nil {
		t.Fatal(err)
	}
	go func() { // keep draining stderr
		for sc.Scan() {
		}
	}()
	err = cmd.Wait()
	if ctx.Err() != nil {
		t.Fatalf("msnbench did not end after SIGINT; stderr so far:\n%s", strings.Join(seen, "\n"))
	}
	if code := cmd.ProcessState.ExitCode(); code != exitInterrupted {
		t.Fatalf("exit %d (%v), want %d\nstdout:\n%s", code, err, exitInterrupted, stdout.String())
	}
	run := decodeRun(t, js)
	checkBooks(t, run)
	if !run.Interrupted || !strings.Contains(stdout.String(), "INTERRUPTED") {
		t.Errorf("the reports do not say the run was interrupted: %v\n%s", run.Interrupted, stdout.String())
	}
	if run.Counts.OK == 0 {
		t.Errorf("no successful logins in the report: %+v", run.Counts)
	}
	// Sessions in flight at the interrupt are cut, not failed.
	if len(run.Errors) != 0 || run.Counts.Failed != 0 {
		t.Errorf("errors %+v after a clean interrupt", run.Errors)
	}
	for _, e := range run.Cuts {
		if e.Class != "cut" {
			t.Errorf("cut %+v has class %q, want cut", e, e.Class)
		}
	}
	if !strings.Contains(stdout.String(), "login") {
		t.Errorf("no text report:\n%s", stdout.String())
	}
}

func TestRunUsersFile(t *testing.T) {
	dir := t.TempDir()
	users := filepath.Join(dir, "users.txt")
	if err := os.WriteFile(users, []byte("# test accounts\nann@example.com,pw-a\nbea@example.com,pw-b\n"+
		"cat@example.com,pw-c\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	js := filepath.Join(dir, "run.json")
	code, stdout, stderr := runCmd(t, "-c", "3", "-n", "9", "--quiet", "--users", users, "-o", js)
	if code != exitOK {
		t.Fatalf("exit %d\n%s\n%s", code, stdout, stderr)
	}
	run := decodeRun(t, js)
	if run.Counts.OK != 9 || run.Config.UsersFile != users || run.Config.Accounts != 3 {
		t.Errorf("counts %+v config %+v", run.Counts, run.Config)
	}
	b, _ := os.ReadFile(js)
	if strings.Contains(string(b), "pw-a") {
		t.Error("a password from the users file is in the report")
	}
}

func TestFormatLive(t *testing.T) {
	var l loadgen.Live
	l.Elapsed = 2500 * time.Millisecond
	l.State = "running"
	l.OK, l.Failed, l.Inflight, l.Held, l.Dropped = 1000, 3, 50, 20, 2
	l.LoginP99 = 1234 * time.Microsecond
	l.Left = 7500 * time.Millisecond
	l.LastErrors[0] = "ns.usr.s/auth-fail/911"
	got := formatLive(l, 0)
	for _, want := range []string{"2.5s", "400 logins/s", "ok 1000", "failed 3", "in flight 50", "held 20",
		"dropped 2", "login p99 1.23ms", "left 8s", "ns.usr.s/auth-fail/911"} {
		if !strings.Contains(got, want) {
			t.Errorf("status line %q lacks %q", got, want)
		}
	}
	if isTerminal(&bytes.Buffer{}) {
		t.Error("a buffer is not a terminal")
	}
}

// TestRunPingZero: --ping 0 sends no PNG at all while holding (it used to
// mean the 60 s default); some servers close the connection on PNG.
func TestRunPingZero(t *testing.T) {
	js := filepath.Join(t.TempDir(), "run.json")
	code, stdout, stderr := runCmd(t, "-c", "2", "--hold", "200ms", "--ping", "0", "--quiet", "-o", js)
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	run := decodeRun(t, js)
	if run.Config.Ping != 0 || run.Phase("ping") != nil {
		t.Fatalf("ping %v, ping phase %+v: want no PNG", run.Config.Ping, run.Phase("ping"))
	}
	if !strings.Contains(stdout, "hold 200ms no ping") {
		t.Errorf("text report does not say there was no ping:\n%s", stdout)
	}
}

// TestRunChatEmbedded: --chat-every starts the built-in server with its
// switchboard; the report has the chat phases and counts, and --slo reads
// msg.deliver like any phase.
func TestRunChatEmbedded(t *testing.T) {
	js := filepath.Join(t.TempDir(), "run.json")
	code, stdout, stderr := runCmd(t, "-c", "6", "--hold", "800ms", "--ping", "0", "--chat-every", "100ms",
		"--quiet", "-o", js, "--slo", "msg.deliver:p99<10s,msg.ack:max<10s")
	if code != exitOK {
		t.Fatalf("exit %d\nstdout:\n%s\nstderr:\n%s", code, stdout, stderr)
	}
	run := decodeRun(t, js)
	checkBooks(t, run)
	if run.Chat == nil || run.Chat.Sent == 0 || run.Chat.Lost != 0 || len(run.ChatErrors) != 0 {
		t.Fatalf("chat %+v errors %+v", run.Chat, run.ChatErrors)
	}
	if run.Config.ChatEvery != report.Duration(100*time.Millisecond) {
		t.Errorf("config chat_every %v", run.Config.ChatEvery)
	}
	for _, want := range []string{"sb.joi", "msg.deliver", "chat: ", "chat every 100ms"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("%q not in the report:\n%s", want, stdout)
		}
	}
}
