//go:build linux

package loadgen

import "testing"

// TestProcFigures: the run-queue wait and the machine's CPU times are read
// on Linux, and sensibly.
func TestProcFigures(t *testing.T) {
	ns, ok := runQueueWait()
	if !ok || ns < 0 {
		t.Errorf("run-queue wait %d, ok %v", ns, ok)
	}
	m, ok := machineTimes()
	if !ok || m.cpus < 1 || m.total <= 0 || m.idle < 0 || m.idle > m.total || m.steal < 0 || m.steal > m.total {
		t.Errorf("machine times %+v, ok %v", m, ok)
	}
	u0 := takeUsage()
	u1 := takeUsage()
	if !u0.runqOK || !u1.runqOK || u1.runq < u0.runq || u1.mach.total < u0.mach.total {
		t.Errorf("usage not monotone: %+v then %+v", u0, u1)
	}
}
