package loadgen

import (
	"slices"
	"strings"
	"testing"

	"github.com/msnbench/msnbench/report"
)

// TestStepTable: every step declares a name, a phase of its own and a run
// method; the names are unique; ParseSteps reads back every name (in any
// case) and every list of them in the order given; the "unknown step"
// error names every step and alias; and the aliases expand to known steps.
func TestStepTable(t *testing.T) {
	names := map[string]bool{}
	phases := map[report.Phase]bool{}
	var all []Step
	for st := Step(1); st < numSteps; st++ {
		d := stepDefs[st]
		switch {
		case d.name == "" || d.name == "unknown" || strings.ContainsAny(d.name, ", "):
			t.Errorf("step %d: bad name %q", st, d.name)
		case names[d.name]:
			t.Errorf("step %d: name %q used twice", st, d.name)
		}
		names[d.name] = true
		if d.phase == 0 || d.phase >= report.NumPhases || phases[d.phase] {
			t.Errorf("step %q: phase %v missing or shared", d.name, d.phase)
		}
		phases[d.phase] = true
		if d.run == nil {
			t.Errorf("step %q: no run method", d.name)
		}
		if st.String() != d.name {
			t.Errorf("Step(%d).String() = %q, want %q", st, st.String(), d.name)
		}
		for _, in := range []string{d.name, strings.ToUpper(d.name), " " + d.name + " "} {
			got, err := ParseSteps(in)
			if err != nil || len(got) != 1 || got[0] != st {
				t.Errorf("ParseSteps(%q) = %v, %v; want [%v]", in, got, err, st)
			}
		}
		all = append(all, st)
	}
	if len(all) == 0 {
		t.Fatal("no steps")
	}
	if Step(0).String() != "unknown" || numSteps.String() != "unknown" {
		t.Errorf("steps outside the table: %q, %q", Step(0), numSteps)
	}

	// Every list of all the steps, forwards and backwards, round-trips.
	rev := slices.Clone(all)
	slices.Reverse(rev)
	for _, list := range [][]Step{all, rev} {
		var w []string
		for _, st := range list {
			w = append(w, st.String())
		}
		got, err := ParseSteps(strings.Join(w, ","))
		if err != nil || !slices.Equal(got, list) {
			t.Errorf("ParseSteps(%q) = %v, %v; want %v", strings.Join(w, ","), got, err, list)
		}
	}

	_, err := ParseSteps("syn,dance")
	if err == nil || !strings.Contains(err.Error(), `"dance"`) {
		t.Fatalf("ParseSteps(syn,dance) = %v, want an unknown step error", err)
	}
	for n := range names {
		if !strings.Contains(err.Error(), n) {
			t.Errorf("unknown step error %q does not list %q", err, n)
		}
	}
	for _, a := range stepAliases {
		if !strings.Contains(err.Error(), a.name) {
			t.Errorf("unknown step error %q does not list the alias %q", err, a.name)
		}
		got, err := ParseSteps(a.name)
		if err != nil {
			t.Errorf("alias %q: %v", a.name, err)
		}
		if want, _ := ParseSteps(a.steps); !slices.Equal(got, want) {
			t.Errorf("alias %q = %v, want %v", a.name, got, want)
		}
	}
	if got, err := ParseSteps("both"); err != nil || !slices.Equal(got, []Step{StepSyn, StepChg}) {
		t.Errorf("ParseSteps(both) = %v, %v; want [syn chg]", got, err)
	}
	if got, err := ParseSteps("none"); err != nil || got != nil {
		t.Errorf("ParseSteps(none) = %v, %v; want nil", got, err)
	}
	if _, err := ParseSteps("chg,syn,chg"); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("ParseSteps(chg,syn,chg) = %v, want listed twice", err)
	}

	// The facts other code asks about: SYN fetches the lists, CHG goes
	// online, and the messages that need them name them.
	if !anyStep([]Step{StepSyn}, fetchesLists) || anyStep([]Step{StepChg}, fetchesLists) {
		t.Error("fetchesLists: want syn only")
	}
	if !anyStep([]Step{StepChg}, goesOnline) || anyStep([]Step{StepSyn}, goesOnline) {
		t.Error("goesOnline: want chg only")
	}
	if stepsWith(fetchesLists) != "syn" || stepsWith(goesOnline) != "chg" {
		t.Errorf("stepsWith: lists %q, online %q", stepsWith(fetchesLists), stepsWith(goesOnline))
	}
}

// TestValidateSteps: a Config built by hand with a step outside the table,
// or one listed twice, is refused (before, an unknown step ran nothing and
// recorded its "reply" as ds.connect).
func TestValidateSteps(t *testing.T) {
	for _, tc := range []struct {
		steps []Step
		want  string
	}{
		{[]Step{StepSyn, numSteps}, "unknown step"},
		{[]Step{0}, "unknown step"},
		{[]Step{StepChg, StepSyn, StepChg}, `"chg" listed twice`},
	} {
		cfg := baseConfig("127.0.0.1:1863")
		cfg.Concurrency, cfg.Logins = 1, 1
		cfg.Steps = tc.steps
		err := cfg.Validate()
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("steps %v: Validate() = %v, want %q", tc.steps, err, tc.want)
		}
	}
	cfg := baseConfig("127.0.0.1:1863")
	cfg.Concurrency, cfg.Logins = 1, 1
	cfg.Steps = []Step{StepChg, StepSyn}
	if err := cfg.Validate(); err != nil {
		t.Errorf("steps chg,syn: %v", err)
	}
}
