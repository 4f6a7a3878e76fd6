// Command triage keeps the hand-triage tables of whole-history scans of
// real repositories (docs/accuracy/triage/*.tsv): one row per finding with
// the verdict a person gave it, never the secret itself.
//
//	go run ./bench/triage table -repo owner/name REPORT.json [OLD.tsv] > NEW.tsv
//	go run ./bench/triage show -git GITDIR TABLE.tsv     # the untriaged rows, with their line
//	go run ./bench/triage score TABLE.tsv...
//
// table turns a leakhound JSON report of `leakhound git` into rows
// (repository, commit, path, line, rule, verdict, reason, value hash),
// carrying verdicts over from an older table for findings it already
// holds (same commit, path, rule and value). show prints each row without
// a verdict with the line it points at, read from the repository, for the
// person triaging. score prints, per table and in all, how many findings
// are credentials, credential-shaped fixtures or false positives.
//
// Verdicts: "credential" (looks like a working credential), "fixture" (a
// credential-shaped value made up for a test, example or documentation:
// right format, a plausible key), "false-positive" (not a credential at
// all: a word, a reference, a placeholder, an id).
package main

import (
	"bufio"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"sort"
	"strconv"
	"strings"
)

// Verdicts a row may carry.
var Verdicts = []string{"credential", "fixture", "false-positive"}

// Row is one triaged finding.
type Row struct {
	Repo, Commit, Path string
	Line               int
	Rule               string
	Verdict, Reason    string
	Hash               string // first 16 hex digits of SHA-256 of the value
}

var header = []string{"repository", "commit", "path", "line", "rule", "verdict", "reason", "value_sha256"}

func (r Row) key() string { return r.Commit + "\x00" + r.Path + "\x00" + r.Rule + "\x00" + r.Hash }

func main() {
	if len(os.Args) < 2 {
		usage()
	}
	var err error
	switch os.Args[1] {
	case "table":
		err = tableCmd(os.Args[2:], os.Stdout)
	case "show":
		err = showCmd(os.Args[2:], os.Stdout)
	case "score":
		err = scoreCmd(os.Args[2:], os.Stdout)
	default:
		usage()
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "triage:", err)
		os.Exit(2)
	}
}

func usage() {
	fmt.Fprintln(os.Stderr, `usage:
  triage table -repo owner/name REPORT.json [OLD.tsv] > NEW.tsv
  triage show -git GITDIR TABLE.tsv
  triage score TABLE.tsv...`)
	os.Exit(2)
}

type finding struct {
	RuleID    string `json:"rule_id"`
	File      string `json:"file"`
	StartLine int    `json:"start_line"`
	Secret    string `json:"secret"`
	Commit    string `json:"commit"`
}

func valueHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:8])
}

