package report_test

import (
	"bufio"
	"bytes"
	"encoding/csv"
	"errors"
	"io"
	"math"
	"slices"
	"strconv"
	"strings"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/fixture"
)

func TestWritersGolden(t *testing.T) {
	closed, open := fixture.RecordedRun(t, false), fixture.RecordedRun(t, true)
	tests := []struct {
		format, golden string
		run            *report.Run
	}{
		{"text", "closed.txt", closed},
		{"text", "open.txt", open},
		{"csv", "closed.csv", closed},
		{"hgrm", "closed.hgrm", closed.OnlyPhases("login", "ns.usr.s")},
		{"json", "closed.json", closed},
	}
	for _, tt := range tests {
		t.Run(tt.golden, func(t *testing.T) {
			var buf bytes.Buffer
			if err := report.Write(&buf, tt.format, tt.run); err != nil {
				t.Fatal(err)
			}
			fixture.CheckGolden(t, tt.golden, buf.Bytes())
		})
	}
}

// TestCSVHeld: the CSV series has a held column with each interval's held
// sessions, by name (columns are read by their header).
func TestCSVHeld(t *testing.T) {
	run := fixture.RecordedRun(t, false)
	for i := range run.Series {
		run.Series[i].Held = int64(1000 + i)
	}
	var buf bytes.Buffer
	if err := report.WriteCSV(&buf, run); err != nil {
		t.Fatal(err)
	}
	rows, err := csv.NewReader(&buf).ReadAll()
	if err != nil {
		t.Fatal(err)
	}
	col := slices.Index(rows[0], "held")
	if col < 0 {
		t.Fatalf("no held column in %q", rows[0])
	}
	if len(rows) != len(run.Series)+1 {
		t.Fatalf("%d rows, want %d intervals and a header", len(rows), len(run.Series))
	}
	for i, r := range rows[1:] {
		if want := strconv.Itoa(1000 + i); r[col] != want {
			t.Errorf("interval %d: held %q, want %s", i, r[col], want)
		}
	}
}

func TestWritersDeterministic(t *testing.T) {
	a, b := fixture.RecordedRun(t, true), fixture.RecordedRun(t, true)
	for _, f := range []string{"text", "json", "csv", "hgrm", "hlog"} {
		var x, y bytes.Buffer
		if err := report.Write(&x, f, a); err != nil {
			t.Fatal(f, err)
		}
		if err := report.Write(&y, f, b); err != nil {
			t.Fatal(f, err)
		}
		if !bytes.Equal(x.Bytes(), y.Bytes()) {
			t.Errorf("%s: two identical runs render differently", f)
		}
	}
}

func TestWriteUnknownFormat(t *testing.T) {
	err := report.Write(io.Discard, "pdf", fixture.RecordedRun(t, false))
	if err == nil || !strings.Contains(err.Error(), "pdf") {
		t.Fatalf("got %v, want an unknown-format error", err)
	}
}

func TestJSONRoundTrip(t *testing.T) {
	run := fixture.RecordedRun(t, true)
	var buf bytes.Buffer
	if err := report.Encode(&buf, run); err != nil {
		t.Fatal(err)
	}
	got, err := report.Decode(&buf)
	if err != nil {
		t.Fatal(err)
	}
	var a, b bytes.Buffer
	_ = report.Encode(&a, run)
	_ = report.Encode(&b, got)
	if !bytes.Equal(a.Bytes(), b.Bytes()) {
		t.Fatal("run changed through encode/decode")
	}
	if !strings.Contains(a.String(), `"timeout": "10s"`) {
		t.Error("durations are not written as Go duration strings")
	}
}

