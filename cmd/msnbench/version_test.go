package main

import (
	"runtime/debug"
	"testing"
)

func TestResolveVersion(t *testing.T) {
	mod := func(v string) *debug.BuildInfo {
		return &debug.BuildInfo{Main: debug.Module{Path: "github.com/msnbench/msnbench", Version: v}}
	}
	tests := []struct {
		name    string
		stamped string
		bi      *debug.BuildInfo
		want    string
	}{
		{"go install @version", devVersion, mod("v0.2.0"), "v0.2.0"},
		{"go install @commit", devVersion, mod("v0.0.0-20261201120000-abcdef123456"), "v0.0.0-20261201120000-abcdef123456"},
		{"ldflags win", "v0.3.0", mod("v0.2.0"), "v0.3.0"},
		{"checkout build", devVersion, mod("(devel)"), devVersion},
		{"no module version", devVersion, mod(""), devVersion},
		{"no build info", devVersion, nil, devVersion},
	}
	for _, tt := range tests {
		if got := resolveVersion(tt.stamped, tt.bi); got != tt.want {
			t.Errorf("%s: resolveVersion(%q) = %q, want %q", tt.name, tt.stamped, got, tt.want)
		}
	}
}
