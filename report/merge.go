package report

import (
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"math"
	"slices"
	"sort"
	"strconv"
	"strings"
	"time"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
)

// Merge joins runs made by several generators at once (the shards of one
// sharded run, DESIGN.md §7) into one Run, exactly: histograms are added
// bucket by bucket and their summaries recomputed, intervals are aligned by
// absolute time (Run.Start + Interval.Start, on the interval grid of the
// earliest start) and added per phase, the series is summed per aligned
// interval, counts and errors are summed. Start is the earliest start, End
// the latest end.
//
// The Config is the first part's: a sharded run's parts all record the
// settings of the whole run (--rate, -c, -n are totals that each shard
// divides), and a part whose load settings differ is named in a warning.
// Machine describes the combined generators (CPUs summed, host names
// joined). Health adds CPU time, GC counts and pauses and dropped starts,
// keeps the maxima of maxima and utilisation, and is saturated when any
// part was.
//
// Merge refuses runs that do not belong together, with an error that says
// why: different schema, target, steps, dialects or interval, shard groups
// or counts that differ, sharded and unsharded parts mixed, or the same
// shard index twice (also through already merged parts). Unsharded runs
// (Shard.Count 0 or 1) merge too, as independent generators of one test.
// It refuses as well a run given twice (the same run ID, also inside an
// already merged part) and parts started with different settings: the
// parts of one run differ only in their shard index (and so their share of
// the rate and their range of accounts) and in what belongs to their
// machine (source addresses, I/O engine, timestamps, a lowered
// --max-inflight), which only a warning names. Those refusals wrap
// ErrNotOneRun; MergeOptions.Force turns them into warnings.
func Merge(runs ...*Run) (*Run, error) { return MergeOptions{}.Merge(runs...) }

// ErrNotOneRun is wrapped by the errors of Merge for runs that are not the
// parts of one run (a part given twice, another configuration, another
// shard group, ...), which MergeOptions.Force can override.
var ErrNotOneRun = errors.New("these runs do not belong together")

// MergeOptions are the options of a merge.
type MergeOptions struct {
	// Force merges runs that Merge refuses with ErrNotOneRun, naming each
	// problem in a warning that starts with ForcedPrefix. Runs whose
	// histograms cannot be added up (another schema or interval length, a
	// shard index outside the shard count) are refused still.
	Force bool
}

// ForcedPrefix starts the warnings of a forced merge.
const ForcedPrefix = "forced merge: "