func TestDecodeRefuses(t *testing.T) {
	var good bytes.Buffer
	if err := report.Encode(&good, fixture.RecordedRun(t, false)); err != nil {
		t.Fatal(err)
	}
	g := good.String()
	tests := []struct {
		name, in, want string
	}{
		{"newer schema", strings.Replace(g, `"schema": 1`, `"schema": 2`, 1), "newer msnbench"},
		{"no schema", `{"tool":"x"}`, "no \"schema\""},
		{"zero schema", `{"schema":0}`, "invalid schema"},
		{"not json", `hello`, "decode run"},
		{"trailing", g + "{}", "after top-level value"},
		{"bad duration", strings.Replace(g, `"timeout": "10s"`, `"timeout": "10 parsecs"`, 1), "duration"},
		{"bad hist", strings.Replace(g, `"hist": "HISTF`, `"hist": "xISTF`, 1), "decode histogram"},
		{"dup phase", strings.Replace(g, `"name": "ds.ver"`, `"name": "ds.connect"`, 1), "twice"},
		{"negative count", strings.Replace(g, `"ok": 3`, `"ok": -3`, 1), "negative"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if tt.in == g {
				t.Fatal("test input did not change the run")
			}
			_, err := report.Decode(strings.NewReader(tt.in))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("got %v, want an error containing %q", err, tt.want)
			}
		})
	}
	_, err := report.Decode(strings.NewReader(strings.Replace(g, `"schema": 1`, `"schema": 7`, 1)))
	if !errors.Is(err, report.ErrNewerSchema) {
		t.Errorf("newer schema: got %v, want ErrNewerSchema", err)
	}
}

func TestDurationJSON(t *testing.T) {
	tests := []struct {
		in   string
		want report.Duration
		bad  bool
	}{
		{`"1.5s"`, report.Duration(1500e6), false},
		{`"250ms"`, report.Duration(250e6), false},
		{`1000`, report.Duration(1000), false},
		{`"soon"`, 0, true},
		{`true`, 0, true},
		{`1e30`, 0, true},
	}
	for _, tt := range tests {
		var d report.Duration
		err := d.UnmarshalJSON([]byte(tt.in))
		if (err != nil) != tt.bad || d != tt.want {
			t.Errorf("%s: got %v, %v; want %v, error %v", tt.in, d, err, tt.want, tt.bad)
		}
	}
	b, _ := report.Duration(1500e6).MarshalJSON()
	if string(b) != `"1.5s"` {
		t.Errorf("marshal: got %s", b)
	}
}

// TestHlogReadBack reads the interval log back with hdrhistogram-go's reader
// and checks that every interval of every phase comes back with its count,
// tag and time.
func TestHlogReadBack(t *testing.T) {
	run := fixture.RecordedRun(t, true)
	var buf bytes.Buffer
	if err := report.WriteHlog(&buf, run); err != nil {
		t.Fatal(err)
	}
	type key struct {
		tag   string
		start int64 // ms since the run's start
	}
	want := map[key]int64{}
	p99 := map[key]int64{} // µs
	for _, p := range run.Phases {
		for _, iv := range p.Intervals {
			h, err := report.DecodePacked(iv.Hist)
			if err != nil {
				t.Fatal(err)
			}
			k := key{p.Name, int64(iv.Start * 1000)}
			want[k] = h.TotalCount()
			p99[k] = h.ValueAtPercentile(99)
		}
	}
	r := hdrReader(&buf)
	got := map[key]int64{}
	for {
		h, err := r.NextIntervalHistogram()
		if err != nil {
			t.Fatal(err)
		}
		if h == nil {
			break
		}
		k := key{h.Tag(), h.StartTimeMs() - run.Start.UnixMilli()}
		got[k] = h.TotalCount()
		// Values come back in ns, equal to the µs ones within 3 digits.
		if us, ns := float64(p99[k]), float64(h.ValueAtPercentile(99)); math.Abs(ns/1000-us) > us*0.002+1 {
			t.Errorf("%v: p99 %v ns, want about %v µs", k, ns, us)
		}
		if h.LowestTrackableValue() != 1000 {
			t.Fatalf("hlog histogram lowest value %d, want 1000 (ns)", h.LowestTrackableValue())
		}
	}
	if len(got) != len(want) {
		t.Fatalf("read %d interval histograms, want %d", len(got), len(want))
	}
	for k, n := range want {
		if got[k] != n {
			t.Errorf("%v: count %d, want %d", k, got[k], n)
		}
	}
}

