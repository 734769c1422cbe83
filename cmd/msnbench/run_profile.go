package main

import (
	"errors"
	"fmt"
	"os"
	"runtime"
	"runtime/pprof"
)

// startProfiles starts a CPU profile into cpuPath and arranges for an
// allocation profile into memPath; either may be empty. The returned
// function stops the CPU profile and writes the allocation profile. Both
// files are created now, so that a bad path fails before the run.
func startProfiles(cpuPath, memPath string) (stop func() error, err error) {
	var cpuF, memF *os.File
	if cpuPath != "" {
		if cpuF, err = os.Create(cpuPath); err != nil {
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
	}
	if memPath != "" {
		if memF, err = os.Create(memPath); err != nil {
			if cpuF != nil {
				cpuF.Close()
			}
			return nil, fmt.Errorf("--memprofile: %w", err)
		}
	}
	if cpuF != nil {
		if err := pprof.StartCPUProfile(cpuF); err != nil {
			cpuF.Close()
			if memF != nil {
				memF.Close()
			}
			return nil, fmt.Errorf("--cpuprofile: %w", err)
		}
	}
	return func() error {
		var errs []error
		if cpuF != nil {
			pprof.StopCPUProfile()
			if err := cpuF.Close(); err != nil {
				errs = append(errs, fmt.Errorf("--cpuprofile: %w", err))
			}
		}
		if memF != nil {
			runtime.GC() // up-to-date statistics
			if err := pprof.Lookup("allocs").WriteTo(memF, 0); err != nil {
				errs = append(errs, fmt.Errorf("--memprofile: %w", err))
			}
			if err := memF.Close(); err != nil {
				errs = append(errs, fmt.Errorf("--memprofile: %w", err))
			}
		}
		return errors.Join(errs...)
	}, nil
}
