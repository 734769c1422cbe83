package report

import "time"

// TEMPORARY placeholder so the tree compiles while the recorder is written.
// The report helper replaces this file with the real implementation.
type recorderImpl struct{}

func newRecorder(n int, interval time.Duration) *Recorder           { return &Recorder{} }
func (r *recorderImpl) started(shard int, at int64)                 {}
func (r *recorderImpl) dropped(shard int, at int64)                 {}
func (r *recorderImpl) record(shard int, s *Sample)                 {}
func (r *recorderImpl) recordValue(shard int, p Phase, d, at int64) {}
func (r *recorderImpl) tick(now int64)                              {}
func (r *recorderImpl) live() Live                                  { return Live{} }
func (r *recorderImpl) finish(run *Run, now int64)                  {}
