package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"runtime"
	"runtime/pprof"
)

// startProfiles starts a CPU profile for cpuPath and arranges for an
// allocation profile for memPath; either may be empty. The returned
// function stops the CPU profile and writes both files, like every report,
// through a destination (files.go): atomically for regular files, in place
// for devices and FIFOs. Both destinations are opened now, so that a bad
// path fails before the run. The CPU profile is kept in memory until then
// (it is small: samples, not events).
func startProfiles(cpuPath, memPath string, stdout io.Writer) (stop func() error, err error) {
	var cpuD, memD *destination
	if cpuPath != "" {
		if cpuD, err = openDestination(cpuPath, stdout); err != nil {
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
	}
	if memPath != "" {
		if memD, err = openDestination(memPath, stdout); err != nil {
			if cpuD != nil {
				cpuD.abort()
			}
			return nil, fmt.Errorf("--memprofile: %w", err)
		}
	}
	var cpu bytes.Buffer
	if cpuD != nil {
		if err := pprof.StartCPUProfile(&cpu); err != nil {
			cpuD.abort()
			if memD != nil {
				memD.abort()
			}
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
	}
	return func() error {
		var errs []error
		if cpuD != nil {
			pprof.StopCPUProfile()
			if err := cpuD.write(func(w io.Writer) error { _, err := cpu.WriteTo(w); return err }); err != nil {
				errs = append(errs, fmt.Errorf("--cpuprofile: %w", err))
			}
		}
		if memD != nil {
			runtime.GC() // up-to-date statistics
			if err := memD.write(func(w io.Writer) error { return pprof.Lookup("allocs").WriteTo(w, 0) }); err != nil {
				errs = append(errs, fmt.Errorf("--memprofile: %w", err))
			}
		}
		return errors.Join(errs...)
	}, nil
}
