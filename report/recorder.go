package report

import "time"

// Recorder turns Samples into a Run's histograms, interval series, counts and
// error table while a run is in progress.
//
// It is sharded: a worker always records into the shard it was given (for
// example its index modulo the number of shards), and each shard has its own
// lock and its own histograms, so no lock is shared by all workers and
// recording allocates nothing. Tick, called once per interval by a single
// goroutine, closes the interval: it folds every shard's interval histograms
// into one per phase, encodes it, and resets them.
//
// Values are recorded in microseconds, 1 µs .. 10 min, 3 significant digits
// (larger values are clamped to the maximum and counted).
type Recorder struct {
	impl recorderImpl
}

// NewRecorder returns a Recorder with n shards (at least 1) whose series
// intervals last interval (1s if zero).
func NewRecorder(n int, interval time.Duration) *Recorder { return newRecorder(n, interval) }

// Started counts one session start at time at (ns since run start), for the
// series and the in-flight count.
func (r *Recorder) Started(shard int, at int64) { r.impl.started(shard, at) }

// Dropped counts one start that was due at time at but could not be issued.
func (r *Recorder) Dropped(shard int, at int64) { r.impl.dropped(shard, at) }

// Record records one finished session.
func (r *Recorder) Record(shard int, s *Sample) { r.impl.record(shard, s) }

// RecordValue records one repeated measurement (Ping, Qry) of d nanoseconds
// taken at time at.
func (r *Recorder) RecordValue(shard int, p Phase, d, at int64) { r.impl.recordValue(shard, p, d, at) }

// Tick closes every interval that ended at or before now (ns since run
// start). Call it from one goroutine, once per interval.
func (r *Recorder) Tick(now int64) { r.impl.tick(now) }

// Live returns the counts so far and recent latency, cheaply enough for a
// progress line several times a second.
func (r *Recorder) Live() Live { return r.impl.live() }

// Finish closes the last interval at now and fills run's Counts, Errors,
// Phases and Series. The Recorder must not be used afterwards.
func (r *Recorder) Finish(run *Run, now int64) { r.impl.finish(run, now) }

// Live is a progress snapshot.
type Live struct {
	Elapsed    time.Duration
	Started    int64
	OK         int64
	Failed     int64
	Cut        int64 // sessions cut by the end of the run (not failures)
	Dropped    int64
	Inflight   int64
	Rate       float64       // successful logins per second over the last closed interval
	LoginP99   time.Duration // p99 of Login over the run so far (closed intervals)
	LastErrors [3]string     // most frequent error keys so far, "phase/class/code"
}
