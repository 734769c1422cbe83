//go:build !unix

package loadgen

import "math"

// raiseNoFile reports no limit: Windows has no per-process limit on open
// sockets (memory and the ephemeral port range bound them instead).
func raiseNoFile() (uint64, error) { return math.MaxInt32, nil }
