package main

// Passwords reach msnbench through --password, --password-file,
// $MSNBENCH_PASSWORD and users files. DESIGN.md §3: never printed, never
// written into reports. These tests run whole commands through mainArgs
// with a distinctive password and look for it, in several encodings, in
// stdout, stderr, every report file written, error messages, and on the
// wire (where only md5(challenge‖password) may go).

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"net"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/msnbench/msnbench/internal/hostile"
	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/server"
)

const secret = "s3cr3t-Pa55-XYZ"

// secretForms are the ways the password could show up if something
// printed or encoded it.
var secretForms = func() map[string]string {
	b := []byte(secret)
	return map[string]string{
		"plain":         secret,
		"lower":         strings.ToLower(secret),
		"base64":        base64.StdEncoding.EncodeToString(b),
		"base64-raw":    base64.RawStdEncoding.EncodeToString(b),
		"base64-url":    base64.RawURLEncoding.EncodeToString(b),
		"hex":           hex.EncodeToString(b),
		"quoted-prefix": strconv.Quote(secret)[:12], // %q of a truncated value
		"middle":        secret[3:12],               // a partial print or a mask gone wrong
	}
}()

// secretLeaks returns the forms of the password found in data, with some
// context for each.
func secretLeaks(data []byte) []string {
	var found []string
	for name, form := range secretForms {
		if i := bytes.Index(data, []byte(form)); i >= 0 {
			lo, hi := max(i-60, 0), min(i+len(form)+60, len(data))
			found = append(found, name+" at byte "+strconv.Itoa(i)+": …"+strconv.Quote(string(data[lo:hi]))+"…")
		}
	}
	return found
}

// assertNoSecret fails if any form of the password occurs in data.
func assertNoSecret(t *testing.T, where string, data []byte) {
	t.Helper()
	for _, f := range secretLeaks(data) {
		t.Errorf("%s contains the password (%s)", where, f)
	}
}

// TestSecretLeaksDetects makes sure the detector itself would notice.
func TestSecretLeaksDetects(t *testing.T) {
	for _, form := range secretForms {
		if len(secretLeaks([]byte("password: "+form+"\n"))) == 0 {
			t.Errorf("%q not detected", form)
		}
	}
	clean := []byte(`{"config":{"user_pattern":"user%d@example.com","timeout":"10s"}} md5 ` +
		"0123456789abcdef0123456789abcdef")
	if f := secretLeaks(clean); len(f) != 0 {
		t.Errorf("false positive: %v", f)
	}
}

// cliResult is what one mainArgs call produced.
type cliResult struct {
	code           int
	stdout, stderr []byte
	outDir         string
}

// runCLI runs msnbench with args, writing every report format this build
// has into a fresh directory, and checks that no output mentions the
// password.
func runCLI(t *testing.T, args ...string) cliResult {
	t.Helper()
	r := cliResult{outDir: t.TempDir()}
	if len(args) > 0 && args[0] == "run" {
		args = append(args, reportFlags(t, r.outDir)...)
	}
	var stdout, stderr bytes.Buffer
	done := make(chan int, 1)
	go func() { done <- mainArgs(args, &stdout, &stderr) }()
	select {
	case r.code = <-done:
	case <-time.After(2 * time.Minute):
		t.Fatalf("msnbench %q did not finish", args)
	}
	r.stdout, r.stderr = stdout.Bytes(), stderr.Bytes()
	assertNoSecret(t, "stdout", r.stdout)
	assertNoSecret(t, "stderr", r.stderr)
	ents, err := os.ReadDir(r.outDir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join(r.outDir, e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		assertNoSecret(t, e.Name(), b)
	}
	return r
}

// reportFlags asks for every report file format this build can write.
func reportFlags(t *testing.T, dir string) []string {
	var flags []string
	for _, f := range []struct{ flag, format, name string }{
		{"-o", "json", "run.json"}, {"--html", "html", "run.html"}, {"--hlog", "hlog", "run.hlog"},
		{"--hgrm", "hgrm", "run.hgrm"}, {"--csv", "csv", "run.csv"},
	} {
		if _, ok := report.Lookup(f.format); !ok {
			t.Logf("report format %s not in this build: not checked", f.format)
			continue
		}
		flags = append(flags, f.flag, filepath.Join(dir, f.name))
	}
	return flags
}

// readRun decodes the JSON report a run wrote.
func readRun(t *testing.T, r cliResult) *report.Run {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(r.outDir, "run.json"))
	if err != nil {
		t.Fatalf("no JSON report: %v\nstderr:\n%s", err, r.stderr)
	}
	var run report.Run
	if err := json.Unmarshal(b, &run); err != nil {
		t.Fatal(err)
	}
	return &run
}

// runArgs are the common flags of a short run: a few logins, progress
// lines as often as possible so they are checked too.
func runArgs(extra ...string) []string {
	return append([]string{"run", "-n", "6", "-c", "2", "--timeout", "10s", "--progress", "10ms",
		"--label", "secrets-test"}, extra...)
}

