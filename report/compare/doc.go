// Package compare judges one side of runs (B) against another (A): for
// every phase and percentile the change B/A − 1 with a confidence interval
// and a verdict, the failure rates and the lost notifications on their own,
// and whether B regressed (the exit code of a CI gate). It reads
// report.Runs only (saved ones, or the rounds of `msnbench compare --run`),
// and package report never imports it.
//
// The design, in brief (Compare's documentation has the details):
//
//   - Each percentile is read from a side's pooled histogram (package
//     report/internal/dist flattens it). Its uncertainty comes from the
//     best evidence the runs give: the spread between runs when a side has
//     several (Student's t on their degrees of freedom), the spread of the
//     pairs' ratios when the runs were taken side by side (Options.Paired:
//     the intersection of Student's t and a rank interval, each at half the
//     level, so that one stalled round cannot widen it), a block bootstrap over a single run's
//     time batches, or, with nothing better, the exact bootstrap of the
//     values; never narrower than the noise of the values themselves.
//   - Intervals are normal on the log scale of B/A and Bonferroni-adjusted
//     over every judged percentile of every phase, so an A/A comparison is
//     called different with probability at most 1 − Confidence. A change
//     counts only beyond Threshold. Latency verdicts that rest on one run per
//     side are indicative, and those of a run the generator limited are
//     inconclusive; neither counts for Regressed.
//   - Failure rates and the shares of lost or duplicated notifications are
//     differences of proportions (the Agresti–Caffo interval) and always
//     count.
//
// Where to look: compare.go the options, result types and Compare;
// estimate.go each percentile's estimate and variance; batch.go the
// within-run block bootstrap; rank.go the paired interval; stats.go the
// bootstrap of a quantile and the critical values; verdict.go intervals and
// verdicts; delivery.go lost notifications. seq.go is the sequential plan of
// `msnbench compare --run` (Sequential: the error rate spent over repeated
// looks with an O'Brien–Fleming-type function; login p50's share with
// group-sequential boundaries, gs.go, the rest with the union bound). The
// writers print a Comparison: text.go (text, Markdown, JSON), html.go with compare.tmpl and
// forest.go (the HTML page, built on the report's page templates), junit.go.
package compare
