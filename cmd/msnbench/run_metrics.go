package main

import (
	"fmt"
	"io"

	"github.com/msnbench/msnbench/internal/metrics"
	"github.com/msnbench/msnbench/loadgen"
	"github.com/msnbench/msnbench/report"
)

// metricsServer is --metrics; nil without it.
type metricsServer struct{ s *metrics.Server }

// startMetrics serves eng's metrics on addr (none when addr is empty) and
// returns the consumer of its interval stats.
func startMetrics(addr string, eng *loadgen.Engine, stderr io.Writer) (*metricsServer, func(*report.IntervalStats), error) {
	if addr == "" {
		return nil, nil, nil
	}
	c := eng.Config()
	target := c.Target
	if target == "" {
		target = "embedded"
	}
	model := "closed"
	switch {
	case len(c.Stages) > 0:
		model = "stages"
	case c.Rate > 0:
		model = "open"
	}
	col := metrics.NewRunCollector(eng.Live, target, model, version)
	s, err := metrics.Serve(addr, col)
	if err != nil {
		return nil, nil, err
	}
	if !metrics.IsLoopback(addr) {
		fmt.Fprintf(stderr, "warning: --metrics %s is reachable from other machines; 127.0.0.1:PORT keeps it on this one\n", addr)
	}
	fmt.Fprintf(stderr, "metrics: http://%s/metrics\n", s.Addr())
	return &metricsServer{s}, col.Interval, nil
}

func (m *metricsServer) close() {
	if m != nil {
		m.s.Close()
	}
}
