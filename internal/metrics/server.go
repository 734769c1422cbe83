package metrics

import (
	"reflect"
	"strings"

	"github.com/msnbench/msnbench/server"
	"github.com/prometheus/client_golang/prometheus"
)

// ServerCollector exposes the reference server's counters (server.Stats)
// for `msnbench serve --metrics`: each field as msnbench_server_<json name>,
// a counter (_total) for the uint64 totals and a gauge for the int64
// figures of the moment (connections open, sessions online). It reads
// Stats, an atomic snapshot, at every scrape.
type ServerCollector struct {
	stats func() server.Stats
	descs []*prometheus.Desc
	kinds []prometheus.ValueType
	index []int // field index in server.Stats
}

// NewServerCollector returns a collector that calls stats (normally
// Server.Stats) at every scrape.
func NewServerCollector(stats func() server.Stats) *ServerCollector {
	c := &ServerCollector{stats: stats}
	t := reflect.TypeFor[server.Stats]()
	for i := 0; i < t.NumField(); i++ {
		f := t.Field(i)
		name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
		if name == "" || name == "-" {
			continue
		}
		kind := prometheus.CounterValue
		switch f.Type.Kind() {
		case reflect.Uint64:
			name += "_total"
		case reflect.Int64:
			kind = prometheus.GaugeValue
		default:
			continue
		}
		help := "msnbench serve: server.Stats." + f.Name + "."
		c.descs = append(c.descs, prometheus.NewDesc("msnbench_server_"+name, help, nil, nil))
		c.kinds = append(c.kinds, kind)
		c.index = append(c.index, i)
	}
	return c
}

// Describe implements prometheus.Collector.
func (c *ServerCollector) Describe(ch chan<- *prometheus.Desc) {
	for _, d := range c.descs {
		ch <- d
	}
}

// Collect implements prometheus.Collector.
func (c *ServerCollector) Collect(ch chan<- prometheus.Metric) {
	st := c.stats()
	v := reflect.ValueOf(st)
	for i, d := range c.descs {
		f := v.Field(c.index[i])
		var x float64
		if f.Kind() == reflect.Uint64 {
			x = float64(f.Uint())
		} else {
			x = float64(f.Int())
		}
		ch <- prometheus.MustNewConstMetric(d, c.kinds[i], x)
	}
}
