package main

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
)

// Label is one row of a CredData meta file.
type Label struct {
	ID         int
	FileID     string
	Repo       string
	Path       string // as meta names it: data/<repo>/<scope>/<file id><ext>
	LineStart  int
	LineEnd    int
	Truth      string // T, F or X
	ValueStart int
	ValueEnd   int
	Categories []string
	raw        []string
}

var metaHeader = []string{"Id", "FileID", "Domain", "RepoName", "FilePath", "LineStart", "LineEnd",
	"GroundTruth", "ValueStart", "ValueEnd", "CryptographyKey", "PredefinedPattern", "Category"}

// readMeta parses one meta CSV; every malformed row is reported at once.
func readMeta(path string) ([]Label, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	r := csv.NewReader(f)
	header, err := r.Read()
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if strings.Join(header, ",") != strings.Join(metaHeader, ",") {
		return nil, fmt.Errorf("%s: unexpected header %q", path, strings.Join(header, ","))
	}
	var labels []Label
	var errs []error
	for {
		rec, err := r.Read()
		if err == io.EOF {
			break
		}
		if err != nil {
			errs = append(errs, fmt.Errorf("%s: %w", path, err))
			break
		}
		line, _ := r.FieldPos(0)
		l, err := parseRow(rec)
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: %w", path, line, err))
			continue
		}
		labels = append(labels, l)
	}
	return labels, errors.Join(errs...)
}

func parseRow(rec []string) (Label, error) {
	num := func(s string) (int, error) {
		if s == "" {
			return -1, nil
		}
		return strconv.Atoi(s)
	}
	l := Label{FileID: rec[1], Repo: rec[3], Path: rec[4], Truth: rec[7], raw: rec}
	var err error
	if l.ID, err = strconv.Atoi(rec[0]); err != nil {
		return l, fmt.Errorf("Id %q", rec[0])
	}
	for i, p := range []*int{&l.LineStart, &l.LineEnd, &l.ValueStart, &l.ValueEnd} {
		if *p, err = num(rec[[]int{5, 6, 8, 9}[i]]); err != nil {
			return l, fmt.Errorf("column %s: %q is not a number", metaHeader[[]int{5, 6, 8, 9}[i]], rec[[]int{5, 6, 8, 9}[i]])
		}
	}
	if l.LineStart < 1 || l.LineEnd < l.LineStart {
		return l, fmt.Errorf("lines %d-%d", l.LineStart, l.LineEnd)
	}
	switch l.Truth {
	case "T", "F", "X":
	default:
		return l, fmt.Errorf("GroundTruth %q", l.Truth)
	}
	if rec[12] == "" {
		return l, errors.New("no Category")
	}
	l.Categories = strings.Split(rec[12], ":")
	return l, nil
}

// writeMeta writes labels as a meta CSV, in CredData's format.
func writeMeta(path string, labels []Label) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := csv.NewWriter(f)
	w.Write(metaHeader)
	for _, l := range labels {
		w.Write(l.raw)
	}
	w.Flush()
	if err := w.Error(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

// readMetaDir reads every *.csv in dir, sorted by name.
func readMetaDir(dir string) ([]Label, error) {
	names, err := filepath.Glob(filepath.Join(dir, "*.csv"))
	if err != nil {
		return nil, err
	}
	if len(names) == 0 {
		return nil, fmt.Errorf("%s: no meta files", dir)
	}
	sort.Strings(names)
	var all []Label
	var errs []error
	for _, n := range names {
		ls, err := readMeta(n)
		errs = append(errs, err)
		all = append(all, ls...)
	}
	return all, errors.Join(errs...)
}
