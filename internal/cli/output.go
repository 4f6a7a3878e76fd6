package cli

import (
	"fmt"
	"io"
	"os"
	"path/filepath"
)

// writeReport writes through fill to path, or to stdout when path is ""
// or "-". A regular file is written to a temporary name in the same
// folder with owner-only permissions and renamed into place, so a report
// is never left half-written; anything else (/dev/null, a FIFO, a
// terminal) is opened and written directly.
func writeReport(path string, stdout io.Writer, fill func(io.Writer) error) error {
	if path == "" || path == "-" {
		return fill(stdout)
	}
	if info, err := os.Stat(path); err == nil && !info.Mode().IsRegular() {
		if info.IsDir() {
			return fmt.Errorf("report path %s is a directory", path)
		}
		fh, err := os.OpenFile(path, os.O_WRONLY, 0)
		if err != nil {
			return fmt.Errorf("report: %w", err)
		}
		if err := fill(fh); err != nil {
			fh.Close()
			return fmt.Errorf("report %s: %w", path, err)
		}
		return fh.Close()
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), ".leakhound-report-*")
	if err != nil {
		return fmt.Errorf("report: cannot write next to %s: %w", path, err)
	}
	clean := func() { tmp.Close(); os.Remove(tmp.Name()) }
	if err := tmp.Chmod(0o600); err != nil {
		clean()
		return fmt.Errorf("report: %w", err)
	}
	if err := fill(tmp); err != nil {
		clean()
		return fmt.Errorf("report %s: %w", path, err)
	}
	if err := tmp.Sync(); err != nil {
		clean()
		return fmt.Errorf("report %s: %w", path, err)
	}
	if err := tmp.Close(); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("report %s: %w", path, err)
	}
	if err := os.Rename(tmp.Name(), path); err != nil {
		os.Remove(tmp.Name())
		return fmt.Errorf("report: %w", err)
	}
	return nil
}

// appendFile appends what fill writes to path, creating it owner-only:
// a CI job summary file collects what every step writes.
func appendFile(path string, fill func(io.Writer) error) error {
	fh, err := os.OpenFile(path, os.O_WRONLY|os.O_APPEND|os.O_CREATE, 0o600)
	if err != nil {
		return err
	}
	if err := fill(fh); err != nil {
		fh.Close()
		return fmt.Errorf("%s: %w", path, err)
	}
	return fh.Close()
}
