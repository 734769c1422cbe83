package report

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"strconv"
	"time"

	"github.com/msnbench/msnbench/msnp"
)

// MarshalJSON writes d as a Go duration string ("1.5s"), which people can
// read and edit in a saved run.
func (d Duration) MarshalJSON() ([]byte, error) {
	return strconv.AppendQuote(nil, time.Duration(d).String()), nil
}

// UnmarshalJSON reads a Go duration string, or a number of nanoseconds for
// tools that write plain integers.
func (d *Duration) UnmarshalJSON(b []byte) error {
	if len(b) > 0 && b[0] == '"' {
		var s string
		if err := json.Unmarshal(b, &s); err != nil {
			return err
		}
		v, err := time.ParseDuration(s)
		if err != nil {
			return fmt.Errorf("duration: %w", err)
		}
		*d = Duration(v)
		return nil
	}
	var n float64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("duration: want a string like \"1.5s\" or nanoseconds, got %.20s", b)
	}
	if n > math.MaxInt64 || n < math.MinInt64 || math.IsNaN(n) {
		return fmt.Errorf("duration: %v ns out of range", n)
	}
	*d = Duration(n)
	return nil
}

// String returns d in Go duration form.
func (d Duration) String() string { return time.Duration(d).String() }

// maxRunBytes bounds what Decode reads: a day of one-second intervals for
// every phase is well below it, a runaway or hostile file is not.
const maxRunBytes = 1 << 30

// Encode writes run as indented JSON. A zero Schema is set to SchemaVersion.
func Encode(w io.Writer, run *Run) error {
	c := *run
	if c.Schema == 0 {
		c.Schema = SchemaVersion
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(&c); err != nil {
		return fmt.Errorf("encode run: %w", err)
	}
	return nil
}

// ErrNewerSchema is wrapped by Decode for a run written by a newer msnbench.
var ErrNewerSchema = errors.New("run was written by a newer msnbench")

// Decode reads one Run written by Encode and validates it (see Validate). It
// refuses a schema newer than SchemaVersion rather than misreading it.
func Decode(r io.Reader) (*Run, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxRunBytes+1))
	if err != nil {
		return nil, fmt.Errorf("read run: %w", err)
	}
	if len(data) > maxRunBytes {
		return nil, fmt.Errorf("read run: larger than %d bytes", maxRunBytes)
	}
	// Look at the schema before the full decode, so a newer file gets the
	// clear error rather than whatever field it changed.
	var head struct {
		Schema *int `json:"schema"`
	}
	if err := json.Unmarshal(data, &head); err != nil {
		return nil, fmt.Errorf("decode run: %w", err)
	}
	switch {
	case head.Schema == nil:
		return nil, errors.New("decode run: no \"schema\" field; not an msnbench run")
	case *head.Schema > SchemaVersion:
		return nil, fmt.Errorf("decode run: schema %d: %w (this one reads schema %d); upgrade msnbench",
			*head.Schema, ErrNewerSchema, SchemaVersion)
	case *head.Schema < 1:
		return nil, fmt.Errorf("decode run: invalid schema %d", *head.Schema)
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	var run Run
	if err := dec.Decode(&run); err != nil {
		return nil, fmt.Errorf("decode run: %w", err)
	}
	if dec.More() {
		return nil, errors.New("decode run: trailing data after the run")
	}
	// Runs written before Limited existed said only Saturated.
	run.Health.Limited = run.Health.Limited || run.Health.Saturated
	if err := run.Validate(); err != nil {
		return nil, err
	}
	run.splitOldCuts()
	return &run, nil
}

// splitOldCuts moves the sessions a run written before "cut" existed
// counted as failures of class "canceled" to Counts.Cut and Cuts, so an
// old run is read with today's meaning: they were not the server's
// failures. (Its series still counts them as failed.)
func (r *Run) splitOldCuts() {
	var errs []ErrorCount
	for _, e := range r.Errors {
		if e.Class != "canceled" {
			errs = append(errs, e)
			continue
		}
		e.Class = msnp.ClassCanceled.String()
		r.Cuts = append(r.Cuts, e)
		r.Counts.Cut += e.Count
		r.Counts.Failed = max(r.Counts.Failed-e.Count, 0)
		r.Counts.Attempted = max(r.Counts.Attempted-e.Count, 0)
	}
	if len(errs) != len(r.Errors) {
		if errs == nil {
			errs = []ErrorCount{}
		}
		r.Errors = errs
	}
}

// Validate checks what writers and merge rely on: known schema, non-negative
// counts, unique phase names, decodable whole-run histograms of the Run
// geometry, finite non-negative times. Interval histograms are decoded
// lazily by the writers, which report errors in them.
func (r *Run) Validate() error {
	bad := func(format string, a ...any) error {
		return fmt.Errorf("invalid run: "+format, a...)
	}
	if r.Schema < 1 || r.Schema > SchemaVersion {
		return bad("schema %d (want 1..%d)", r.Schema, SchemaVersion)
	}
	c := r.Counts
	if c.Attempted < 0 || c.OK < 0 || c.Failed < 0 || c.Dropped < 0 || c.Warmup < 0 || c.Cut < 0 {
		return bad("negative counts")
	}
	if r.Config.Interval < 0 {
		return bad("negative interval %v", r.Config.Interval)
	}
	for i, e := range r.Errors {
		if e.Count < 0 {
			return bad("error %d has a negative count", i)
		}
	}
	seen := make(map[string]bool, len(r.Phases))
	for i := range r.Phases {
		p := &r.Phases[i]
		if p.Name == "" {
			return bad("phase %d has no name", i)
		}
		if seen[p.Name] {
			return bad("phase %q appears twice", p.Name)
		}
		seen[p.Name] = true
		if _, err := decodePacked(p.Hist); err != nil {
			return bad("phase %s: %v", p.Name, err)
		}
		for j, iv := range p.Intervals {
			if !finiteNonNeg(iv.Start) {
				return bad("phase %s interval %d: start %v", p.Name, j, iv.Start)
			}
		}
	}
	for i, d := range r.Deliveries {
		if d.Expected < 0 || d.Lost < 0 || d.Duplicate < 0 || d.Lost > d.Expected {
			return bad("deliveries %d (%s): counts %d expected, %d lost, %d duplicated", i, d.Phase,
				d.Expected, d.Lost, d.Duplicate)
		}
	}
	for i, pt := range r.Series {
		if !finiteNonNeg(pt.T) {
			return bad("series point %d: t %v", i, pt.T)
		}
	}
	if r.Shard.Count < 0 || r.Shard.Index < 0 || (r.Shard.Count > 1 && r.Shard.Index >= r.Shard.Count) {
		return bad("shard %d/%d", r.Shard.Index, r.Shard.Count)
	}
	return nil
}

func finiteNonNeg(f float64) bool { return f >= 0 && !math.IsInf(f, 0) && !math.IsNaN(f) }
