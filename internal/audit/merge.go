package audit

import (
	"errors"
	"fmt"
	"io"
	"sort"
	"strings"
	"time"

	"github.com/leakhound/leakhound/rules"
)

// Input states: what the merge did with an input file.
const (
	InputMerged     = "merged"     // read whole and merged
	InputIncomplete = "incomplete" // merged, but its audit could not read the whole history
	InputDuplicate  = "duplicate"  // the same repository and head as an earlier input: not counted twice
	InputSkipped    = "skipped"    // a merged worklist, not an audit
	InputError      = "error"      // unreadable, or not a valid audit report: nothing of it merged
)

// Input is one input file as the merge saw it.
type Input struct {
	File                                   string
	Repository, Head, HeadRef, ToolVersion string
	GeneratedAt                            time.Time
	Secrets                                int
	State                                  string
	// Problem says what is wrong with the input, for every state but
	// merged. It names fields and byte offsets, never a value.
	Problem string
	// DuplicateOf is the file of the earlier input of the same repository
	// and head.
	DuplicateOf string
}

// Failed reports whether the input is one a CI job must notice: it could
// not be read, or its audit is incomplete.
func (in *Input) Failed() bool { return in.State == InputError || in.State == InputIncomplete }

// RepoSecret is what one repository's audit says of a secret.
type RepoSecret struct {
	Repository, Input, Head, HeadRef string
	Status                           string // present, removed or not-in-head
	StillPresent                     bool
	// Introduced is the first introduction, LastIntroduced the latest.
	Introduced, LastIntroduced Location
	Removed                    *Commit
	HeadPlaces                 []Place
	Locations                  []Location
	Occurrences                int
	Refs                       []string
	DaysExposed                int
	// ReusedAt is the audit's list of paths holding the same value
	// within the repository.
	ReusedAt []string
}

// MergedSecret is one secret (rule and value, named by its id) across
// every repository holding it.
type MergedSecret struct {
	ID, RuleID, Description string
	Severity                rules.Severity
	Confidence              rules.Confidence
	Tags                    []string
	// Value is the whole secret when an input carried it (written with
	// --no-redact), else "". Shown is an input's masked preview when no
	// input carried the value.
	Value, Shown string
	Repos        []RepoSecret
}

// StillPresent reports whether any repository's HEAD still holds it.
func (s *MergedSecret) StillPresent() bool {
	for i := range s.Repos {
		if s.Repos[i].StillPresent {
			return true
		}
	}
	return false
}

// Reused reports whether several repositories hold it: one credential,
// one rotation, several places to fix.
func (s *MergedSecret) Reused() bool { return len(s.Repos) > 1 }

// DaysExposed is the longest exposure in any repository.
func (s *MergedSecret) DaysExposed() int {
	n := 0
	for i := range s.Repos {
		n = max(n, s.Repos[i].DaysExposed)
	}
	return n
}

// FirstIntroduced is the earliest introduction in any repository.
func (s *MergedSecret) FirstIntroduced() time.Time {
	var t time.Time
	for i := range s.Repos {
		d := s.Repos[i].Introduced.Date
		if !d.IsZero() && (t.IsZero() || d.Before(t)) {
			t = d
		}
	}
	return t
}

// Merged is the worklist of many repositories.
type Merged struct {
	ToolVersion string
	// GeneratedAt is the latest of the inputs' times: the merge adds no
	// clock of its own, so merging the same files gives the same bytes.
	GeneratedAt time.Time
	Inputs      []Input
	// Notes say what a reader must know to trust the result: inputs
	// from several leakhound versions, a repository seen at several heads.
	Notes   []string
	Secrets []MergedSecret
}

// Failed reports whether any input failed (Input.Failed).
func (m *Merged) Failed() bool {
	for i := range m.Inputs {
		if m.Inputs[i].Failed() {
			return true
		}
	}
	return false
}

type repoKey struct{ name, head string }

// Merger folds audit reports, one at a time, into one worklist. It keeps
// only the merged state: what each secret is, and per repository where
// it lives; never an input's bytes. The zero value is not ready: use
// NewMerger.
type Merger struct {
	inputs []Input
	repos  map[repoKey]string // → the file first seen for it
	byID   map[string]*MergedSecret
	// strs holds one copy of each string kept: authors, paths, commits
	// and refs repeat across secrets and inputs.
	strs map[string]string
}

