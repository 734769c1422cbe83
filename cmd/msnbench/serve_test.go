package main

import (
	"bufio"
	"context"
	"io"
	"net"
	"strings"
	"testing"
	"time"

	"github.com/msnbench/msnbench/msnp"
	"github.com/msnbench/msnbench/server"
)

func TestParsePhaseDelays(t *testing.T) {
	got, err := parsePhaseDelays("ns.usr.s=5ms, ns.syn=1s")
	if err != nil || len(got) != 2 || got[server.PhaseNSUSRS] != 5*time.Millisecond || got[server.PhaseSYN] != time.Second {
		t.Errorf("got %v, %v", got, err)
	}
	for _, bad := range []string{"ns.usr.s", "nope=1ms", "ns.syn=-1s", "ns.syn=fast"} {
		if _, err := parsePhaseDelays(bad); err == nil {
			t.Errorf("parsePhaseDelays(%q) succeeded", bad)
		}
	}
}

func TestServeFlagErrors(t *testing.T) {
	for _, args := range [][]string{
		{"--dialects", "MSNP9"},
		{"--phase-delay", "x"},
		{"--error-phases", "nowhere"},
		{"--users", "/nonexistent/users.txt"},
		{"--ns", "not-an-address"},
		{"--error-rate", "0.5", "--error-code", "7"},
		{"extra"},
		{"--no-such-flag"},
	} {
		var stderr strings.Builder
		if code := runServe(context.Background(), args, io.Discard, &stderr); code != exitUsage {
			t.Errorf("serve %q: exit %d, want %d (stderr %q)", args, code, exitUsage, stderr.String())
		}
	}
}

// TestServe starts `msnbench serve` on random ports, logs in through the
// printed dispatch address, waits for a counters line and stops it the way
// Ctrl-C does.
func TestServe(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	pr, pw := io.Pipe()
	exit := make(chan int, 1)
	go func() {
		exit <- runServe(ctx, []string{"--ds", "127.0.0.1:0", "--ns", "127.0.0.1:0", "--accounts", "3",
			"--password", "pw", "--contacts", "2", "--chl", "--stats-every", "20ms",
			"--stall-after", "1ms", "--stall-for", "1ms"}, pw, io.Discard)
		pw.Close()
	}()
	lines := make(chan string, 100)
	go func() {
		sc := bufio.NewScanner(pr)
		for sc.Scan() {
			select {
			case lines <- sc.Text():
			default: // the test stopped reading; keep draining
			}
		}
		close(lines)
	}()
	next := func() string {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatal("serve ended early")
			}
			return l
		case <-time.After(20 * time.Second):
			t.Fatal("no output from serve")
		}
		return ""
	}
	first := next()
	if !strings.HasPrefix(first, "listening ds=127.0.0.1:") || !strings.Contains(first, " ns=127.0.0.1:") ||
		!strings.Contains(first, "accounts=3") {
		t.Fatalf("first line %q", first)
	}
	ds := strings.Fields(first)[1][len("ds="):]
	if err := serveLogin(ds, "user1@example.com", "pw"); err != nil {
		t.Fatalf("login through %s: %v", ds, err)
	}
	stalled := false
	for {
		l := next()
		stalled = stalled || l == "stall 1ms"
		if stalled && strings.HasPrefix(l, "stats ") && strings.Contains(l, " logins=1 ") {
			break
		}
	}
	cancel()
	for l := range lines {
		if strings.HasPrefix(l, "stopped ") {
			if !strings.Contains(l, " logins=1 ") {
				t.Errorf("final line %q", l)
			}
			if code := <-exit; code != exitOK {
				t.Errorf("exit %d", code)
			}
			return
		}
	}
	t.Fatal("no stopped line")
}

