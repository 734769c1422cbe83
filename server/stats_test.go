package server

import (
	"strings"
	"testing"
)

func TestStatsTextDelay(t *testing.T) {
	s := Stats{ConnsAccepted: 3, Delayed: 4, DelayLateNanos: 8000}
	if got := s.String(); !strings.HasPrefix(got, "conns=3 ") || !strings.HasSuffix(got, " delayed=4 late_us=2") {
		t.Errorf("stats line %q: want the delayed count and the mean lateness at the end", got)
	}
	s.Delayed, s.DelayLateNanos = 0, 0
	if got := s.String(); strings.Contains(got, "delayed=") {
		t.Errorf("stats line %q names delays where there were none", got)
	}
}
