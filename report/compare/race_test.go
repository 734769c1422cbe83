//go:build race

package compare

// raceEnabled shrinks the statistical tests under the race detector: they
// are single-goroutine number crunching, so -race finds nothing in them and
// would only make them ten times slower.
const raceEnabled = true
