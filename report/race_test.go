//go:build race

package report_test

// raceEnabled shrinks the slow tests under the race detector: -race finds
// nothing in single-goroutine rendering and would only make them slower.
const raceEnabled = true
