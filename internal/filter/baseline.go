package filter

import (
	"bufio"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/leakhound/leakhound/detect"
)

// Baseline drops findings an earlier scan already reported, so a team can
// adopt leakhound on an old repository and fail only on new secrets. A
// finding is known when the baseline holds the same rule, path and secret
// (compared through detect.SecretHash, so the baseline needs no secret in
// clear): line numbers, commits, dates and the report's formatting play
// no part, so a secret stays known when lines move or later commits touch
// the file, and a secret at a new path is new.
//
// A baseline is any of: a leakhound baseline file (`leakhound baseline
// create`), a leakhound JSON or JSON Lines report (redacted or not: its
// fingerprints carry the secret's hash), or a gitleaks JSON report, whose
// rule names differ from leakhound's, so its entries match on path and
// secret alone; a gitleaks entry whose secret was redacted cannot match
// and is counted as unusable.
type Baseline struct {
	known map[string]bool // path \0 rule \0 secret hash
	plain map[string]bool // path \0 sha256(secret): gitleaks entries
	// Unusable counts entries that can never match (a redacted gitleaks
	// secret).
	Unusable int
}

// BaselineVersion is the format version `leakhound baseline create` writes.
const BaselineVersion = 1

// BaselineFile is the file `leakhound baseline create` writes: no secret,
// only what matching needs and what a person reviewing it wants.
type BaselineFile struct {
	Version  int             `json:"version"`
	Findings []BaselineEntry `json:"findings"`
}

// BaselineEntry is one known finding.
type BaselineEntry struct {
	RuleID      string `json:"rule_id"`
	File        string `json:"file"`
	StartLine   int    `json:"start_line,omitempty"`
	Commit      string `json:"commit,omitempty"`
	Fingerprint string `json:"fingerprint"`
}

// NewBaselineEntry describes f for a baseline file.
func NewBaselineEntry(f *detect.Finding) BaselineEntry {
	return BaselineEntry{RuleID: f.RuleID, File: f.Path, StartLine: f.StartLine, Commit: f.Commit, Fingerprint: f.Fingerprint}
}

// LoadBaseline reads a baseline from path.
func LoadBaseline(path string) (*Baseline, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("baseline: %w", err)
	}
	b, err := ParseBaseline(data)
	if err != nil {
		return nil, fmt.Errorf("baseline %s: %w", path, err)
	}
	return b, nil
}

// record is the union of the fields the accepted formats use.
type record struct {
	// leakhound
	RuleID      string `json:"rule_id"`
	File        string `json:"file"`
	Fingerprint string `json:"fingerprint"`
	// gitleaks
	GRuleID string `json:"RuleID"`
	GFile   string `json:"File"`
	GSecret string `json:"Secret"`
}

// ParseBaseline reads a baseline's content; the format is recognised from
// the content, not the file name.
func ParseBaseline(data []byte) (*Baseline, error) {
	recs, err := baselineRecords(bytes.TrimSpace(data))
	if err != nil {
		return nil, err
	}
	b := &Baseline{known: map[string]bool{}, plain: map[string]bool{}}
	if err := b.add(recs); err != nil {
		return nil, err
	}
	return b, nil
}

// baselineRecords reads the records of a baseline file, a JSON report
// (leakhound's or gitleaks') or a JSON Lines one, recognised by their
// first bytes.
func baselineRecords(trimmed []byte) ([]record, error) {
	switch {
	case len(trimmed) == 0:
		return nil, errors.New("empty file: not a leakhound or gitleaks report or baseline")
	case trimmed[0] == '{' && bytes.Contains(trimmed[:min(len(trimmed), 200)], []byte(`"version"`)):
		return baselineFileRecords(trimmed)
	case trimmed[0] == '[':
		var recs []record
		if err := json.Unmarshal(trimmed, &recs); err != nil {
			return nil, fmt.Errorf("not a JSON report: %w", err)
		}
		return recs, nil
	case trimmed[0] == '{':
		return jsonLinesRecords(trimmed)
	default:
		return nil, errors.New("not JSON: want a leakhound baseline, a leakhound JSON or JSON Lines report, or a gitleaks JSON report")
	}
}

// baselineFileRecords reads a baseline file (BaselineFile) of this
// version.
func baselineFileRecords(trimmed []byte) ([]record, error) {
	var f BaselineFile
	if err := json.Unmarshal(trimmed, &f); err != nil {
		return nil, fmt.Errorf("not a valid baseline file: %w", err)
	}
	if f.Version != BaselineVersion {
		return nil, fmt.Errorf("baseline version %d; this leakhound reads version %d", f.Version, BaselineVersion)
	}
	var recs []record
	for _, e := range f.Findings {
		recs = append(recs, record{RuleID: e.RuleID, File: e.File, Fingerprint: e.Fingerprint})
	}
	return recs, nil
}

