package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/msnbench/msnbench/report"
)

// loadRunFile decodes and validates one saved run.
func loadRunFile(path string) (*report.Run, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	run, err := report.Decode(f)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return run, nil
}

// readRunFiles decodes saved runs (report.Decode validates each).
func readRunFiles(paths []string) ([]*report.Run, error) {
	runs := make([]*report.Run, 0, len(paths))
	for _, p := range paths {
		run, err := loadRunFile(p)
		if err != nil {
			return nil, err
		}
		runs = append(runs, run)
	}
	return runs, nil
}

// writeFileAtomic writes path through a temporary file in its directory
// and renames it into place, so a failed write never leaves half a report.
func writeFileAtomic(path string, write func(io.Writer) error) error {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*.tmp")
	if err != nil {
		return fmt.Errorf("cannot write %s: %w", path, err)
	}
	err = write(tmp)
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Chmod(tmp.Name(), 0o644)
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	if err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("writing %s: %w", path, err)
	}
	return nil
}