// serveLogin is a minimal login: VER, INF, USR I, XFR, and the same on the
// notification server up to USR OK.
func serveLogin(addr, email, password string) error {
	for hop := 0; hop < 2; hop++ {
		nc, err := net.DialTimeout("tcp", addr, 10*time.Second)
		if err != nil {
			return err
		}
		defer nc.Close()
		nc.SetDeadline(time.Now().Add(20 * time.Second))
		rd := msnp.NewReader(nc, msnp.FromServer, 0)
		xchg := func(line string) (*msnp.Command, error) {
			if _, err := nc.Write([]byte(line + "\r\n")); err != nil {
				return nil, err
			}
			return rd.Next()
		}
		if _, err := xchg("VER 1 MSNP7 CVR0"); err != nil {
			return err
		}
		if _, err := xchg("INF 2"); err != nil {
			return err
		}
		r, err := xchg("USR 3 MD5 I " + email)
		if err != nil {
			return err
		}
		if r.Is("XFR") {
			addr = string(r.Arg(1))
			continue
		}
		var h [32]byte
		msnp.LoginHash(&h, r.Arg(2), []byte(password))
		ok, err := xchg("USR 4 MD5 S " + string(h[:]))
		if err != nil {
			return err
		}
		if string(ok.Arg(0)) != "OK" {
			return &net.AddrError{Err: "no USR OK: " + string(ok.Line), Addr: addr}
		}
		return nil
	}
	return io.ErrUnexpectedEOF
}

// TestServeWarnsOffLoopback: a listener that is reachable from other
// machines is said so on stderr; a loopback one is not.
func TestServeWarnsOffLoopback(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // serve starts listening, warns, and stops at once
	for _, tt := range []struct {
		args []string
		want []string
	}{
		{[]string{"--ns", "127.0.0.1:0", "--ds", "127.0.0.1:0"}, nil},
		{[]string{"--ns", "0.0.0.0:0"}, []string{"--ns listener "}},
		{[]string{"--ds", ":0", "--ns", "127.0.0.1:0"}, []string{"--ds listener "}},
		{[]string{"--ns", "127.0.0.1:0", "--sb", "0.0.0.0:0"}, []string{"--sb listener "}},
	} {
		var stderr strings.Builder
		if code := runServe(ctx, append(tt.args, "--accounts", "1", "--stats-every", "0"), io.Discard, &stderr); code != exitOK {
			t.Fatalf("serve %q: exit %d (%s)", tt.args, code, stderr.String())
		}
		got := stderr.String()
		if len(tt.want) == 0 && strings.Contains(got, "warning") {
			t.Errorf("serve %q warned: %q", tt.args, got)
		}
		for _, w := range tt.want {
			if !strings.Contains(got, "warning: the "+w) || !strings.Contains(got, "not on loopback") {
				t.Errorf("serve %q: stderr %q, want a warning about %q", tt.args, got, w)
			}
		}
	}
}

// TestServeSwitchboard: the switchboard listens on a loopback port by
// default and is named in the listening line; --sb off has none.
func TestServeSwitchboard(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel() // serve starts listening, prints its line, and stops at once
	for _, tt := range []struct {
		args []string
		want string
	}{
		{nil, " sb=127.0.0.1:"},
		{[]string{"--sb", "off"}, " sb=- "},
	} {
		var stdout, stderr strings.Builder
		args := append([]string{"--ns", "127.0.0.1:0", "--accounts", "1", "--stats-every", "0"}, tt.args...)
		if code := runServe(ctx, args, &stdout, &stderr); code != exitOK {
			t.Fatalf("serve %q: exit %d (%s)", args, code, stderr.String())
		}
		if first, _, _ := strings.Cut(stdout.String(), "\n"); !strings.Contains(first, tt.want) {
			t.Errorf("serve %q: listening line %q, want %q in it", args, first, tt.want)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:1863": true, "127.0.0.77:1": true, "[::1]:1863": true, "[::ffff:127.0.0.1]:1": true,
		"0.0.0.0:1863": false, "[::]:1863": false, "10.0.0.5:1863": false, "localhost:1863": false, "junk": false,
	} {
		if got := isLoopback(addr); got != want {
			t.Errorf("isLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}
