package main

import (
	"bytes"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/msnbench/msnbench/loadgen"
)

func busyLive() loadgen.Live {
	var l loadgen.Live
	l.Elapsed = 2500 * time.Millisecond
	l.State = "running"
	l.OK, l.Failed, l.Inflight, l.Held, l.Dropped, l.Cut = 1000, 3, 50, 20, 2, 4
	l.LoginP99 = 1234 * time.Microsecond
	l.Left = 7500 * time.Millisecond
	l.LastErrors[0] = "ns.usr.s/auth-fail/911"
	return l
}

// TestFormatLiveWidths: the status line fits the terminal's width,
// dropping the least important fields first (issue 10 item 17: about 110
// columns wrapped on an 80-column terminal, adding a line every 250 ms).
func TestFormatLiveWidths(t *testing.T) {
	l := busyLive()
	for _, tt := range []struct {
		width      int
		want, lack []string
	}{
		{40, []string{"ok 1000", "failed 3", "logins/s"}, []string{"top error"}},
		{80, []string{"2.5s", "logins/s", "ok 1000", "failed 3", "dropped 2", "login p99 1.23ms"}, []string{"top error"}},
		{200, []string{"2.5s", "running", "400 logins/s", "ok 1000", "failed 3", "cut 4", "in flight 50", "held 20",
			"dropped 2", "login p99 1.23ms", "left 8s", "top error ns.usr.s/auth-fail/911"}, nil},
	} {
		got := formatLive(l, tt.width)
		t.Logf("width %3d: %s", tt.width, got)
		if n := utf8.RuneCountInString(got); n > tt.width {
			t.Errorf("width %d: %d columns: %q", tt.width, n, got)
		}
		for _, w := range tt.want {
			if !strings.Contains(got, w) {
				t.Errorf("width %d: %q lacks %q", tt.width, got, w)
			}
		}
		for _, w := range tt.lack {
			if strings.Contains(got, w) {
				t.Errorf("width %d: %q keeps %q before more important fields", tt.width, got, w)
			}
		}
	}
	if full := formatLive(l, 0); full != formatLive(l, 200) {
		t.Errorf("width 0 (unknown) should be the whole line: %q", full)
	}
	if got := formatLive(l, 5); utf8.RuneCountInString(got) > 5 {
		t.Errorf("width 5: %q", got)
	}
}

// TestProgressFitsTerminal: on a terminal the line is rewritten in place
// and fits one column short of the width; elsewhere whole lines.
func TestProgressFitsTerminal(t *testing.T) {
	eng, err := loadgen.New(loadgen.Config{Target: "127.0.0.1:1", Concurrency: 1, Logins: 1, Accounts: 1,
		UserPattern: "u%d@x", Password: "pw"})
	if err != nil {
		t.Fatal(err)
	}
	var term bytes.Buffer
	p := &progress{w: &term, width: func() int { return 30 }, tty: true, eng: eng}
	p.print()
	line := term.String()
	if !strings.HasPrefix(line, "\r") || !strings.HasSuffix(line, "\x1b[K") {
		t.Fatalf("terminal line %q: want \\r...\\x1b[K", line)
	}
	if n := utf8.RuneCountInString(strings.TrimSuffix(line[1:], "\x1b[K")); n > 29 {
		t.Errorf("terminal line of %d columns for a width of 30: %q", n, line)
	}
	var log bytes.Buffer
	p = startProgress(&log, eng, time.Hour)
	p.stop()
	if p.tty {
		t.Error("a buffer is treated as a terminal")
	}
}

// TestTerminalWidth: a file that is no terminal has no width but what
// $COLUMNS says.
func TestTerminalWidth(t *testing.T) {
	f, err := os.Create(filepath.Join(t.TempDir(), "log"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	t.Setenv("COLUMNS", "")
	if n := terminalWidth(f); n != 0 {
		t.Errorf("width of a file: %d", n)
	}
	t.Setenv("COLUMNS", "77")
	if n := terminalWidth(f); n != 77 {
		t.Errorf("width with COLUMNS=77: %d", n)
	}
}

// TestFormatLivePresence: with --status-every the line shows the timed
// and lost notifications.
func TestFormatLivePresence(t *testing.T) {
	l := busyLive()
	if got := formatLive(l, 0); strings.Contains(got, "presence") {
		t.Errorf("no status changes, yet %q", got)
	}
	l.Presence, l.PresenceLost = 2530, 3
	if got := formatLive(l, 0); !strings.Contains(got, "presence 2530 lost 3") {
		t.Errorf("%q lacks the presence counts", got)
	}
}

// TestFormatLiveChat: with --chat-every the line shows the messages that
// arrived and those lost, next to presence; on a narrow terminal they go
// before the counts of logins (issue 14).
func TestFormatLiveChat(t *testing.T) {
	l := busyLive()
	if got := formatLive(l, 0); strings.Contains(got, "msg ") {
		t.Errorf("no chat, yet %q", got)
	}
	l.Presence, l.PresenceLost = 2530, 3
	l.Messages, l.MessagesLost = 17394, 2
	full := formatLive(l, 0)
	if !strings.Contains(full, "msg 17394 lost 2") || !strings.Contains(full, "presence 2530 lost 3") {
		t.Errorf("%q lacks the chat or presence counts", full)
	}
	for _, width := range []int{40, 80, 120, 160} {
		got := formatLive(l, width)
		if n := utf8.RuneCountInString(got); n > width {
			t.Errorf("width %d: %d columns: %q", width, n, got)
		}
		if !strings.Contains(got, "ok 1000") || !strings.Contains(got, "failed 3") {
			t.Errorf("width %d: %q dropped the login counts before chat", width, got)
		}
		if strings.Contains(got, "msg ") && !strings.Contains(got, "presence ") {
			t.Errorf("width %d: %q kept messages but not presence", width, got)
		}
	}
}