func newReference(t *testing.T, cfg server.Config) *server.Server {
	t.Helper()
	if cfg.DSAddr == "" {
		cfg.DSAddr = "127.0.0.1:0"
	}
	srv, err := server.New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { srv.Close() })
	return srv
}

// writeSecretFile writes content into a file outside every output
// directory (it is the one place the password may be).
func writeSecretFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o600); err != nil {
		t.Fatal(err)
	}
	return p
}

// wantCounts checks how the logins ended, so each test is known to have
// gone down the path it is about (success, auth-fail, refused).
func wantCounts(t *testing.T, r cliResult, ok int64, class string) {
	t.Helper()
	want := exitOK
	if ok == 0 {
		want = exitFail // no session succeeded
	}
	if r.code != want {
		t.Fatalf("exit code %d, want %d; stderr:\n%s", r.code, want, r.stderr)
	}
	run := readRun(t, r)
	if run.Counts.OK != ok {
		t.Errorf("%d logins succeeded, want %d (errors %+v)", run.Counts.OK, ok, run.Errors)
	}
	if class != "" {
		found := false
		for _, e := range run.Errors {
			found = found || e.Class == class
		}
		if !found {
			t.Errorf("no %s errors in the report: %+v", class, run.Errors)
		}
	}
}

func TestSecretPasswordFlagEmbedded(t *testing.T) {
	// The built-in server takes the same password, so the logins succeed.
	r := runCLI(t, runArgs("--password", secret)...)
	wantCounts(t, r, 6, "")
}

func TestSecretPasswordFile(t *testing.T) {
	srv := newReference(t, server.Config{Accounts: 8, Password: secret})
	pf := writeSecretFile(t, "password", secret+"\nsecond line ignored\n")
	r := runCLI(t, runArgs("--target", srv.Addr(), "--accounts", "8", "--password-file", pf)...)
	wantCounts(t, r, 6, "")
}

func TestSecretPasswordEnv(t *testing.T) {
	srv := newReference(t, server.Config{Accounts: 8, Password: secret})
	t.Setenv("MSNBENCH_PASSWORD", secret)
	r := runCLI(t, runArgs("--target", srv.Addr(), "--accounts", "8")...)
	wantCounts(t, r, 6, "")
}

func TestSecretUsersFile(t *testing.T) {
	var users strings.Builder
	for i := range 8 {
		users.WriteString("user" + strconv.Itoa(i) + "@example.com," + secret + "\n")
	}
	uf := writeSecretFile(t, "users.csv", users.String())
	srv := newReference(t, server.Config{UsersFile: uf})
	r := runCLI(t, runArgs("--target", srv.Addr(), "--users", uf)...)
	wantCounts(t, r, 6, "")
}

// A wrong password: every login fails with 911 (auth-fail), and neither
// the failure messages nor the error table may quote the password.
func TestSecretWrongPassword(t *testing.T) {
	srv := newReference(t, server.Config{Accounts: 8, Password: "the-right-one"})
	for _, src := range []string{"flag", "file", "env"} {
		t.Run(src, func(t *testing.T) {
			args := runArgs("--target", srv.Addr(), "--accounts", "8")
			switch src {
			case "flag":
				args = append(args, "--password", secret)
			case "file":
				args = append(args, "--password-file", writeSecretFile(t, "pw", secret))
			case "env":
				t.Setenv("MSNBENCH_PASSWORD", secret)
			}
			// The probe login fails first and says why: without the password.
			if r := runCLI(t, args...); r.code != exitUsage || !bytes.Contains(r.stderr, []byte("911")) {
				t.Fatalf("probe: exit %d, want %d; stderr:\n%s", r.code, exitUsage, r.stderr)
			}
			r := runCLI(t, append(args, "--no-probe")...)
			wantCounts(t, r, 0, msnp.ClassAuthFail.String())
		})
	}
}

// Nothing listens at the target: every login fails at ds.connect.
func TestSecretRefused(t *testing.T) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	t.Setenv("MSNBENCH_PASSWORD", secret)
	r := runCLI(t, runArgs("--target", addr, "--accounts", "8", "--no-probe")...)
	wantCounts(t, r, 0, msnp.ClassRefused.String())
}

// Setup errors (exit 2) print messages; none may quote the password.
func TestSecretSetupErrors(t *testing.T) {
	pf := writeSecretFile(t, "pw", secret)
	bad := writeSecretFile(t, "users.csv", "user0@example.com,"+secret+"\nnot an email,"+secret+"\n")
	for _, args := range [][]string{
		runArgs("--target", "127.0.0.1:1", "--password", secret, "--password-file", pf),
		runArgs("--target", "127.0.0.1:1", "--users", bad),
		runArgs("--target", "127.0.0.1:1", "--password", secret, "--status", "FLN"),
		runArgs("--target", "127.0.0.1:1", "--password", secret, "--user-pattern", "no-verb"),
		runArgs("--target", "127.0.0.1:1", "--password", secret, "--dialects", "MSNP9"),
		runArgs("--target", "127.0.0.1:1", "--password", secret, "-c", "5", "--accounts", "1"),
		runArgs("--password", secret, "extra", "args"),
		{"run", "--password", secret, "--no-such-flag"},
	} {
		r := runCLI(t, args...)
		if r.code == exitOK {
			t.Errorf("msnbench %q: exit 0, want a setup error", args[1:])
		}
	}
	// Help prints the flags' defaults, never the values given.
	runCLI(t, "run", "--password="+secret, "-h")
}

