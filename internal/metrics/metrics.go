// Package metrics serves a running load test's figures for Prometheus
// (`msnbench run --metrics ADDR`). Nothing here is on the sessions' path:
// the collector reads the engine's Live counters when it is scraped and
// keeps what the recorder hands over once per interval (failures by phase
// and class, every phase's latency over the run so far), so the recorder
// stays allocation-free.
package metrics

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"sync"
	"time"

	"github.com/msnbench/msnbench/loadgen"
	"github.com/msnbench/msnbench/report"
	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
)

// RunCollector is a prometheus.Collector for one run.
type RunCollector struct {
	live func() loadgen.Live
	info []string // target, model, version

	mu     sync.Mutex
	fails  map[[2]string]float64 // phase, class -> failures so far
	totals []report.PhaseTotal   // as of the last closed interval
	warm   float64

	descInfo, descSessions, descStarted, descDropped, descWarm *prometheus.Desc
	descFails, descInflight, descHeld, descRate, descLatency   *prometheus.Desc
	descHist, descNotif                                        *prometheus.Desc
}

// NewRunCollector returns a collector that reads live (normally
// Engine.Live) at every scrape. Interval must be given each interval's
// stats (Engine.OnInterval).
func NewRunCollector(live func() loadgen.Live, target, model, version string) *RunCollector {
	d := func(name, help string, labels ...string) *prometheus.Desc {
		return prometheus.NewDesc("msnbench_"+name, help, labels, nil)
	}
	return &RunCollector{
		live: live, info: []string{target, model, version}, fails: map[[2]string]float64{},
		descInfo:     d("run_info", "The run: target, load model and msnbench version (always 1).", "target", "model", "version"),
		descSessions: d("sessions_total", "Measured sessions that ended, by outcome: ok, failed, or cut by the end of the run.", "outcome"),
		descStarted:  d("sessions_started_total", "Sessions started, warm-up included."),
		descDropped:  d("starts_dropped_total", "Starts that were due but not issued (max in flight reached)."),
		descWarm:     d("warmup_sessions_total", "Sessions that ended in the warm-up (not measured), as of the last closed interval."),
		descFails:    d("session_failures_total", "Failed sessions by the phase they failed in and error class, as of the last closed interval.", "phase", "class"),
		descInflight: d("sessions_in_flight", "Sessions started and not ended."),
		descHeld:     d("sessions_held", "Sessions logged in and being held (--hold)."),
		descRate:     d("logins_per_second", "Successful logins per second over the last closed interval."),
		descLatency:  d("phase_latency_seconds", "Latency of each phase over the measured run so far (closed intervals), quantiles from its HdrHistogram.", "phase"),
		descNotif:    d("notifications_total", "Notifications sessions of this run expected from each other (--status-every: phase presence), by outcome: delivered (timed) or lost (not in within --timeout).", "phase", "outcome"),
		descHist:     d("phase_latency_hist_seconds", "Latency of each phase over the measured run so far (closed intervals), counts at fixed bounds from its HdrHistogram; sums across generators.", "phase"),
	}
}

// Interval takes one interval's stats; it runs on the engine's interval goroutine.
func (c *RunCollector) Interval(st *report.IntervalStats) {
	c.mu.Lock()
	defer c.mu.Unlock()
	for _, e := range st.Errors {
		c.fails[[2]string{e.Phase, e.Class}] += float64(e.Count)
	}
	c.warm += float64(st.Warmup)
	if st.Total != nil {
		c.totals = st.Total
	}
}