// Merge is Merge with these options.
func (o MergeOptions) Merge(runs ...*Run) (*Run, error) {
	if len(runs) == 0 {
		return nil, errors.New("merge: no runs")
	}
	for i, r := range runs {
		if r == nil {
			return nil, fmt.Errorf("merge: run %d is nil", i+1)
		}
	}
	parts, forced, err := checkMergeable(runs, o.Force)
	if err != nil {
		return nil, err
	}
	first := runs[0]
	out := &Run{
		Schema:  SchemaVersion,
		Tool:    first.Tool,
		Config:  first.Config,
		Machine: mergeMachine(runs),
		Shard:   first.Shard,
	}
	out.PartIDs = mergedIDs(runs)
	out.ID = derivedID(out.PartIDs)
	out.Config.Steps = slices.Clone(first.Config.Steps)
	for _, r := range runs {
		if out.Label == "" {
			out.Label = r.Label
		}
		if !r.Start.IsZero() && (out.Start.IsZero() || r.Start.Before(out.Start)) {
			out.Start = r.Start
		}
		if r.End.After(out.End) {
			out.End = r.End
		}
		if !r.Shard.At.IsZero() && (out.Shard.At.IsZero() || r.Shard.At.Before(out.Shard.At)) {
			out.Shard.At = r.Shard.At
		}
		out.Counts.Attempted += r.Counts.Attempted
		out.Counts.OK += r.Counts.OK
		out.Counts.Failed += r.Counts.Failed
		out.Counts.Dropped += r.Counts.Dropped
		out.Counts.HoldLost += r.Counts.HoldLost
		out.Counts.Warmup += r.Counts.Warmup
		out.Interrupted = out.Interrupted || r.Interrupted
		out.Counts.Cut += r.Counts.Cut
		if c := r.Chat; c != nil {
			if out.Chat == nil {
				out.Chat = &Chat{}
			}
			out.Chat.add(c)
		}
	}
	if parts != nil {
		out.Shard.Index = 0
		out.Shard.Parts = parts
	}
	out.Errors = mergeErrors(runs, func(r *Run) []ErrorCount { return r.Errors })
	out.HoldErrors = mergeErrors(runs, func(r *Run) []ErrorCount { return r.HoldErrors })
	if len(out.HoldErrors) == 0 {
		out.HoldErrors = nil
	}
	out.ChatErrors = mergeErrors(runs, func(r *Run) []ErrorCount { return r.ChatErrors })
	if len(out.ChatErrors) == 0 {
		out.ChatErrors = nil
	}
	out.ErrorTexts = mergeErrorTexts(runs)
	out.Deliveries = MergeDeliveries(runs)
	out.Cuts = mergeErrors(runs, func(r *Run) []ErrorCount { return r.Cuts })
	if len(out.Cuts) == 0 {
		out.Cuts = nil
	}

	iv := first.Interval()
	offsets := make([]time.Duration, len(runs)) // each run's start after out.Start
	for i, r := range runs {
		if !r.Start.IsZero() {
			offsets[i] = r.Start.Sub(out.Start)
		}
	}
	out.Measured = Span{}
	for i, r := range runs {
		if r.Measured.Seconds() == 0 {
			continue
		}
		from, to := offsets[i].Seconds()+r.Measured.From, offsets[i].Seconds()+r.Measured.To
		if out.Measured.Seconds() == 0 {
			out.Measured = Span{From: from, To: to}
			continue
		}
		out.Measured.From, out.Measured.To = min(out.Measured.From, from), max(out.Measured.To, to)
	}
	if out.Phases, err = mergePhases(runs, offsets, iv); err != nil {
		return nil, err
	}
	out.Series = mergeSeries(runs, offsets, iv)
	out.Health = mergeHealth(runs)
	if lag := out.Phase(SchedLag.String()); lag != nil {
		out.Health.SchedLagP50Us = lag.Summary.P50 // exact from the merged histogram
		out.Health.SchedLagP99Us = lag.Summary.P99
		out.Health.SchedLagMaxUs = max(out.Health.SchedLagMaxUs, lag.Summary.Max)
	}
	out.Health.ReadLagMeanUs, out.Health.ReadLagShare = out.ReadLag() // exact from the merged histograms
	for _, f := range forced {
		out.Health.Warnings = append(out.Health.Warnings, ForcedPrefix+f)
	}
	for i, r := range runs[1:] {
		if d := machineDiff(&first.Config, &r.Config); d != "" {
			out.Health.Warnings = append(out.Health.Warnings,
				fmt.Sprintf("run %d was started with a different %s than run 1; the report shows run 1's", i+2, d))
		}
	}
	for i, r := range runs[1:] {
		if r.Tool != first.Tool {
			out.Health.Warnings = append(out.Health.Warnings,
				fmt.Sprintf("parts were made by different versions: %q and %q (part %d)", first.Tool, r.Tool, i+2))
			break
		}
	}
	if parts != nil && out.Shard.Count > 1 && len(parts) < out.Shard.Count {
		out.Health.Warnings = append(out.Health.Warnings,
			fmt.Sprintf("merged %d of %d shards: the result covers only part of the load", len(parts), out.Shard.Count))
	}
	return out, nil
}

// mergedIDs is the sorted set of the parts' run IDs.
func mergedIDs(runs []*Run) []string {
	var ids []string
	for _, r := range runs {
		ids = append(ids, runIDs(r)...)
	}
	slices.Sort(ids)
	return slices.Compact(ids)
}

