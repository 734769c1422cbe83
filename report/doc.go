// Package report holds the result of a run and everything that reads it.
//
// A Run (run.go) is a plain, JSON-tagged record of one run: its
// configuration, counts, error table, one HdrHistogram per phase (phase.go)
// and per-interval histograms, all in one geometry (hist.go) so that they
// add exactly. It is the single source of truth: every writer is a pure
// function of a Run, so a report made from a saved .json is the report the
// run printed.
//
// Where to look:
//
//   - Recording while a run is in progress: Sample (sample.go) is the fixed
//     record of one session; Recorder (recorder.go) turns Samples into a Run,
//     striped by lock so that workers do not share one; interval.go is what
//     it publishes each interval (the live line, the metrics endpoint).
//   - Writers, one format per file, registered by name (writers.go): text.go,
//     json.go, markdown.go, html.go (+ html_time.go, html_*.tmpl and
//     html_style.css; HTMLTemplates gives another page the same look),
//     csv.go, hgrm.go, hlog.go, junit.go. The plots and the formatting of
//     values are package report/internal/viz; the flattened distribution
//     they read percentiles from is report/internal/dist.
//   - Reading a Run: access.go, health.go, hints.go, failures.go.
//   - Combining and judging runs: merge.go and merge_check.go (the parts of
//     a sharded run, exactly), slo.go (thresholds). Comparing runs (B
//     against A with confidence intervals) is package report/compare, which
//     imports report; report never imports it.
//
// report never imports loadgen: the load generator feeds it Samples, and the
// command line reads Runs back from files.
package report
