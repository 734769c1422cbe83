package testwait

import (
	"fmt"
	"sync/atomic"
	"testing"
	"time"
)

// recorder is a testing.TB that keeps what Errorf was given.
type recorder struct {
	testing.TB
	msg string
}

func (r *recorder) Helper() {}
func (r *recorder) Errorf(format string, args ...any) {
	r.msg = fmt.Sprintf(format, args...)
}

func TestUntilHolds(t *testing.T) {
	var n atomic.Int32
	go func() {
		for range 3 {
			n.Add(1)
		}
	}()
	r := &recorder{TB: t}
	if !Until(r, time.Minute, "three", func() (bool, string) { return n.Load() == 3, "" }) || r.msg != "" {
		t.Fatalf("Until = false, %q", r.msg)
	}
}

func TestUntilReportsTheCondition(t *testing.T) {
	r := &recorder{TB: t}
	if Until(r, 0, "nothing", func() (bool, string) { return false, "2 open" }) {
		t.Fatal("Until held a condition that never holds")
	}
	if r.msg != "timed out waiting for nothing: 2 open" {
		t.Fatalf("message %q", r.msg)
	}
}