// Describe implements prometheus.Collector.
func (c *RunCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range []*prometheus.Desc{c.descInfo, c.descSessions, c.descStarted, c.descDropped, c.descWarm,
		c.descFails, c.descInflight, c.descHeld, c.descRate, c.descLatency, c.descHist, c.descNotif} {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *RunCollector) Collect(ch chan<- prometheus.Metric) {
	l := c.live()
	mc := prometheus.MustNewConstMetric
	ch <- mc(c.descInfo, prometheus.GaugeValue, 1, c.info...)
	ch <- mc(c.descSessions, prometheus.CounterValue, float64(l.OK), "ok")
	ch <- mc(c.descSessions, prometheus.CounterValue, float64(l.Failed), "failed")
	ch <- mc(c.descSessions, prometheus.CounterValue, float64(l.Cut), "cut")
	ch <- mc(c.descStarted, prometheus.CounterValue, float64(l.Started))
	ch <- mc(c.descDropped, prometheus.CounterValue, float64(l.Dropped))
	ch <- mc(c.descInflight, prometheus.GaugeValue, float64(l.Inflight))
	ch <- mc(c.descHeld, prometheus.GaugeValue, float64(l.Held))
	ch <- mc(c.descRate, prometheus.GaugeValue, l.Rate)
	if l.Presence > 0 || l.PresenceLost > 0 {
		ch <- mc(c.descNotif, prometheus.CounterValue, float64(l.Presence), "presence", "delivered")
		ch <- mc(c.descNotif, prometheus.CounterValue, float64(l.PresenceLost), "presence", "lost")
	}

	c.mu.Lock()
	defer c.mu.Unlock()
	ch <- mc(c.descWarm, prometheus.CounterValue, c.warm)
	for k, n := range c.fails {
		ch <- mc(c.descFails, prometheus.CounterValue, n, k[0], k[1])
	}
	for _, t := range c.totals {
		s := &t.Summary
		q := map[float64]float64{0.5: us(s.P50), 0.9: us(s.P90), 0.99: us(s.P99), 0.999: us(s.P999)}
		sum := s.Mean * float64(s.Count) / 1e6
		ch <- prometheus.MustNewConstSummary(c.descLatency, uint64(s.Count), sum, q, t.Phase)
		if len(t.Buckets) == len(report.LatencyBounds) {
			b := make(map[float64]uint64, len(t.Buckets))
			for i, n := range t.Buckets {
				b[us(report.LatencyBounds[i])] = uint64(n)
			}
			ch <- prometheus.MustNewConstHistogram(c.descHist, uint64(s.Count), sum, b, t.Phase)
		}
	}
}

func us(v int64) float64 { return float64(v) / 1e6 }

// Server serves /metrics over HTTP.
type Server struct {
	srv  *http.Server
	ln   net.Listener
	done chan error
}

// Serve listens on addr and serves the collector's metrics, and the Go
// runtime's and the process's (the generator's own CPU, memory, GC), at
// /metrics.
func Serve(addr string, c prometheus.Collector) (*Server, error) {
	reg := prometheus.NewRegistry()
	if err := reg.Register(c); err != nil {
		return nil, err
	}
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, fmt.Errorf("--metrics: %w", err)
	}
	mux := http.NewServeMux()
	mux.Handle("/metrics", promhttp.HandlerFor(reg, promhttp.HandlerOpts{Registry: reg}))
	s := &Server{srv: &http.Server{Handler: mux, ReadHeaderTimeout: 10 * time.Second}, ln: ln, done: make(chan error, 1)}
	go func() { s.done <- s.srv.Serve(ln) }()
	return s, nil
}

// Addr is the address the server listens on.
func (s *Server) Addr() net.Addr { return s.ln.Addr() }

// Close stops the server, letting a scrape in progress finish for up to a second.
func (s *Server) Close() error {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	err := s.srv.Shutdown(ctx)
	if serr := <-s.done; !errors.Is(serr, http.ErrServerClosed) && err == nil {
		err = serr
	}
	return err
}

// IsLoopback reports whether addr (host:port) listens on loopback only; an
// empty host (every interface) is not.
func IsLoopback(addr string) bool {
	host, _, err := net.SplitHostPort(addr)
	if err != nil {
		return false
	}
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}
