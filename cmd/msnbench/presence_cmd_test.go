package main

import (
	"flag"
	"strings"
	"testing"
)

// TestStatusEveryFlags: --status-every gives the built-in server 10
// contacts per account unless --server-contacts says otherwise, and the
// start line says what the held users do.
func TestStatusEveryFlags(t *testing.T) {
	for _, tc := range []struct {
		args []string
		want int
	}{
		{[]string{"--hold", "15s", "--status-every", "3s"}, defaultStatusContacts},
		{[]string{"--hold", "15s", "--status-every", "3s", "--server-contacts", "0"}, 0},
		{[]string{"--hold", "15s", "--status-every", "3s", "--server-contacts", "4"}, 4},
		{[]string{"--hold", "15s"}, 0},
	} {
		fs := flag.NewFlagSet("run", flag.ContinueOnError)
		f := newRunFlags(fs)
		if err := fs.Parse(append(tc.args, "-c", "200", "--password", "pw")); err != nil {
			t.Fatal(err)
		}
		set := map[string]bool{}
		fs.Visit(func(fl *flag.Flag) { set[fl.Name] = true })
		if err := f.resolve(set); err != nil {
			t.Fatal(err)
		}
		if f.serverContacts != tc.want {
			t.Errorf("%q: %d server contacts, want %d", tc.args, f.serverContacts, tc.want)
		}
		d := describe(f.cfg, "ds")
		if every := f.cfg.StatusEvery > 0; every != strings.Contains(d, "changing its status every 3s") {
			t.Errorf("%q: %q", tc.args, d)
		}
	}
}
