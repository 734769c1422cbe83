package report

import (
	"bytes"
	"io"
	"strings"
	"testing"
)

// FuzzDecodeRun feeds arbitrary bytes to Decode: it must never panic, and a
// run it accepts must render in every registered writer without panicking
// (writers may return errors, for example for a corrupt interval histogram).
func FuzzDecodeRun(f *testing.F) {
	var good bytes.Buffer
	if err := Encode(&good, rpSmallRun(f)); err != nil {
		f.Fatal(err)
	}
	g := good.String()
	f.Add([]byte(g))
	f.Add([]byte(`{"schema":1}`))
	f.Add([]byte(`{"schema":1,"phases":[{"name":"login","hist":"HISTFAAAACl4nJNpmSzMwMDAxQABzFCaEUzOmNZg/wEi0NzIyMTAzMDAwMDAAAC3kQTn"}]}`))
	f.Add([]byte(`{"schema":1,"config":{"interval":"1s"},"series":[{"t":1e300}]}`))
	f.Add([]byte(strings.Replace(g, `"interval": "1s"`, `"interval": "1ns"`, 1)))
	f.Add([]byte(strings.Replace(g, `"start": 0,`, `"start": 1e15,`, 1)))
	f.Fuzz(func(t *testing.T, data []byte) {
		run, err := Decode(bytes.NewReader(data))
		if err != nil {
			return
		}
		for _, format := range Formats() {
			_ = Write(io.Discard, format, run)
		}
		_, _ = Merge(run, run)
		_, _ = MergeOptions{Force: true}.Merge(run, run) // a run given twice is refused unless forced
		if slo, err := ParseSLO("login:p99<1s,errors<1%,rate>1,login:p95<1s"); err == nil {
			_ = slo.Check(run)
		}
	})
}

// FuzzParseSLO: any input either parses or fails with an error; a parsed
// SLO checks against a run without panicking.
func FuzzParseSLO(f *testing.F) {
	for _, s := range []string{"login:p99<200ms,ns.usr.s:p50<5ms,errors<0.1%", "rate>500", "p99.9<=1s", ":<", "errors<%", "a:b:c<1"} {
		f.Add(s)
	}
	run := rpSmallRun(f)
	f.Fuzz(func(t *testing.T, s string) {
		slo, err := ParseSLO(s)
		if err != nil {
			return
		}
		for _, r := range slo.Check(run) {
			_ = r.String()
		}
	})
}

// rpSmallRun is a small run for fuzz seeds: decoding and rendering it is
// cheap enough for many fuzz iterations.
func rpSmallRun(t testing.TB) *Run {
	samples := rpSamples(3, 60, 2e9, true)
	rec := NewRecorder(1, 1e9)
	last := rpFeed(rec, samples, 1, 1e9)
	run := rpMeta(true)
	run.End = run.Start.Add(2e9)
	rec.Finish(run, last+1)
	return run
}
