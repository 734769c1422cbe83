package report

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
)

// WriteCSV writes the per-interval series, one row per interval: t (seconds
// since start), started, ok, failed, inflight, dropped, held (sessions
// logged in and being held, --hold; inflight does not count them), then p50
// and p99 in
// µs of every phase the run has, empty where a phase had no value in that
// interval. Plain numbers, no units, for spreadsheets and scripts.
func WriteCSV(w io.Writer, run *Run) error {
	cw := csv.NewWriter(w)
	header := []string{"t", "started", "ok", "failed", "inflight", "dropped", "held"}
	const fixed = 7 // the columns before the phases
	for _, p := range run.Phases {
		header = append(header, p.Name+".p50_us", p.Name+".p99_us")
	}
	if err := cw.Write(header); err != nil {
		return err
	}

	// Per phase, interval index -> [p50, p99]. Decoding one interval at a
	// time in the sparse form keeps memory small for long runs.
	iv := run.Interval()
	type pq [2]int64
	cols := make([]map[int64]pq, len(run.Phases))
	for i, p := range run.Phases {
		cols[i] = make(map[int64]pq, len(p.Intervals))
		for _, in := range p.Intervals {
			h, err := decodePacked(in.Hist)
			if err != nil {
				return fmt.Errorf("csv: phase %s interval at %gs: %w", p.Name, in.Start, err)
			}
			cols[i][intervalIndex(in.Start, iv)] = pq{h.ValueAtPercentile(50), h.ValueAtPercentile(99)}
		}
	}

	row := make([]string, len(header))
	for _, pt := range run.Series {
		row[0] = strconv.FormatFloat(pt.T, 'f', -1, 64)
		row[1] = strconv.FormatInt(pt.Started, 10)
		row[2] = strconv.FormatInt(pt.OK, 10)
		row[3] = strconv.FormatInt(pt.Failed, 10)
		row[4] = strconv.FormatInt(pt.Inflight, 10)
		row[5] = strconv.FormatInt(pt.Dropped, 10)
		row[6] = strconv.FormatInt(pt.Held, 10)
		k := intervalIndex(pt.T, iv)
		for i := range run.Phases {
			v, ok := cols[i][k]
			row[fixed+2*i], row[fixed+1+2*i] = "", ""
			if ok {
				row[fixed+2*i] = strconv.FormatInt(v[0], 10)
				row[fixed+1+2*i] = strconv.FormatInt(v[1], 10)
			}
		}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
