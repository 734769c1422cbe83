package report

import (
	"encoding/xml"
	"io"
	"strconv"
)

// JUnit XML, the test-result format every CI system reads: one <testsuite>
// per check, one <testcase> per clause, a <failure> for a clause missed.
// The element and attribute names are those of the Ant/Jenkins schema
// (testsuites > testsuite > testcase > failure) that GitLab, GitHub
// actions, Jenkins and Buildkite parse.
type (
	// JUnitSuites is the document's root element.
	JUnitSuites struct {
		XMLName  xml.Name     `xml:"testsuites"`
		Name     string       `xml:"name,attr"`
		Tests    int          `xml:"tests,attr"`
		Failures int          `xml:"failures,attr"`
		Errors   int          `xml:"errors,attr"`
		Skipped  int          `xml:"skipped,attr,omitempty"`
		Time     string       `xml:"time,attr"`
		Suites   []JUnitSuite `xml:"testsuite"`
	}
	// JUnitSuite is one check of one run.
	JUnitSuite struct {
		Name       string          `xml:"name,attr"`
		Tests      int             `xml:"tests,attr"`
		Failures   int             `xml:"failures,attr"`
		Errors     int             `xml:"errors,attr"`
		Skipped    int             `xml:"skipped,attr"`
		Time       string          `xml:"time,attr"`
		Timestamp  string          `xml:"timestamp,attr,omitempty"`
		Properties []JUnitProperty `xml:"properties>property,omitempty"`
		Cases      []JUnitCase     `xml:"testcase"`
		SystemOut  string          `xml:"system-out,omitempty"`
	}
	// JUnitProperty is a name=value pair describing the run.
	JUnitProperty struct {
		Name  string `xml:"name,attr"`
		Value string `xml:"value,attr"`
	}
	// JUnitCase is one clause, or one verdict of a comparison.
	JUnitCase struct {
		Name      string        `xml:"name,attr"`
		ClassName string        `xml:"classname,attr"`
		Time      string        `xml:"time,attr"`
		Failure   *JUnitFailure `xml:"failure,omitempty"`
		Skipped   *JUnitSkipped `xml:"skipped,omitempty"`
		SystemOut string        `xml:"system-out,omitempty"`
	}
	// JUnitSkipped marks a case that was not judged, and says why.
	JUnitSkipped struct {
		Message string `xml:"message,attr"`
	}
	// JUnitFailure says why a clause failed.
	JUnitFailure struct {
		Message string `xml:"message,attr"`
		Type    string `xml:"type,attr"`
		Text    string `xml:",chardata"`
	}
)

// SLOJUnit renders an SLO check of run as JUnit: a suite "msnbench slo"
// with one test case per clause, named as the clause was written, passing
// or failing with the measured value in its message, so a CI system shows
// which threshold a build missed and by how much.
func SLOJUnit(run *Run, res SLOReport) *JUnitSuites {
	secs := strconv.FormatFloat(run.Elapsed().Seconds(), 'f', 3, 64)
	suite := JUnitSuite{Name: "msnbench slo", Tests: len(res), Time: secs}
	if !run.Start.IsZero() {
		suite.Timestamp = run.Start.UTC().Format("2006-01-02T15:04:05")
	}
	for _, p := range []JUnitProperty{
		{"tool", run.Tool}, {"label", run.Label}, {"target", run.Config.Target},
		{"load", run.Config.DescribeLoad()}, {"interrupted", strconv.FormatBool(run.Interrupted)},
	} {
		if p.Value != "" {
			suite.Properties = append(suite.Properties, p)
		}
	}
	for _, r := range res {
		c := JUnitCase{Name: r.Text, ClassName: "msnbench.slo", Time: "0", SystemOut: r.String()}
		if !r.Pass {
			suite.Failures++
			c.Failure = &JUnitFailure{Message: r.String(), Type: "threshold", Text: r.String()}
			if r.Missing {
				c.Failure.Type = "no-values"
			}
		}
		suite.Cases = append(suite.Cases, c)
	}
	var warn []byte
	if run.Interrupted {
		warn = append(warn, "WARNING: "+interruptedNote+"\n"...)
	}
	for _, m := range runWarnings(run) {
		warn = append(warn, "WARNING: "+m+"\n"...)
	}
	suite.SystemOut = string(warn)
	return &JUnitSuites{Name: "msnbench", Tests: suite.Tests, Failures: suite.Failures, Time: secs,
		Suites: []JUnitSuite{suite}}
}

// WriteJUnit writes doc as an indented XML document.
func WriteJUnit(w io.Writer, doc *JUnitSuites) error {
	ew := &errWriter{w: w}
	io.WriteString(ew, xml.Header)
	enc := xml.NewEncoder(ew)
	enc.Indent("", "  ")
	if err := enc.Encode(doc); err != nil {
		return err
	}
	io.WriteString(ew, "\n")
	return ew.err
}