// NewMerger returns an empty Merger.
func NewMerger() *Merger {
	return &Merger{repos: map[repoKey]string{}, byID: map[string]*MergedSecret{}, strs: map[string]string{}}
}

// Add reads one audit report (leakhound-audit/v1) from r and merges it.
// file names it in the worklist. A bad input is recorded, with its
// problem, and nothing of it is merged.
func (m *Merger) Add(file string, r io.Reader) {
	in, err := readInput(r)
	row := Input{File: file, State: InputMerged}
	switch {
	case errors.Is(err, errMergedReport):
		row.State, row.Problem = InputSkipped, err.Error()
	case err != nil:
		row.State, row.Problem = InputError, err.Error()
	default:
		row.Repository, row.Head, row.HeadRef = in.repository, in.head, in.headRef
		row.ToolVersion, row.GeneratedAt, row.Secrets = in.version, in.generatedAt, len(in.secrets)
		key := repoKey{in.repository, in.head}
		if first, ok := m.repos[key]; ok {
			row.State, row.DuplicateOf = InputDuplicate, first
			row.Problem = fmt.Sprintf("the same repository and head as %s: not counted twice", first)
			break
		}
		m.repos[key] = file
		if in.incomplete {
			row.State, row.Problem = InputIncomplete, "its audit could not read the whole history (incomplete: true): merged as far as it goes"
		}
		m.fold(&row, in.secrets)
	}
	m.inputs = append(m.inputs, row)
}

// AddFailure records an input that could not be read at all.
func (m *Merger) AddFailure(file string, err error) {
	m.inputs = append(m.inputs, Input{File: file, State: InputError, Problem: err.Error()})
}

// fold adds one input's secrets to the state.
func (m *Merger) fold(row *Input, secrets []inputSecret) {
	for i := range secrets {
		in := &secrets[i]
		s := m.byID[in.id]
		if s == nil {
			s = &MergedSecret{ID: in.id, RuleID: in.ruleID, Description: in.description, Severity: in.severity,
				Confidence: in.confidence, Tags: in.tags}
			m.byID[in.id] = s
		}
		s.Severity, s.Confidence = max(s.Severity, in.severity), max(s.Confidence, in.confidence)
		if s.Description == "" {
			s.Description = in.description
		}
		if in.carriesValue() {
			s.Value, s.Shown = in.secret, ""
		} else if s.Value == "" && s.Shown == "" {
			s.Shown = in.secret
		}
		rs := m.internRepo(in.repo)
		rs.Repository, rs.Input, rs.Head, rs.HeadRef = row.Repository, row.File, row.Head, row.HeadRef
		rs.LastIntroduced = rs.Introduced
		for _, l := range rs.Locations {
			if l.Date.After(rs.LastIntroduced.Date) {
				rs.LastIntroduced = l
			}
		}
		s.Repos = append(s.Repos, rs)
	}
}

func (m *Merger) intern(s string) string {
	if c, ok := m.strs[s]; ok {
		return c
	}
	m.strs[s] = s
	return s
}

func (m *Merger) internCommit(c Commit) Commit {
	return Commit{ID: m.intern(c.ID), Author: m.intern(c.Author), Email: m.intern(c.Email), Date: c.Date, Message: m.intern(c.Message)}
}

func (m *Merger) internLocation(l Location) Location {
	return Location{Commit: m.internCommit(l.Commit), Place: Place{Path: m.intern(l.Path), Line: l.Line}}
}

// internRepo keeps one copy of each of r's strings.
func (m *Merger) internRepo(r RepoSecret) RepoSecret {
	r.Introduced = m.internLocation(r.Introduced)
	for i := range r.Locations {
		r.Locations[i] = m.internLocation(r.Locations[i])
	}
	if r.Removed != nil {
		c := m.internCommit(*r.Removed)
		r.Removed = &c
	}
	for i := range r.HeadPlaces {
		r.HeadPlaces[i].Path = m.intern(r.HeadPlaces[i].Path)
	}
	for _, ss := range [][]string{r.Refs, r.ReusedAt} {
		for i := range ss {
			ss[i] = m.intern(ss[i])
		}
	}
	return r
}

