package main

import "runtime/debug"

// devVersion is version's value when the build did not set it with
// -ldflags "-X main.version=...".
const devVersion = "0.1.0-dev"

func init() {
	bi, _ := debug.ReadBuildInfo()
	version = resolveVersion(version, bi)
}

// resolveVersion gives a binary built by `go install
// github.com/msnbench/msnbench/cmd/msnbench@v0.2.0` (no -ldflags) its module
// version, so `msnbench version` and every report's tool field say which
// release made them. A version set with -ldflags wins; a build from a
// checkout keeps the stamped or default version.
func resolveVersion(stamped string, bi *debug.BuildInfo) string {
	if stamped != devVersion || bi == nil {
		return stamped
	}
	switch v := bi.Main.Version; v {
	case "", "(devel)":
		return stamped
	default:
		return v
	}
}
