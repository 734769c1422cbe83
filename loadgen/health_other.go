//go:build !linux

package loadgen

// Without /proc neither the run-queue wait nor the machine's CPU times are
// known: the verdict then rests on the generator's own figures.
func runQueueWait() (int64, bool) { return 0, false }

func machineTimes() (machTimes, bool) { return machTimes{}, false }