func tableCmd(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("table", flag.ExitOnError)
	repo := fs.String("repo", "", "owner/name of the scanned repository")
	fs.Parse(args)
	if *repo == "" || fs.NArg() < 1 {
		return errors.New("table needs -repo and a report")
	}
	b, err := os.ReadFile(fs.Arg(0))
	if err != nil {
		return err
	}
	var fsIn []finding
	if err := json.Unmarshal(b, &fsIn); err != nil {
		return fmt.Errorf("%s: %w", fs.Arg(0), err)
	}
	old := map[string]Row{}
	if fs.NArg() > 1 {
		rows, err := readTable(fs.Arg(1))
		if err != nil {
			return err
		}
		for _, r := range rows {
			old[r.key()] = r
		}
	}
	rows := make([]Row, 0, len(fsIn))
	for _, f := range fsIn {
		if f.Secret == "" {
			return fmt.Errorf("%s: findings carry no secret; scan without --redact so values can be hashed", fs.Arg(0))
		}
		r := Row{Repo: *repo, Commit: f.Commit, Path: f.File, Line: f.StartLine, Rule: f.RuleID, Hash: valueHash(f.Secret)}
		if o, ok := old[r.key()]; ok {
			r.Verdict, r.Reason = o.Verdict, o.Reason
		}
		rows = append(rows, r)
	}
	sort.SliceStable(rows, func(i, j int) bool {
		a, b := rows[i], rows[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.Commit != b.Commit {
			return a.Commit < b.Commit
		}
		return a.Line < b.Line
	})
	return writeTable(w, rows)
}

func writeTable(w io.Writer, rows []Row) error {
	bw := bufio.NewWriter(w)
	fmt.Fprintln(bw, strings.Join(header, "\t"))
	for _, r := range rows {
		fmt.Fprintf(bw, "%s\t%s\t%s\t%d\t%s\t%s\t%s\t%s\n", r.Repo, r.Commit, r.Path, r.Line, r.Rule, r.Verdict, clean(r.Reason), r.Hash)
	}
	return bw.Flush()
}

func clean(s string) string { return strings.NewReplacer("\t", " ", "\n", " ").Replace(s) }

func readTable(path string) ([]Row, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	sc.Buffer(nil, 1<<20)
	var rows []Row
	var errs []error
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if n == 1 {
			if line != strings.Join(header, "\t") {
				return nil, fmt.Errorf("%s:1: not a triage table header", path)
			}
			continue
		}
		c := strings.Split(line, "\t")
		if len(c) != len(header) {
			errs = append(errs, fmt.Errorf("%s:%d: %d columns, want %d", path, n, len(c), len(header)))
			continue
		}
		ln, err := strconv.Atoi(c[3])
		if err != nil {
			errs = append(errs, fmt.Errorf("%s:%d: line %q", path, n, c[3]))
			continue
		}
		r := Row{Repo: c[0], Commit: c[1], Path: c[2], Line: ln, Rule: c[4], Verdict: c[5], Reason: c[6], Hash: c[7]}
		if r.Verdict != "" && !contains(Verdicts, r.Verdict) {
			errs = append(errs, fmt.Errorf("%s:%d: verdict %q is not one of %s", path, n, r.Verdict, strings.Join(Verdicts, ", ")))
		}
		if r.Verdict != "" && r.Reason == "" {
			errs = append(errs, fmt.Errorf("%s:%d: a verdict needs a reason", path, n))
		}
		rows = append(rows, r)
	}
	if err := sc.Err(); err != nil {
		errs = append(errs, err)
	}
	return rows, errors.Join(errs...)
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func showCmd(args []string, w io.Writer) error {
	fs := flag.NewFlagSet("show", flag.ExitOnError)
	gitDir := fs.String("git", "", "the scanned repository's git directory")
	all := fs.Bool("all", false, "show triaged rows too")
	fs.Parse(args)
	if *gitDir == "" || fs.NArg() != 1 {
		return errors.New("show needs -git and one table")
	}
	rows, err := readTable(fs.Arg(0))
	if err != nil {
		return err
	}
	for i, r := range rows {
		if r.Verdict != "" && !*all {
			continue
		}
		text, err := lineAt(*gitDir, r.Commit, r.Path, r.Line)
		if err != nil {
			text = "(" + err.Error() + ")"
		}
		if len(text) > 300 {
			text = text[:300] + "…"
		}
		fmt.Fprintf(w, "%d\t%s\t%s:%d\t%s\t%s\n", i+2, r.Commit[:min(12, len(r.Commit))], r.Path, r.Line, r.Rule, strings.TrimSpace(text))
	}
	return nil
}

var blobCache = map[string][]string{}

func lineAt(gitDir, commit, path string, line int) (string, error) {
	k := commit + ":" + path
	lines, ok := blobCache[k]
	if !ok {
		out, err := exec.Command("git", "--git-dir", gitDir, "show", k).Output()
		if err != nil {
			return "", fmt.Errorf("git show %s: %v", k, err)
		}
		lines = strings.Split(string(out), "\n")
		blobCache[k] = lines
	}
	if line < 1 || line > len(lines) {
		return "", fmt.Errorf("no line %d", line)
	}
	return lines[line-1], nil
}

func scoreCmd(args []string, w io.Writer) error {
	if len(args) == 0 {
		return errors.New("score needs at least one table")
	}
	type tally struct{ n, cred, fix, fp, open int }
	var total tally
	var errs []error
	fmt.Fprintf(w, "%-36s %7s %10s %8s %8s %9s %8s\n", "repository", "findings", "credential", "fixture", "false+", "untriaged", "share")
	line := func(name string, t tally) {
		share := 0.0
		if done := t.n - t.open; done > 0 {
			share = float64(t.cred+t.fix) / float64(done)
		}
		fmt.Fprintf(w, "%-36s %7d %10d %8d %8d %9d %7.1f%%\n", name, t.n, t.cred, t.fix, t.fp, t.open, 100*share)
	}
	for _, path := range args {
		rows, err := readTable(path)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		var t tally
		name := path
		for _, r := range rows {
			name = r.Repo
			t.n++
			switch r.Verdict {
			case "credential":
				t.cred++
			case "fixture":
				t.fix++
			case "false-positive":
				t.fp++
			default:
				t.open++
			}
		}
		line(name, t)
		total.n, total.cred, total.fix, total.fp, total.open = total.n+t.n, total.cred+t.cred, total.fix+t.fix, total.fp+t.fp, total.open+t.open
	}
	line("all", total)
	return errors.Join(errs...)
}
