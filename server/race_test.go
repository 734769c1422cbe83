//go:build race

package server

// raceEnabled scales load tests down under the race detector, which allows
// at most 8128 goroutines.
const raceEnabled = true