// derivedID is a merged run's ID: the same parts give the same ID.
func derivedID(ids []string) string {
	sum := sha256.Sum256([]byte(strings.Join(ids, ",")))
	return hex.EncodeToString(sum[:16])
}

// NewRunID returns a fresh run ID: 128 random bits in hex.
func NewRunID() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on supported platforms
	return hex.EncodeToString(b[:])
}

func mergeMachine(runs []*Run) Machine {
	m := runs[0].Machine
	m.NumCPU, m.GOMAXPROCS = 0, 0
	var hosts []string
	for _, r := range runs {
		m.NumCPU += r.Machine.NumCPU
		m.GOMAXPROCS += r.Machine.GOMAXPROCS
		if h := r.Machine.Hostname; h != "" && !slices.Contains(hosts, h) {
			hosts = append(hosts, h)
		}
	}
	m.Hostname = strings.Join(hosts, ",")
	return m
}

// phaseOrder sorts phase names in Phase order, unknown names after, by name.
func phaseOrder(a, b string) bool {
	pa, oka := ParsePhase(a)
	pb, okb := ParsePhase(b)
	switch {
	case oka && okb:
		return pa < pb
	case oka != okb:
		return oka
	}
	return a < b
}

// mergeErrors sums one error table (chosen by table) over runs.
func mergeErrors(runs []*Run, table func(*Run) []ErrorCount) []ErrorCount {
	type key struct {
		phase, class, detail string
		code                 int
	}
	sum := map[key]int64{}
	for _, r := range runs {
		for _, e := range table(r) {
			sum[key{e.Phase, e.Class, e.Detail, e.Code}] += e.Count
		}
	}
	out := make([]ErrorCount, 0, len(sum))
	for k, n := range sum {
		out = append(out, ErrorCount{Phase: k.phase, Class: k.class, Code: k.code, Detail: k.detail, Count: n})
	}
	sort.Slice(out, func(i, j int) bool {
		a, b := out[i], out[j]
		switch {
		case a.Count != b.Count:
			return a.Count > b.Count
		case a.Phase != b.Phase:
			return phaseOrder(a.Phase, b.Phase)
		case a.Class != b.Class:
			return a.Class < b.Class
		case a.Code != b.Code:
			return a.Code < b.Code
		}
		return a.Detail < b.Detail
	})
	return out
}

// alignedIndex returns the index, on the merged run's grid, of the interval
// starting start seconds after a run that began offset after the merged one.
func alignedIndex(offset time.Duration, start float64, iv time.Duration) int64 {
	return int64(math.Round((offset.Seconds() + start) / iv.Seconds()))
}

func mergePhases(runs []*Run, offsets []time.Duration, iv time.Duration) ([]PhaseResult, error) {
	var names []string
	for _, r := range runs {
		for _, p := range r.Phases {
			if !slices.Contains(names, p.Name) {
				names = append(names, p.Name)
			}
		}
	}
	sort.Slice(names, func(i, j int) bool { return phaseOrder(names[i], names[j]) })

	acc := newPackedHist() // reused: one histogram at a time, however long the run
	out := make([]PhaseResult, 0, len(names))
	for _, name := range names {
		acc.Reset()
		type piece struct {
			k    int64
			hist string
		}
		var pieces []piece
		for i, r := range runs {
			p := r.Phase(name)
			if p == nil {
				continue
			}
			if err := mergeInto(acc, p.Hist); err != nil {
				return nil, fmt.Errorf("merge: run %d phase %s: %w", i+1, name, err)
			}
			for _, in := range p.Intervals {
				pieces = append(pieces, piece{alignedIndex(offsets[i], in.Start, iv), in.Hist})
			}
		}
		res := PhaseResult{Name: name, Summary: SummaryOf(acc)}
		var err error
		if res.Hist, err = encodePacked(acc); err != nil {
			return nil, fmt.Errorf("merge: phase %s: %w", name, err)
		}
		sort.SliceStable(pieces, func(i, j int) bool { return pieces[i].k < pieces[j].k })
		for i := 0; i < len(pieces); {
			k := pieces[i].k
			acc.Reset()
			for ; i < len(pieces) && pieces[i].k == k; i++ {
				if err := mergeInto(acc, pieces[i].hist); err != nil {
					return nil, fmt.Errorf("merge: phase %s interval %d: %w", name, k, err)
				}
			}
			enc, err := encodePacked(acc)
			if err != nil {
				return nil, fmt.Errorf("merge: phase %s: %w", name, err)
			}
			res.Intervals = append(res.Intervals, Interval{Start: float64(k) * iv.Seconds(), Hist: enc})
		}
		out = append(out, res)
	}
	return out, nil
}