// Result returns the worklist: secrets in the order to rotate them
// (sortMerged), inputs in the order they were added, and the notes.
func (m *Merger) Result(toolVersion string) *Merged {
	out := &Merged{ToolVersion: toolVersion, Inputs: m.inputs, Secrets: make([]MergedSecret, 0, len(m.byID))}
	for i := range m.inputs {
		if t := m.inputs[i].GeneratedAt; t.After(out.GeneratedAt) {
			out.GeneratedAt = t
		}
	}
	for _, s := range m.byID {
		sort.SliceStable(s.Repos, func(i, j int) bool {
			a, b := &s.Repos[i], &s.Repos[j]
			if a.Repository != b.Repository {
				return a.Repository < b.Repository
			}
			return a.Input < b.Input
		})
		out.Secrets = append(out.Secrets, *s)
	}
	sortMerged(out.Secrets)
	out.Notes = append(versionNotes(m.inputs), headNotes(m.inputs)...)
	return out
}

// sortMerged orders secrets by what to rotate first: severity, then
// still in some repository's HEAD, then held by more repositories, then
// introduced earliest, then rule and id for stability. Severity, presence
// and age are the single-repository audit's keys, so the merge of one
// audit lists its secrets in the audit's order.
func sortMerged(ss []MergedSecret) {
	sort.SliceStable(ss, func(i, j int) bool {
		a, b := &ss[i], &ss[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if pa, pb := a.StillPresent(), b.StillPresent(); pa != pb {
			return pa
		}
		if len(a.Repos) != len(b.Repos) {
			return len(a.Repos) > len(b.Repos)
		}
		if ta, tb := a.FirstIntroduced(), b.FirstIntroduced(); !ta.Equal(tb) {
			return ta.Before(tb)
		}
		if a.RuleID != b.RuleID {
			return a.RuleID < b.RuleID
		}
		return a.ID < b.ID
	})
}

// noteFiles caps the file names a note lists; the inputs table lists
// every file with its version.
const noteFiles = 10

func fileList(files []string) string {
	s := strings.Join(files[:min(len(files), noteFiles)], ", ")
	if len(files) > noteFiles {
		s += fmt.Sprintf(" and %d more", len(files)-noteFiles)
	}
	return s
}

// versionNotes says which files came from which leakhound version when
// the inputs that were read name more than one: rules and definitions
// may differ between versions, so the reader is told they were merged.
func versionNotes(inputs []Input) []string {
	byVersion := map[string][]string{}
	for _, in := range inputs {
		if in.State != InputError && in.State != InputSkipped {
			v := in.ToolVersion
			if v == "" {
				v = "(no version)"
			}
			byVersion[v] = append(byVersion[v], in.File)
		}
	}
	if len(byVersion) < 2 {
		return nil
	}
	versions := make([]string, 0, len(byVersion))
	for v := range byVersion {
		versions = append(versions, v)
	}
	sort.Strings(versions)
	parts := make([]string, 0, len(versions))
	for _, v := range versions {
		parts = append(parts, fmt.Sprintf("%s: %d file(s): %s", v, len(byVersion[v]), fileList(byVersion[v])))
	}
	return []string{fmt.Sprintf("the inputs come from %d leakhound versions, whose rules may differ; merged as they are. %s",
		len(versions), strings.Join(parts, "; "))}
}

// headNotes names repositories merged at several heads: two audits of
// one repository at different times, or two repositories of the same
// folder name. Both are kept; the reader decides.
func headNotes(inputs []Input) []string {
	heads := map[string][]string{}
	var names []string
	for _, in := range inputs {
		if in.State == InputMerged || in.State == InputIncomplete {
			if heads[in.Repository] == nil {
				names = append(names, in.Repository)
			}
			heads[in.Repository] = append(heads[in.Repository], in.File)
		}
	}
	sort.Strings(names)
	var notes []string
	for _, n := range names {
		if files := heads[n]; len(files) > 1 {
			notes = append(notes, fmt.Sprintf("repository %q was merged at %d different heads (%s): two audits of it at different times, or two repositories of that name; each counts as a repository",
				Printable(n), len(files), fileList(files)))
		}
	}
	return notes
}