// jsonLinesRecords reads a JSON Lines report, one record a line; blank
// lines are skipped.
func jsonLinesRecords(trimmed []byte) ([]record, error) {
	var recs []record
	sc := bufio.NewScanner(bytes.NewReader(trimmed))
	sc.Buffer(make([]byte, 64<<10), 64<<20)
	for n := 1; sc.Scan(); n++ {
		line := bytes.TrimSpace(sc.Bytes())
		if len(line) == 0 {
			continue
		}
		var r record
		if err := json.Unmarshal(line, &r); err != nil {
			return nil, fmt.Errorf("line %d: not a JSON Lines report: %w", n, err)
		}
		recs = append(recs, r)
	}
	if err := sc.Err(); err != nil && !errors.Is(err, io.EOF) {
		return nil, err
	}
	return recs, nil
}

// add records what each of recs suppresses: a leakhound finding's path,
// rule and secret hash, or a gitleaks finding's path and secret, counted
// as Unusable when the report redacted it.
func (b *Baseline) add(recs []record) error {
	for i, r := range recs {
		switch {
		case r.RuleID != "" && r.Fingerprint != "":
			hash := r.Fingerprint[strings.LastIndexByte(r.Fingerprint, ':')+1:]
			if r.File == "" || len(hash) != 16 {
				return fmt.Errorf("entry %d: fingerprint %q is not leakhound's path:rule:hash", i+1, truncateStr(r.Fingerprint, 80))
			}
			b.known[r.File+"\x00"+r.RuleID+"\x00"+hash] = true
		case r.GRuleID != "":
			if r.GSecret == "" || r.GSecret == "REDACTED" {
				b.Unusable++
				continue
			}
			b.plain[r.GFile+"\x00"+plainHash(r.GSecret)] = true
		default:
			return fmt.Errorf("entry %d: neither a leakhound nor a gitleaks finding (no rule_id/fingerprint or RuleID)", i+1)
		}
	}
	return nil
}

func plainHash(secret string) string {
	sum := sha256.Sum256([]byte(secret))
	return hex.EncodeToString(sum[:])
}

func truncateStr(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}

// Len is how many known findings the baseline holds.
func (b *Baseline) Len() int { return len(b.known) + len(b.plain) }

// Name returns "baseline".
func (*Baseline) Name() string { return "baseline" }

// DropWide is Drop: a known finding holds for its secret under every rule that reports it.
func (x *Baseline) DropWide(f *detect.Finding) (bool, string, bool) {
	drop, why := x.Drop(f)
	return drop, why, drop
}

// Drop reports whether the baseline already has f.
func (b *Baseline) Drop(f *detect.Finding) (bool, string) {
	if b.known[f.Path+"\x00"+f.RuleID+"\x00"+secretHash(f)] {
		return true, "in the baseline"
	}
	if len(b.plain) > 0 && b.plain[f.Path+"\x00"+plainHash(f.Secret)] {
		return true, "in the baseline (a gitleaks report: same path and secret)"
	}
	return false, ""
}

// secretHash is detect.SecretHash(f.RuleID, f.Secret), read from f's
// fingerprint: the detector computes a finding's fingerprint once, from
// that hash, when it locates it ("[commit:]path:rule:hash", see
// detect.Fingerprint), and the stages after it carry it rather than hash
// the secret again. A fingerprint not of that form for f's commit, path
// and rule (a finding built some other way, or none) is not read: the
// secret is hashed.
func secretHash(f *detect.Finding) string {
	const n = 16 // hex digits of detect.SecretHash
	fp := f.Fingerprint
	if f.Commit != "" {
		if !strings.HasPrefix(fp, f.Commit) || len(fp) == len(f.Commit) || fp[len(f.Commit)] != ':' {
			return detect.SecretHash(f.RuleID, f.Secret)
		}
		fp = fp[len(f.Commit)+1:]
	}
	if len(fp) != len(f.Path)+1+len(f.RuleID)+1+n || !strings.HasPrefix(fp, f.Path) || fp[len(f.Path)] != ':' ||
		fp[len(f.Path)+1:len(f.Path)+1+len(f.RuleID)] != f.RuleID || fp[len(fp)-n-1] != ':' {
		return detect.SecretHash(f.RuleID, f.Secret)
	}
	return fp[len(fp)-n:]
}
