package compare

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/fixture"
)

// junitSchema is the part of the JUnit schema CI systems read, decoded
// with encoding/xml into types of its own (not the writer's).
type junitSchema struct {
	XMLName  xml.Name
	Tests    int `xml:"tests,attr"`
	Failures int `xml:"failures,attr"`
	Skipped  int `xml:"skipped,attr"`
	Suites   []struct {
		XMLName  xml.Name
		Name     string `xml:"name,attr"`
		Tests    int    `xml:"tests,attr"`
		Failures int    `xml:"failures,attr"`
		Skipped  int    `xml:"skipped,attr"`
		Props    []struct {
			Name  string `xml:"name,attr"`
			Value string `xml:"value,attr"`
		} `xml:"properties>property"`
		Cases []struct {
			XMLName   xml.Name
			Name      string `xml:"name,attr"`
			ClassName string `xml:"classname,attr"`
			Failure   *struct {
				Message string `xml:"message,attr"`
				Type    string `xml:"type,attr"`
			} `xml:"failure"`
			Skipped *struct {
				Message string `xml:"message,attr"`
			} `xml:"skipped"`
			Out string `xml:"system-out"`
		} `xml:"testcase"`
		Out string `xml:"system-out"`
	} `xml:"testsuite"`
}

// TestCompareJUnit: one test case per compared phase plus "failures"; a
// regression that counts for the exit code is a <failure>, an indicative
// slowdown a <skipped> case that says so, and the failure count is nonzero
// exactly when Regressed is.
func TestCompareJUnit(t *testing.T) {
	a := fixture.SynthRun(t, fixture.SynthSpec{NoIntervals: true, Seed: 1, Label: "build 41", Steps: true})
	b := fixture.SynthRun(t, fixture.SynthSpec{NoIntervals: true, Seed: 3, Label: "build 42", Steps: true,
		Shift: map[string]float64{"ns.usr.s": 2000}})
	fewer := fixture.SynthRun(t, fixture.SynthSpec{NoIntervals: true, Seed: 2, FailRate: 0.05})
	for _, tc := range []struct {
		name  string
		a, b  *report.Run
		opt   Options
		fail  map[string]string // case -> failure type
		skip  map[string]string // case -> text in the skip message
		latIn string            // the suite's latency property
	}{
		{"binding", a, b, Options{AssumeIndependent: true},
			map[string]string{"login": "slower", "ns.usr.s": "slower", "session": "slower"}, nil, LatencyBinding},
		{"indicative", a, b, Options{}, nil,
			map[string]string{"login": "indicative, not judged: slower; one run per side",
				"ns.usr.s": "indicative", "session": "indicative"}, LatencyIndicative},
		{"more failures", a, fewer, Options{Phases: []string{"login"}},
			map[string]string{"failures": "more-failures"}, nil, ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			c, err := Compare([]*report.Run{tc.a}, []*report.Run{tc.b}, tc.opt)
			if err != nil {
				t.Fatal(err)
			}
			var buf bytes.Buffer
			if err := WriteJUnit(&buf, c); err != nil {
				t.Fatal(err)
			}
			var doc junitSchema
			if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
				t.Fatalf("%v\n%s", err, buf.String())
			}
			if doc.XMLName.Local != "testsuites" || len(doc.Suites) != 1 || doc.Suites[0].Name != "msnbench compare" {
				t.Fatalf("want testsuites > one testsuite \"msnbench compare\":\n%s", buf.String())
			}
			s := doc.Suites[0]
			if len(s.Cases) != len(c.Phases)+1 || s.Tests != len(s.Cases) || doc.Tests != len(s.Cases) {
				t.Fatalf("%d cases, tests %d/%d; want %d phases + failures", len(s.Cases), doc.Tests, s.Tests, len(c.Phases))
			}
			failures, skipped := 0, 0
			for i, k := range s.Cases {
				want := "failures"
				if i < len(c.Phases) {
					want = c.Phases[i].Phase
				}
				if k.XMLName.Local != "testcase" || k.Name != want || k.ClassName != "msnbench.compare" {
					t.Errorf("case %d: %v %q %q, want testcase %q", i, k.XMLName, k.Name, k.ClassName, want)
				}
				if k.Failure != nil && k.Skipped != nil {
					t.Errorf("%s: both failed and skipped", k.Name)
				}
				if k.Failure != nil {
					failures++
					if typ, ok := tc.fail[k.Name]; !ok || k.Failure.Type != typ {
						t.Errorf("%s: failure %+v, want %q", k.Name, k.Failure, tc.fail[k.Name])
					}
				} else if _, ok := tc.fail[k.Name]; ok {
					t.Errorf("%s: no <failure>\n%s", k.Name, buf.String())
				}
				if k.Skipped != nil {
					skipped++
				}
				if msg, ok := tc.skip[k.Name]; ok && (k.Skipped == nil || !strings.Contains(k.Skipped.Message, msg)) {
					t.Errorf("%s: skipped %+v, want a message with %q", k.Name, k.Skipped, msg)
				}
				if k.Name != "failures" && k.Skipped == nil && !strings.Contains(k.Out, "p50: A ") {
					t.Errorf("%s: system-out %q lacks the percentiles", k.Name, k.Out)
				}
			}
			if s.Failures != failures || doc.Failures != failures || s.Skipped != skipped || doc.Skipped != skipped {
				t.Errorf("attributes failures %d/%d skipped %d/%d, elements %d and %d",
					doc.Failures, s.Failures, doc.Skipped, s.Skipped, failures, skipped)
			}
			if (failures > 0) != c.Regressed(c.Threshold) {
				t.Errorf("%d failures, but Regressed %v", failures, c.Regressed(c.Threshold))
			}
			props := map[string]string{}
			for _, p := range s.Props {
				props[p.Name] = p.Value
			}
			if props["latency"] != c.Latency || props["a.runs"] != "1" {
				t.Errorf("properties %v", props)
			}
			if tc.latIn != "" && c.Latency != tc.latIn {
				t.Errorf("latency %q, want %q", c.Latency, tc.latIn)
			}
			if !strings.Contains(s.Out, summaryLine(c)) {
				t.Errorf("suite system-out lacks the summary %q:\n%s", summaryLine(c), s.Out)
			}

			// A round trip through the writer's own types gives the same document.
			var back report.JUnitSuites
			if err := xml.Unmarshal(buf.Bytes(), &back); err != nil {
				t.Fatal(err)
			}
			var again bytes.Buffer
			if err := report.WriteJUnit(&again, &back); err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(again.Bytes(), buf.Bytes()) {
				t.Errorf("round trip changed the document:\n%s\n---\n%s", buf.String(), again.String())
			}
		})
	}
}
