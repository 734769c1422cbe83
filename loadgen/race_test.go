//go:build race

package loadgen

// raceEnabled skips the memory measurements under the race detector: its
// shadow memory is in every figure they take, and the paths they drive run
// in the other tests too.
const raceEnabled = true
