package loadgen

import (
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"
)

func TestLimitsCheck(t *testing.T) {
	cases := []struct {
		name       string
		noFile     uint64
		ports      int
		sides      int
		peak       int
		wantFit    int
		wantNeed   uint64
		wantErr    string   // substring; "" means no error
		wantQuoted []string // figures the error must quote
	}{
		{name: "fits with overlap", noFile: 20000, ports: 28232, sides: 1, peak: 9000,
			wantFit: 9968, wantNeed: 9000*2 + fdHeadroom},
		{name: "fits one per side only", noFile: 20000, ports: 28232, sides: 1, peak: 15000,
			wantFit: 9968, wantNeed: 15000 + fdHeadroom},
		{name: "embedded, one per side", noFile: 20000, ports: 28232, sides: 2, peak: 9000,
			wantFit: 4984, wantNeed: 9000*2 + fdHeadroom},
		// The bug report: 10000 in flight with the server in-process. The
		// figure compared is 10000×2+64, and that is the one to quote.
		{name: "embedded, does not fit", noFile: 20000, ports: 28232, sides: 2, peak: 10000,
			wantFit: 4984, wantErr: "file descriptors", wantQuoted: []string{"20064", "20000", "4984"}},
		{name: "too few ports", noFile: 1 << 20, ports: 1000, sides: 1, peak: 1001,
			wantFit: 1000, wantErr: "local ports", wantQuoted: []string{"1001", "1000"}},
		{name: "ports unknown", noFile: 1 << 20, ports: 0, sides: 1, peak: 100000,
			wantFit: (1<<20 - fdHeadroom) / 2, wantNeed: 100000*2 + fdHeadroom},
		{name: "limit below headroom", noFile: 10, ports: 100, sides: 1, peak: 1,
			wantFit: 0, wantErr: "file descriptors", wantQuoted: []string{"65", "10"}},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			l := Limits{NoFile: c.noFile, LocalPorts: c.ports}
			if c.ports > 0 {
				l.PortLo, l.PortHi = 1, c.ports
			}
			l.setFit(c.sides)
			if l.Fit != c.wantFit {
				t.Errorf("Fit = %d, want %d", l.Fit, c.wantFit)
			}
			err := l.check(c.peak)
			if c.wantErr == "" {
				if err != nil {
					t.Fatalf("err = %v", err)
				}
				if l.NeedFiles != c.wantNeed {
					t.Errorf("NeedFiles = %d, want %d", l.NeedFiles, c.wantNeed)
				}
				if l.NeedFiles > l.NoFile {
					t.Errorf("accepted NeedFiles %d above the limit %d", l.NeedFiles, l.NoFile)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), c.wantErr) {
				t.Fatalf("err = %v, want %q", err, c.wantErr)
			}
			for _, q := range c.wantQuoted {
				if !strings.Contains(err.Error(), q) {
					t.Errorf("err %q does not quote %s", err, q)
				}
			}
		})
	}
}

// fakeLimits makes New see a machine with noFile open files and ports local
// ports, restoring the real probe at the end of the test.
func fakeLimits(t *testing.T, noFile uint64, ports int) {
	t.Helper()
	old := probe
	t.Cleanup(func() { probe = old })
	probe = func(sources, sides int) (Limits, error) {
		l := Limits{NoFile: noFile, LocalPorts: ports * max(sources, 1), PortLo: 1, PortHi: ports}
		l.setFit(sides)
		return l, nil
	}
}

func TestNewAdaptsDefaultMaxInflight(t *testing.T) {
	cases := []struct {
		name        string
		shared      bool
		maxInflight int // 0: the default
		concurrency int
		noFile      uint64
		ports       int
		want        int    // MaxInflight after New
		wantErr     string // substring
	}{
		{name: "default lowered, embedded", shared: true, noFile: 20000, ports: 28232, want: 4984},
		{name: "default lowered, remote", noFile: 20000, ports: 28232, want: 9968},
		{name: "default lowered by ports", noFile: 1 << 20, ports: 3000, want: 3000},
		{name: "default fits", noFile: 1 << 20, ports: 28232, want: DefaultMaxInflight},
		{name: "explicit fits one per side", shared: true, maxInflight: 9000, noFile: 20000, ports: 28232,
			want: 9000},
		{name: "explicit refused", shared: true, maxInflight: 10000, noFile: 20000, ports: 28232,
			wantErr: "need at least 20064 file descriptors"},
		{name: "closed model refused", shared: true, concurrency: 10000, noFile: 20000, ports: 28232,
			wantErr: "need at least 20064 file descriptors"},
		{name: "nothing fits", noFile: 40, ports: 28232, wantErr: "file descriptors"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			fakeLimits(t, c.noFile, c.ports)
			cfg := baseConfig("127.0.0.1:1")
			cfg.Accounts = 20000
			cfg.Duration = time.Second
			cfg.SharedProcess = c.shared
			if c.concurrency > 0 {
				cfg.Concurrency = c.concurrency
			} else {
				cfg.Rate = 300
				cfg.MaxInflight = c.maxInflight
			}
			e, err := New(cfg)
			if c.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Fatalf("err = %v, want %q", err, c.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := e.Config().MaxInflight
			if got != c.want {
				t.Errorf("MaxInflight = %d, want %d", got, c.want)
			}
			note := e.LimitsNote()
			lowered := c.maxInflight == 0 && c.want < DefaultMaxInflight
			if lowered != (note != "") {
				t.Errorf("note = %q, lowered = %v", note, lowered)
			}
			if lowered {
				if e.Limits().LoweredFrom != DefaultMaxInflight || !strings.Contains(note, strconv.Itoa(c.want)) {
					t.Errorf("limits %+v, note %q", e.Limits(), note)
				}
				if e.reportConfig().MaxInflight != c.want {
					t.Errorf("report max in-flight = %d, want %d", e.reportConfig().MaxInflight, c.want)
				}
				// The lowered cap is a warning only for a run that reached it.
				if w := e.limitsWarning(int64(c.want - 1)); w != "" {
					t.Errorf("a run below the cap warned %q", w)
				}
				if w := e.limitsWarning(int64(c.want)); !strings.Contains(w, note) {
					t.Errorf("a run at the cap warned %q, want the note %q", w, note)
				}
				if slices.ContainsFunc(e.Notes(), func(n string) bool { return strings.Contains(n, "max in-flight") }) {
					t.Errorf("notes %q carry the lowered cap before any run", e.Notes())
				}
			}
		})
	}
}

// TestKernelStampsOffLinux plays a platform without kernel receive
// timestamps: --timestamps kernel runs with user timestamps and says so,
// where it used to refuse the run.
func TestKernelStampsOffLinux(t *testing.T) {
	defer func(s bool) { stampsSupported = s }(stampsSupported)
	stampsSupported = false
	for _, ts := range []string{"", TimestampsKernel, TimestampsUser} {
		cfg := baseConfig("127.0.0.1:1")
		cfg.IO, cfg.Loops, cfg.Timestamps = IONet, 0, ts
		cfg.Concurrency, cfg.Logins = 1, 1
		e, err := New(cfg)
		if err != nil {
			t.Fatalf("%q: %v", ts, err)
		}
		if got := e.Config().Timestamps; got != TimestampsUser {
			t.Errorf("%q: timestamps %q, want user", ts, got)
		}
		noted := slices.ContainsFunc(e.Notes(), func(n string) bool { return strings.Contains(n, "--timestamps kernel needs Linux") })
		if noted != (ts == TimestampsKernel) {
			t.Errorf("%q: notes %q", ts, e.Notes())
		}
	}
}
