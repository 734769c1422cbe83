package report_test

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"

	"github.com/msnbench/msnbench/report"
	"github.com/msnbench/msnbench/report/internal/fixture"
)

// TestJUnitStructure decodes the JUnit output with encoding/xml into a
// schema of its own (not the writer's types) and checks what CI systems
// read: testsuites > testsuite > testcase, failure counts that match the
// failure elements, one case per clause named as written, and the measured
// value in every message.
func TestJUnitStructure(t *testing.T) {
	run := fixture.RecordedRun(t, false)
	slo, err := report.ParseSLO("login:p99<10ms, ns.syn:p50<1ms, errors<1%, rate>100, qry:p99<1s")
	if err != nil {
		t.Fatal(err)
	}
	res := slo.Check(run)
	var buf bytes.Buffer
	if err := report.WriteJUnit(&buf, report.SLOJUnit(run, res)); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), `<?xml version="1.0" encoding="UTF-8"?>`) {
		t.Errorf("no XML declaration:\n%s", buf.String())
	}
	var doc struct {
		XMLName  xml.Name
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Suites   []struct {
			XMLName  xml.Name
			Name     string `xml:"name,attr"`
			Tests    int    `xml:"tests,attr"`
			Failures int    `xml:"failures,attr"`
			Time     string `xml:"time,attr"`
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
					Text    string `xml:",chardata"`
				} `xml:"failure"`
				Out string `xml:"system-out"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if doc.XMLName.Local != "testsuites" || len(doc.Suites) != 1 || doc.Suites[0].XMLName.Local != "testsuite" {
		t.Fatalf("want testsuites > one testsuite, got %v with %d suites", doc.XMLName, len(doc.Suites))
	}
	s := doc.Suites[0]
	if s.Tests != len(slo) || doc.Tests != len(slo) || len(s.Cases) != len(slo) {
		t.Errorf("tests=%d/%d, %d cases, want %d", doc.Tests, s.Tests, len(s.Cases), len(slo))
	}
	if s.Time != "5.003" {
		t.Errorf("suite time %q, want the run's elapsed 5.003", s.Time)
	}
	failures := 0
	for i, c := range s.Cases {
		r := res[i]
		if c.XMLName.Local != "testcase" || c.Name != r.Text || c.ClassName != "msnbench.slo" {
			t.Errorf("case %d: %v %q %q, want testcase %q", i, c.XMLName, c.Name, c.ClassName, r.Text)
		}
		if got := c.Failure == nil; got != r.Pass {
			t.Errorf("%s: failure element present %v, but pass %v", r.Text, !got, r.Pass)
		}
		if c.Failure != nil {
			failures++
			if c.Failure.Message != r.String() || c.Failure.Text != r.String() {
				t.Errorf("%s: failure message %q, want %q", r.Text, c.Failure.Message, r.String())
			}
		}
		if !r.Missing && !strings.Contains(c.Out, r.Format(r.Measured)) {
			t.Errorf("%s: system-out %q lacks the measured value %s", r.Text, c.Out, r.Format(r.Measured))
		}
	}
	if failures == 0 || failures == len(res) {
		t.Fatalf("fixture should mix passes and failures, has %d failures of %d", failures, len(res))
	}
	if s.Failures != failures || doc.Failures != failures {
		t.Errorf("failures attribute %d/%d, %d failure elements", doc.Failures, s.Failures, failures)
	}
	props := map[string]string{}
	for _, p := range s.Props {
		props[p.Name] = p.Value
	}
	if props["target"] != "127.0.0.1:1863" || props["label"] != "synthetic" {
		t.Errorf("properties %v", props)
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
}

// TestJUnitEscapes: clause text such as "p99<10ms" and odd labels stay
// well-formed XML.
func TestJUnitEscapes(t *testing.T) {
	run := fixture.RecordedRun(t, false)
	run.Label = `a<b>&"c"` + "\x01"
	slo, _ := report.ParseSLO("login:p99<=10ms")
	var buf bytes.Buffer
	if err := report.WriteJUnit(&buf, report.SLOJUnit(run, slo.Check(run))); err != nil {
		t.Fatal(err)
	}
	d := xml.NewDecoder(&buf)
	for {
		_, err := d.Token()
		if err != nil {
			if err.Error() != "EOF" {
				t.Fatalf("not well-formed: %v", err)
			}
			break
		}
	}
}