// TestHgrmTable parses the .hgrm output back: rising values and counts, the
// last line at percentile 1 with the total, and the footer.
func TestHgrmTable(t *testing.T) {
	run := fixture.RecordedRun(t, false).OnlyPhases("login")
	var buf bytes.Buffer
	if err := report.WriteHgrm(&buf, run); err != nil {
		t.Fatal(err)
	}
	sc := bufio.NewScanner(&buf)
	var lastV, lastQ float64
	var lastN, rows int64
	var footer []string
	for sc.Scan() {
		line := sc.Text()
		f := strings.Fields(line)
		if strings.HasPrefix(line, "#") {
			footer = append(footer, line)
			continue
		}
		if len(f) < 3 || f[0] == "Value" {
			continue
		}
		v, _ := strconv.ParseFloat(f[0], 64)
		q, _ := strconv.ParseFloat(f[1], 64)
		n, _ := strconv.ParseInt(f[2], 10, 64)
		if v < lastV || q < lastQ || n < lastN {
			t.Fatalf("row %q goes backwards", line)
		}
		lastV, lastQ, lastN = v, q, n
		rows++
	}
	s := run.Phases[0].Summary
	if lastQ != 1 || lastN != s.Count {
		t.Errorf("last row at %v with %d values, want 1 and %d", lastQ, lastN, s.Count)
	}
	if rows < 30 {
		t.Errorf("only %d rows", rows)
	}
	if len(footer) != 4 || !strings.Contains(footer[3], "SubBuckets     =         2048") ||
		!strings.Contains(footer[3], "Buckets =           20") {
		t.Errorf("footer: %q", footer)
	}
}

func TestFmtMicros(t *testing.T) {
	tests := []struct {
		us   float64
		want string
	}{
		{0, "0.00µs"}, {1, "1.00µs"}, {87, "87.0µs"}, {999, "999µs"}, {999.6, "1.00ms"},
		{1234, "1.23ms"}, {45_600, "45.6ms"}, {183_000, "183ms"}, {2_500_000, "2.50s"},
		{600_000_000, "10m"}, {-1, "-"},
	}
	for _, tt := range tests {
		if got := report.FmtMicros(tt.us); got != tt.want {
			t.Errorf("fmtMicros(%v) = %q, want %q", tt.us, got, tt.want)
		}
	}
}

// TestHgrmMatchesLibraryTicks: the percentile rows are those of the
// library's percentile iterator (which the Java tools share).
func TestHgrmMatchesLibraryTicks(t *testing.T) {
	for seed := uint64(1); seed <= 20; seed++ {
		samples := fixture.Samples(seed, 200+int(seed)*37, 1e9, seed%2 == 0)
		p := report.NewPackedHist()
		for _, s := range samples {
			if s.Has(report.Login) {
				us, _ := report.ToMicros(s.Dur[report.Login])
				_ = p.RecordValue(us)
			}
		}
		d := report.NewHist()
		p.MergeInto(d)
		var want bytes.Buffer
		for _, b := range d.CumulativeDistributionWithTicks(report.HgrmTicks) {
			q := b.Quantile / 100
			if b.Quantile < 100 {
				want.WriteString(strconv.FormatFloat(float64(b.ValueAt)/1000, 'f', 3, 64) + " " + strconv.FormatFloat(q, 'f', 12, 64) + " " + strconv.FormatInt(b.Count, 10) + "\n")
			}
		}
		var out bytes.Buffer
		report.WritePercentiles(&out, p, report.HgrmScale)
		var got bytes.Buffer
		for _, line := range strings.Split(out.String(), "\n") {
			f := strings.Fields(line)
			if len(f) == 4 && f[0] != "Value" && !strings.HasPrefix(f[0], "#") {
				got.WriteString(f[0] + " " + f[1] + " " + f[2] + "\n")
			}
		}
		if got.String() != want.String() {
			t.Fatalf("seed %d: rows differ\n got %s\nwant %s", seed, got.String(), want.String())
		}
	}
}

// TestIOEngineShown: the generator's I/O engine is in the text header and
// the HTML configuration table, so two reports made with different engines
// cannot be mistaken for like with like.
func TestIOEngineShown(t *testing.T) {
	c := report.Config{Model: "closed", Concurrency: 5, IO: "loop"}
	if got := c.DescribeLoad(); !strings.Contains(got, ", io loop") {
		t.Errorf("load line %q does not name the I/O engine", got)
	}
	c.IO = ""
	if got := c.DescribeLoad(); strings.Contains(got, "io ") {
		t.Errorf("load line %q names an I/O engine the run did not record", got)
	}
}

func hdrReader(r io.Reader) *hdrhistogram.HistogramLogReader {
	return hdrhistogram.NewHistogramLogReader(r)
}
