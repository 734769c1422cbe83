package report

import "github.com/msnbench/msnbench/msnp"

// Sample is the fixed-size record of one finished session: no pointers, no
// strings, so producing and recording it allocates nothing. Times are
// nanoseconds since the run's start (monotonic).
type Sample struct {
	Intended int64 // when the scheduler meant to start the session (= Start in closed model)
	Start    int64 // when it actually started (first dial)
	End      int64 // when it finished (success or failure)

	// Dur holds each measured phase's duration in nanoseconds; Have has bit
	// 1<<phase set for every phase that was measured. Ping and Qry, which
	// repeat during hold, are recorded with Recorder.RecordValue instead.
	Dur  [NumPhases]int64
	Have uint32

	Class     msnp.Class  // ClassNone for a successful session
	FailPhase Phase       // the phase the failure happened in
	Code      uint16      // the server's error code, if any
	Detail    msnp.Detail // the OUT reason or the protocol rule broken, if any
	Warmup    bool        // started during warm-up: counted, not recorded in histograms
}

// Set records duration d (nanoseconds) for phase p.
func (s *Sample) Set(p Phase, d int64) {
	s.Dur[p] = d
	s.Have |= 1 << p
}

// Has reports whether phase p was measured.
func (s *Sample) Has(p Phase) bool { return s.Have&(1<<p) != 0 }

// OK reports whether the session succeeded.
func (s *Sample) OK() bool { return s.Class == msnp.ClassNone }
