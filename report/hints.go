package report

import (
	"strconv"
	"strings"
)

// Hints returns what the figures of run suggest to check, in plain words,
// for the text and HTML reports: why sessions got 911, why held users
// could not chat.
func Hints(run *Run) []string {
	var hints []string
	if h := authHint(run); h != "" {
		hints = append(hints, h)
	}
	if h := switchboardHint(run); h != "" {
		hints = append(hints, h)
	}
	return hints
}

// switchboardHint explains sb.xfr failures: XFR SB refused or unanswered
// means no chat at all for those users (their sessions stay held).
func switchboardHint(run *Run) string {
	var n, hidden int64
	for _, e := range run.ChatErrors {
		if e.Phase == SBXfr.String() {
			n += e.Count
			if e.Code == 913 {
				hidden += e.Count
			}
		}
	}
	if n == 0 {
		return ""
	}
	users := strconv.FormatInt(n, 10) + " users"
	if n == 1 {
		users = "1 user"
	}
	if hidden == n {
		return "913 for XFR SB (" + users + "): the server does not give hidden users (HDN, or before their " +
			"first CHG) a switchboard; chat needs --status NLN and the chg step. Their sessions stayed held, " +
			"without chat"
	}
	return "no switchboard for " + users + " (XFR SB refused, not understood or not answered; see chat " +
		"failures): the server runs none, or has it turned off (msnbench serve: --sb, not --sb off). Their " +
		"sessions stayed held, without chat"
}

// authHint explains 911 (authentication failed). When some sessions logged
// in with the same password and others got 911, the likely cause is
// accounts the server does not know: a run with more --accounts than the
// server has (msnbench serve --accounts), not a wrong password.
func authHint(run *Run) string {
	var n int64
	for _, e := range run.Errors {
		if e.Code == 911 {
			n += e.Count
		}
	}
	if n == 0 {
		return ""
	}
	c := &run.Config
	sessions := strconv.FormatInt(n, 10) + " sessions"
	if n == 1 {
		sessions = "1 session"
	}
	switch {
	case run.Counts.OK == 0 && c.UsersFile != "":
		return "911 (authentication failed) for every session: the passwords in " + c.UsersFile +
			" are wrong, or the server does not know these accounts"
	case run.Counts.OK == 0:
		return "911 (authentication failed) for every session: the password is wrong, or the server does not " +
			"know these accounts (" + accountsDesc(c) + ")"
	case c.UsersFile != "":
		return "911 (authentication failed) for " + sessions + " while " + strconv.FormatInt(run.Counts.OK, 10) +
			" succeeded: the server may not know some accounts of " + c.UsersFile + ", or their passwords differ"
	}
	return "911 (authentication failed) for " + sessions + " while " + strconv.FormatInt(run.Counts.OK, 10) +
		" succeeded with the same password: the server may know fewer accounts than this run used (" +
		accountsDesc(c) + "); msnbench serve knows as many as its --accounts"
}

func accountsDesc(c *Config) string {
	var s []string
	if c.Accounts > 0 {
		s = append(s, "--accounts "+strconv.Itoa(c.Accounts))
	}
	if c.UserPattern != "" {
		s = append(s, "--user-pattern "+c.UserPattern)
	}
	if len(s) == 0 {
		return "generated accounts"
	}
	return strings.Join(s, ", ")
}

// wrapText breaks s into lines of at most width bytes at spaces.
func wrapText(s string, width int) []string {
	var lines []string
	for len(s) > width {
		i := strings.LastIndexByte(s[:width+1], ' ')
		if i <= 0 {
			break
		}
		lines = append(lines, s[:i])
		s = s[i+1:]
	}
	return append(lines, s)
}
