// Package testwait is the tests' one way to wait for something another
// goroutine or process makes true (a server that counts a logout, a
// connection the kernel closes) when there is no event to wait on: it polls
// the condition until it holds. The bound is a guard against a hang, not a
// timing assertion: a test passes as soon as the condition holds, however
// busy the machine.
package testwait

import (
	"testing"
	"time"
)

// poll is how often the condition is looked at.
const poll = 5 * time.Millisecond

// Until polls cond until it holds and reports true, or, once bound has
// passed, reports the failure with t.Errorf (what and cond's last message)
// and returns false.
func Until(t testing.TB, bound time.Duration, what string, cond func() (bool, string)) bool {
	t.Helper()
	deadline := time.Now().Add(bound)
	for {
		ok, msg := cond()
		if ok {
			return true
		}
		if time.Now().After(deadline) {
			if msg != "" {
				t.Errorf("timed out waiting for %s: %s", what, msg)
			} else {
				t.Errorf("timed out waiting for %s", what)
			}
			return false
		}
		time.Sleep(poll)
	}
}
