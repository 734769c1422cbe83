package report_test

import (
	"bytes"
	"strings"
	"testing"

	"github.com/msnbench/msnbench/report"
)

// TestHints: 911 for some sessions while others succeed with the same
// password points at accounts the server does not know (issue 10 item 16);
// 911 for every session at the password.
func TestHints(t *testing.T) {
	for _, tt := range []struct {
		name   string
		errs   []report.ErrorCount
		ok     int64
		users  string
		want   string // "" for no hint
		reject string
	}{
		{"no errors", nil, 10, "", "", ""},
		{"no 911", []report.ErrorCount{{Phase: "ds.connect", Class: "refused", Count: 3}}, 10, "", "", ""},
		{"some 911", []report.ErrorCount{{Phase: "ns.usr.i", Class: "auth-fail", Code: 911, Count: 2},
			{Phase: "ns.usr.s", Class: "auth-fail", Code: 911, Count: 1}}, 5, "",
			"911 (authentication failed) for 3 sessions while 5 succeeded with the same password: the server may know fewer accounts than this run used (--accounts 8, --user-pattern u%d@x)", ""},
		{"all 911", []report.ErrorCount{{Phase: "ns.usr.s", Class: "auth-fail", Code: 911, Count: 8}}, 0, "",
			"911 (authentication failed) for every session: the password is wrong", "fewer accounts"},
		{"users file", []report.ErrorCount{{Phase: "ns.usr.s", Class: "auth-fail", Code: 911, Count: 1}}, 7, "users.csv",
			"911 (authentication failed) for 1 session while 7 succeeded: the server may not know some accounts of users.csv", ""},
	} {
		run := &report.Run{Errors: tt.errs, Counts: report.Counts{OK: tt.ok},
			Config: report.Config{Accounts: 8, UserPattern: "u%d@x", UsersFile: tt.users}}
		got := strings.Join(report.Hints(run), "\n")
		if tt.want == "" && got != "" || !strings.Contains(got, tt.want) || tt.reject != "" && strings.Contains(got, tt.reject) {
			t.Errorf("%s: hints %q, want %q", tt.name, got, tt.want)
		}
		if tt.want == "" {
			continue
		}
		for _, format := range []string{"text", "html"} {
			var b bytes.Buffer
			if err := report.Write(&b, format, run); err != nil {
				t.Fatalf("%s: %v", format, err)
			}
			if !strings.Contains(strings.Join(strings.Fields(b.String()), " "), tt.want[:60]) {
				t.Errorf("%s: the %s report lacks the hint %q", tt.name, format, tt.want[:60])
			}
		}
	}
}

func TestSwitchboardHint(t *testing.T) {
	for _, tc := range []struct {
		errs []report.ErrorCount
		want string
	}{
		{nil, ""},
		{[]report.ErrorCount{{Phase: "msg.ack", Class: "timeout", Count: 3}}, ""},
		{[]report.ErrorCount{{Phase: "sb.xfr", Class: "unavailable", Code: 502, Count: 200}}, "no switchboard for 200 users"},
		{[]report.ErrorCount{{Phase: "sb.xfr", Class: "server-other", Code: 913, Count: 1}}, "913 for XFR SB (1 user)"},
	} {
		got := strings.Join(report.Hints(&report.Run{ChatErrors: tc.errs}), "\n")
		if (tc.want == "") != (got == "") || !strings.Contains(got, tc.want) {
			t.Errorf("errors %+v: hints %q, want %q", tc.errs, got, tc.want)
		}
	}
}
