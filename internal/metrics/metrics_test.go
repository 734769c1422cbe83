package metrics

import (
	"io"
	"math"
	"net/http"
	"strings"
	"testing"

	hdrhistogram "github.com/HdrHistogram/hdrhistogram-go"
	"github.com/msnbench/msnbench/loadgen"
	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/server"
	"github.com/prometheus/client_golang/prometheus"
	dto "github.com/prometheus/client_model/go"
	"github.com/prometheus/common/expfmt"
	"github.com/prometheus/common/model"
)

// scrape serves c on loopback, fetches /metrics once and parses it with
// the Prometheus text parser.
func scrape(t *testing.T, c *RunCollector) map[string]*dto.MetricFamily {
	t.Helper()
	return scrapeWith(t, c)
}

func scrapeWith(t *testing.T, c prometheus.Collector) map[string]*dto.MetricFamily {
	t.Helper()
	s, err := Serve("127.0.0.1:0", c)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	resp, err := http.Get("http://" + s.Addr().String() + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != 200 {
		t.Fatalf("status %d: %s", resp.StatusCode, body)
	}
	p := expfmt.NewTextParser(model.UTF8Validation)
	fams, err := p.TextToMetricFamilies(strings.NewReader(string(body)))
	if err != nil {
		t.Fatalf("exposition does not parse: %v\n%s", err, body)
	}
	return fams
}

func value(t *testing.T, fams map[string]*dto.MetricFamily, name string, labels map[string]string) *dto.Metric {
	t.Helper()
	f := fams[name]
	if f == nil {
		t.Fatalf("no metric %s", name)
	}
next:
	for _, m := range f.Metric {
		for _, lp := range m.Label {
			if want, ok := labels[lp.GetName()]; ok && want != lp.GetValue() {
				continue next
			}
		}
		return m
	}
	t.Fatalf("%s: no series with %v", name, labels)
	return nil
}

func TestCollectorExposition(t *testing.T) {
	live := loadgen.Live{Held: 7, Presence: 2530, PresenceLost: 3}
	live.Started, live.OK, live.Failed, live.Cut, live.Inflight, live.Rate = 120, 100, 12, 1, 7, 95.5
	c := NewRunCollector(func() loadgen.Live { return live }, "127.0.0.1:1863", "closed", "test")
	c.Interval(&report.IntervalStats{Warmup: 3, Errors: []report.ErrorCount{{Phase: "ns.usr.s", Class: "auth-fail", Code: 911, Count: 5}}})
	c.Interval(&report.IntervalStats{
		Errors: []report.ErrorCount{{Phase: "ns.usr.s", Class: "auth-fail", Code: 911, Count: 2}, {Phase: "ds.connect", Class: "timeout", Count: 5}},
		Total:  []report.PhaseTotal{{Phase: "login", Summary: report.Summary{Count: 100, Mean: 2000, P50: 1800, P90: 2500, P99: 4000, P999: 9000, Max: 9500}}},
	})

	fams := scrape(t, c)
	for _, tt := range []struct {
		name   string
		labels map[string]string
		want   float64
	}{
		{"msnbench_sessions_total", map[string]string{"outcome": "ok"}, 100},
		{"msnbench_sessions_total", map[string]string{"outcome": "failed"}, 12},
		{"msnbench_sessions_total", map[string]string{"outcome": "cut"}, 1},
		{"msnbench_sessions_started_total", nil, 120},
		{"msnbench_session_failures_total", map[string]string{"phase": "ns.usr.s", "class": "auth-fail"}, 7},
		{"msnbench_session_failures_total", map[string]string{"phase": "ds.connect", "class": "timeout"}, 5},
		{"msnbench_warmup_sessions_total", nil, 3},
		{"msnbench_sessions_in_flight", nil, 7},
		{"msnbench_sessions_held", nil, 7},
		{"msnbench_notifications_total", map[string]string{"phase": "presence", "outcome": "delivered"}, 2530},
		{"msnbench_notifications_total", map[string]string{"phase": "presence", "outcome": "lost"}, 3},
		{"msnbench_logins_per_second", nil, 95.5},
		{"msnbench_run_info", map[string]string{"target": "127.0.0.1:1863", "version": "test"}, 1},
	} {
		m := value(t, fams, tt.name, tt.labels)
		got := m.GetCounter().GetValue() + m.GetGauge().GetValue()
		if got != tt.want {
			t.Errorf("%s%v = %v, want %v", tt.name, tt.labels, got, tt.want)
		}
	}
	if typ := fams["msnbench_sessions_total"].GetType(); typ != dto.MetricType_COUNTER {
		t.Errorf("sessions_total is a %v", typ)
	}
	s := value(t, fams, "msnbench_phase_latency_seconds", map[string]string{"phase": "login"}).GetSummary()
	if s.GetSampleCount() != 100 || s.GetSampleSum() != 0.2 {
		t.Errorf("login summary count %d sum %v, want 100, 0.2", s.GetSampleCount(), s.GetSampleSum())
	}
	q := map[float64]float64{}
	for _, x := range s.Quantile {
		q[x.GetQuantile()] = x.GetValue()
	}
	if q[0.5] != 0.0018 || q[0.99] != 0.004 || q[0.999] != 0.009 {
		t.Errorf("login quantiles %v", q)
	}
	// The generator's own health comes with it.
	for _, name := range []string{"go_goroutines", "process_cpu_seconds_total"} {
		if fams[name] == nil {
			t.Errorf("no %s", name)
		}
	}
}

func TestIsLoopback(t *testing.T) {
	for addr, want := range map[string]bool{
		"127.0.0.1:9464": true, "[::1]:9464": true, "localhost:9464": true, ":9464": false,
		"0.0.0.0:9464": false, "10.0.0.1:9464": false, "bad": false,
	} {
		if got := IsLoopback(addr); got != want {
			t.Errorf("IsLoopback(%q) = %v, want %v", addr, got, want)
		}
	}
}

func TestServerCollectorExposition(t *testing.T) {
	st := server.Stats{LoginsOK: 42, AuthFailures: 3, ConnsOpen: 5, Online: 4, DelayLateNanos: 7}
	fams := scrapeWith(t, NewServerCollector(func() server.Stats { return st }))
	for _, tt := range []struct {
		name string
		typ  dto.MetricType
		want float64
	}{
		{"msnbench_server_logins_ok_total", dto.MetricType_COUNTER, 42},
		{"msnbench_server_auth_failures_total", dto.MetricType_COUNTER, 3},
		{"msnbench_server_delay_late_ns_total", dto.MetricType_COUNTER, 7},
		{"msnbench_server_conns_open", dto.MetricType_GAUGE, 5},
		{"msnbench_server_online", dto.MetricType_GAUGE, 4},
		{"msnbench_server_conns_refused_total", dto.MetricType_COUNTER, 0},
	} {
		f := fams[tt.name]
		if f == nil {
			t.Errorf("no %s", tt.name)
			continue
		}
		m := f.Metric[0]
		if got := m.GetCounter().GetValue() + m.GetGauge().GetValue(); f.GetType() != tt.typ || got != tt.want {
			t.Errorf("%s: %v %v, want %v %v", tt.name, f.GetType(), got, tt.typ, tt.want)
		}
	}
}

// TestPhaseLatencyHistogram: each phase's latency is also a histogram (which
// Prometheus can sum across generators, unlike the summary), built from the
// phase's HdrHistogram: cumulative buckets, +Inf equal to the count, the
// same count and sum as the summary, and the bucket that reaches half the
// count brackets the HdrHistogram's p50.
func TestPhaseLatencyHistogram(t *testing.T) {
	h := hdrhistogram.NewPacked(report.HistMin, report.HistMax, report.HistDigits)
	// A log-normal-ish spread around 3 ms, a few outliers past the last bound.
	for v, n := int64(40), int64(1); v < 3_000_000; v = v*11/10 + 1 {
		if err := h.RecordValues(v, n); err != nil {
			t.Fatal(err)
		}
		if v < 3000 {
			n++
		} else if n > 1 {
			n--
		}
	}
	if err := h.RecordValues(90_000_000, 3); err != nil { // 90 s, past 50 s
		t.Fatal(err)
	}
	tot := report.TotalOf("login", h)
	c := NewRunCollector(func() loadgen.Live { return loadgen.Live{} }, "127.0.0.1:1863", "closed", "test")
	c.Interval(&report.IntervalStats{Total: []report.PhaseTotal{tot, report.TotalOf("ns.usr.s", h)}})

	fams := scrape(t, c)
	f := fams["msnbench_phase_latency_hist_seconds"]
	if f == nil || f.GetType() != dto.MetricType_HISTOGRAM || len(f.Metric) != 2 {
		t.Fatalf("msnbench_phase_latency_hist_seconds: %v", f)
	}
	if typ := fams["msnbench_phase_latency_seconds"].GetType(); typ != dto.MetricType_SUMMARY {
		t.Errorf("msnbench_phase_latency_seconds is a %v, want the summary it was", typ)
	}
	hist := value(t, fams, "msnbench_phase_latency_hist_seconds", map[string]string{"phase": "login"}).GetHistogram()
	sum := value(t, fams, "msnbench_phase_latency_seconds", map[string]string{"phase": "login"}).GetSummary()
	if hist.GetSampleCount() != uint64(h.TotalCount()) || hist.GetSampleCount() != sum.GetSampleCount() ||
		hist.GetSampleSum() != sum.GetSampleSum() {
		t.Errorf("histogram count %d sum %v, summary %d %v, HdrHistogram count %d", hist.GetSampleCount(),
			hist.GetSampleSum(), sum.GetSampleCount(), sum.GetSampleSum(), h.TotalCount())
	}
	bs := hist.GetBucket() // the parser gives the +Inf bucket too
	if len(bs) != len(report.LatencyBounds)+1 {
		t.Fatalf("%d buckets, want %d and +Inf", len(bs), len(report.LatencyBounds))
	}
	inf := bs[len(bs)-1]
	if !math.IsInf(inf.GetUpperBound(), 1) || inf.GetCumulativeCount() != hist.GetSampleCount() {
		t.Errorf("last bucket le %v count %d, want +Inf and the count %d", inf.GetUpperBound(), inf.GetCumulativeCount(), hist.GetSampleCount())
	}
	bs = bs[:len(bs)-1]
	p50 := float64(h.ValueAtPercentile(50)) / 1e6
	half := (h.TotalCount() + 1) / 2 // the rank of the p50
	bracketed := false
	var prev uint64
	prevLE := 0.0
	for i, b := range bs {
		if le := float64(report.LatencyBounds[i]) / 1e6; b.GetUpperBound() != le {
			t.Errorf("bucket %d: le %v, want %v", i, b.GetUpperBound(), le)
		}
		n := b.GetCumulativeCount()
		if n < prev {
			t.Errorf("le %v: %d, below the bucket before (%d): not cumulative", b.GetUpperBound(), n, prev)
		}
		if n >= uint64(half) && prev < uint64(half) {
			bracketed = true
			if !(prevLE < p50 && p50 <= b.GetUpperBound()) {
				t.Errorf("half the count is reached in (%v, %v], the HdrHistogram p50 is %v", prevLE, b.GetUpperBound(), p50)
			}
		}
		prev, prevLE = n, b.GetUpperBound()
	}
	if !bracketed {
		t.Errorf("no bucket reaches half the count %d", half)
	}
	// The values past the last bound are only in +Inf.
	if last := bs[len(bs)-1].GetCumulativeCount(); last != hist.GetSampleCount()-3 {
		t.Errorf("le 50s: %d, want the count %d less the 3 values at 90 s", last, hist.GetSampleCount())
	}
}