// mergeInto adds the encoded histogram s to acc.
func mergeInto(acc *hdrhistogram.PackedHistogram, s string) error {
	p, err := decodePacked(s)
	if err != nil {
		return err
	}
	if dropped := acc.Merge(p); dropped != 0 {
		return fmt.Errorf("%d values could not be merged", dropped)
	}
	return nil
}

func mergeSeries(runs []*Run, offsets []time.Duration, iv time.Duration) []Point {
	sum := map[int64]*Point{}
	for i, r := range runs {
		for _, pt := range r.Series {
			k := alignedIndex(offsets[i], pt.T, iv)
			s := sum[k]
			if s == nil {
				s = &Point{T: float64(k) * iv.Seconds()}
				sum[k] = s
			}
			s.Started += pt.Started
			s.OK += pt.OK
			s.Failed += pt.Failed
			s.Cut += pt.Cut
			s.Inflight += pt.Inflight
			s.Held += pt.Held
			s.Dropped += pt.Dropped
			for c, n := range pt.FailedByClass {
				if s.FailedByClass == nil {
					s.FailedByClass = map[string]int64{}
				}
				s.FailedByClass[c] += n
			}
		}
	}
	out := make([]Point, 0, len(sum))
	for _, p := range sum {
		out = append(out, *p)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].T < out[j].T })
	return out
}

func mergeHealth(runs []*Run) Health {
	var h Health
	for i, r := range runs {
		x := &r.Health
		h.CPUUserSec += x.CPUUserSec
		h.CPUSysSec += x.CPUSysSec
		h.CPUUtil = max(h.CPUUtil, x.CPUUtil)
		h.NumGC += x.NumGC
		h.GCPauseTotal += x.GCPauseTotal
		h.GCPauseMax = max(h.GCPauseMax, x.GCPauseMax)
		h.SchedLagP99Us = max(h.SchedLagP99Us, x.SchedLagP99Us)
		h.SchedLagMaxUs = max(h.SchedLagMaxUs, x.SchedLagMaxUs)
		h.Dropped += x.Dropped
		h.PeakInflight += x.PeakInflight // peaks need not coincide: an upper bound
		h.BackoffTotal += x.BackoffTotal
		h.Backoffs += x.Backoffs
		h.Saturated = h.Saturated || x.Saturated
		h.MachineBusy = h.MachineBusy || x.MachineBusy
		h.Limited = h.Limited || x.Limited || x.Saturated
		h.Cores = max(h.Cores, x.Cores)
		h.RunQueueKnown = x.RunQueueKnown && (i == 0 || h.RunQueueKnown)
		h.RunQueueSec += x.RunQueueSec
		h.MachineCPU = max(h.MachineCPU, x.MachineCPU)
		h.OtherCPU = max(h.OtherCPU, x.OtherCPU)
		h.Steal = max(h.Steal, x.Steal)
		name := "run " + strconv.Itoa(i+1)
		if p := shardParts(r); len(p) == 1 {
			name = "shard " + strconv.Itoa(p[0])
		}
		for _, w := range x.Warnings {
			h.Warnings = append(h.Warnings, name+": "+w)
		}
	}
	return h
}