// On the wire the client may send md5(challenge‖password), never the
// password itself.
func TestSecretNotOnTheWire(t *testing.T) {
	srv, err := hostile.New(hostile.Script{})
	if err != nil {
		t.Fatal(err)
	}
	defer srv.Close()
	t.Setenv("MSNBENCH_PASSWORD", secret)
	r := runCLI(t, runArgs("--target", srv.Addr(), "--accounts", "8")...)
	wantCounts(t, r, 6, "")
	wire := srv.Received()
	var hash [32]byte
	msnp.LoginHash(&hash, []byte("1013928519.693957190"), []byte(secret))
	if !bytes.Contains(wire, hash[:]) {
		t.Fatalf("the login hash %s is not on the wire: is this the right transcript?\n%s", hash, wire)
	}
	assertNoSecret(t, "what the client sent", wire)
}

// Reports re-rendered later from the JSON file stay clean too.
func TestSecretRerenderedReports(t *testing.T) {
	c, ok := commands["report"]
	if !ok {
		t.Skip("no report command in this build yet")
	}
	r := runCLI(t, runArgs("--password", secret)...)
	wantCounts(t, r, 6, "")
	for _, format := range report.Formats() {
		var stdout, stderr bytes.Buffer
		code := c.run(context.Background(), []string{"--format", format, filepath.Join(r.outDir, "run.json")},
			&stdout, &stderr)
		if code != exitOK {
			t.Errorf("report --format %s: exit %d: %s", format, code, stderr.Bytes())
		}
		assertNoSecret(t, "report --format "+format, stdout.Bytes())
		assertNoSecret(t, "report --format "+format+" (stderr)", stderr.Bytes())
	}
}

// syncBuffer is a bytes.Buffer safe for a command writing while the test
// reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) Bytes() []byte {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]byte(nil), s.b.Bytes()...)
}

// The server side: msnbench serve with the password from the flag or the
// environment prints its banner, counters and logs; rejected and accepted
// logins against it must not make it print the password either.
func TestSecretServe(t *testing.T) {
	for _, src := range []string{"flag", "env"} {
		t.Run(src, func(t *testing.T) {
			args := []string{"--ds", "127.0.0.1:0", "--ns", "127.0.0.1:0", "--accounts", "8", "--stats-every", "10ms"}
			if src == "flag" {
				args = append(args, "--password", secret)
			} else {
				t.Setenv("MSNBENCH_PASSWORD", secret)
			}
			ctx, cancel := context.WithCancel(context.Background())
			defer cancel()
			var stdout, stderr syncBuffer
			done := make(chan int, 1)
			go func() { done <- commands["serve"].run(ctx, args, &stdout, &stderr) }()
			var ds string
			deadline := time.Now().Add(time.Minute)
			for ds == "" {
				if time.Now().After(deadline) {
					t.Fatalf("no listening line; stderr:\n%s", stderr.Bytes())
				}
				line, _, _ := bytes.Cut(stdout.Bytes(), []byte("\n"))
				if f := strings.Fields(string(line)); len(f) > 1 && strings.HasPrefix(f[1], "ds=") {
					ds = strings.TrimPrefix(f[1], "ds=")
				}
				time.Sleep(5 * time.Millisecond)
			}
			// One run with the right password, one with a wrong one (the
			// client's own outputs are checked by runCLI).
			t.Setenv("MSNBENCH_PASSWORD", secret)
			wantCounts(t, runCLI(t, runArgs("--target", ds, "--accounts", "8")...), 6, "")
			t.Setenv("MSNBENCH_PASSWORD", "not-the-password")
			wantCounts(t, runCLI(t, runArgs("--target", ds, "--accounts", "8", "--no-probe")...), 0,
				msnp.ClassAuthFail.String())
			cancel()
			select {
			case code := <-done:
				if code != exitOK {
					t.Errorf("serve exited %d; stderr:\n%s", code, stderr.Bytes())
				}
			case <-time.After(time.Minute):
				t.Fatal("serve did not stop")
			}
			if !bytes.Contains(stdout.Bytes(), []byte("stopped")) {
				t.Errorf("serve printed no final counters:\n%s", stdout.Bytes())
			}
			assertNoSecret(t, "serve stdout", stdout.Bytes())
			assertNoSecret(t, "serve stderr", stderr.Bytes())
		})
	}
}
