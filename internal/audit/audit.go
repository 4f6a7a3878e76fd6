// Package audit turns a full-history scan into the worklist for rotating
// credentials: one entry per unique secret (rule and value) with when and
// by whom it was first introduced, which commit of the default branch
// removed it or whether it is still in HEAD (and where), every place it
// was introduced, the refs it can be fetched from, how long it has been
// exposed, and whether the same value is reused in several places.
//
// The package is pure: findings and repository facts in, a Report out;
// the CLI runs the scan and writes the report.
package audit

import (
	"sort"
	"time"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/rules"
)

// Facts is what the audit asks of the repository beyond the findings
// (history.Facts answers it after a history scan).
type Facts interface {
	// InHead returns where the default branch's HEAD holds the secret.
	InHead(rule, secret string) []Place
	// Removal returns the default-branch commit that removed the secret
	// last, or nil.
	Removal(rule, secret string) *Commit
	// RefsReaching returns, for each group of commits, the refs from
	// which any commit of the group is reachable.
	RefsReaching(groups [][]string) [][]string
}

// Place is a path and a 1-based line.
type Place struct {
	Path string `json:"path"`
	Line int    `json:"line"`
}

// Commit identifies a commit for a person.
type Commit struct {
	ID      string    `json:"commit"`
	Author  string    `json:"author"`
	Email   string    `json:"email"`
	Date    time.Time `json:"date"`
	Message string    `json:"message"`
}

// Location is one place a secret was introduced: the commit and the path
// and line at that commit.
type Location struct {
	Commit
	Place
}

// Secret is one unique secret and everything the audit knows about it.
type Secret struct {
	// ID is a stable name for the secret that does not reveal it: the
	// hash fingerprints use.
	ID          string
	RuleID      string
	Description string
	Severity    rules.Severity
	Confidence  rules.Confidence
	Tags        []string
	// Value is the secret itself; reporters mask it unless asked not to.
	Value string
	// Introduced is the earliest introduction; Locations all of them,
	// oldest first.
	Introduced Location
	Locations  []Location
	// Removed is the commit of the default branch that removed it; nil
	// when it is still present (StillPresent) or never was on that branch.
	Removed      *Commit
	StillPresent bool
	HeadPlaces   []Place
	Refs         []string
	// DaysExposed counts whole days from the first introduction to the
	// removal, or to the report's time while still present.
	DaysExposed int
	// ReusedAt lists every path holding the same value when there are
	// several (under any rule): one credential, several places to rotate.
	ReusedAt []string
}

// Report is the audit of one repository.
type Report struct {
	Repository string
	// Head and HeadRef name the default branch the "still present" and
	// "removed" answers refer to.
	Head, HeadRef string
	GeneratedAt   time.Time
	Secrets       []Secret
	// Incomplete is set when the scan could not read everything.
	Incomplete bool
	// ToolVersion is the version of leakhound that made the report.
	ToolVersion string
}

// Build groups findings by rule and secret and completes each group from
// facts. now is the report's time: days exposed run to it.
func Build(findings []detect.Finding, facts Facts, now time.Time) []Secret {
	secrets := bySecret(findings)
	paths := map[string]map[string]bool{} // value → paths
	var groups [][]string                 // per secret, its introducing commits
	out := make([]Secret, 0, len(secrets))
	for _, s := range secrets {
		groups = append(groups, s.introduce(paths))
		s.complete(facts, now)
		for _, p := range s.HeadPlaces {
			paths[s.Value][p.Path] = true
		}
		out = append(out, *s)
	}
	if facts != nil {
		for i, refs := range facts.RefsReaching(groups) {
			out[i].Refs = refs
		}
	}
	for i := range out {
		if ps := paths[out[i].Value]; len(ps) > 1 {
			for p := range ps {
				out[i].ReusedAt = append(out[i].ReusedAt, p)
			}
			sort.Strings(out[i].ReusedAt)
		}
	}
	sortSecrets(out)
	return out
}

// bySecret groups findings by rule and secret, in the order each secret
// is first found: one Secret each, with every location, its confidence
// the highest of its findings'.
func bySecret(findings []detect.Finding) []*Secret {
	type key struct{ rule, secret string }
	byKey := map[key]*Secret{}
	var order []*Secret
	for i := range findings {
		f := &findings[i]
		if f.Secret == "" {
			continue // a path-only rule: no value to rotate
		}
		k := key{f.RuleID, f.Secret}
		s := byKey[k]
		if s == nil {
			s = &Secret{ID: detect.SecretHash(f.RuleID, f.Secret), RuleID: f.RuleID, Description: f.Description,
				Severity: f.Severity, Confidence: f.Confidence, Tags: f.Tags, Value: f.Secret}
			byKey[k] = s
			order = append(order, s)
		}
		if f.Confidence > s.Confidence {
			s.Confidence = f.Confidence
		}
		s.Locations = append(s.Locations, Location{
			Commit: Commit{ID: f.Commit, Author: f.Author, Email: f.Email, Date: f.Date, Message: f.Message},
			Place:  Place{Path: f.Path, Line: f.StartLine},
		})
	}
	return order
}

// introduce orders s's locations oldest first, sets its introduction,
// records its paths in paths (value → paths), and returns the commits
// that introduced it, each once, oldest first.
func (s *Secret) introduce(paths map[string]map[string]bool) []string {
	sort.SliceStable(s.Locations, func(i, j int) bool {
		a, b := s.Locations[i], s.Locations[j]
		if !a.Date.Equal(b.Date) {
			return a.Date.Before(b.Date)
		}
		if a.ID != b.ID {
			return a.ID < b.ID
		}
		return a.Path < b.Path
	})
	s.Introduced = s.Locations[0]
	var commits []string
	seen := map[string]bool{}
	for _, l := range s.Locations {
		if !seen[l.ID] {
			seen[l.ID] = true
			commits = append(commits, l.ID)
		}
		if paths[s.Value] == nil {
			paths[s.Value] = map[string]bool{}
		}
		paths[s.Value][l.Path] = true
	}
	return commits
}

// complete asks facts (when there are any) whether s is still in HEAD,
// and where, or which commit removed it, and counts the days it has been
// exposed, up to now while it is still present.
func (s *Secret) complete(facts Facts, now time.Time) {
	if facts != nil {
		s.HeadPlaces = facts.InHead(s.RuleID, s.Value)
		s.StillPresent = len(s.HeadPlaces) > 0
		if !s.StillPresent {
			s.Removed = facts.Removal(s.RuleID, s.Value)
		}
	}
	end := now
	if s.Removed != nil {
		end = s.Removed.Date
	}
	if d := end.Sub(s.Introduced.Date); d > 0 && !s.Introduced.Date.IsZero() {
		s.DaysExposed = int(d.Hours() / 24)
	}
}

// sortSecrets orders the worklist: most severe first, then those still
// present, then the oldest.
func sortSecrets(out []Secret) {
	sort.SliceStable(out, func(i, j int) bool {
		a, b := &out[i], &out[j]
		if a.Severity != b.Severity {
			return a.Severity > b.Severity
		}
		if a.StillPresent != b.StillPresent {
			return a.StillPresent
		}
		if !a.Introduced.Date.Equal(b.Introduced.Date) {
			return a.Introduced.Date.Before(b.Introduced.Date)
		}
		if a.RuleID != b.RuleID {
			return a.RuleID < b.RuleID
		}
		return a.ID < b.ID
	})
}
