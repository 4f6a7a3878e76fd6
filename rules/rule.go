// Package rules defines leakhound's rule set as data: what a rule says
// (pattern, keywords, entropy floor, allowlists, examples), how a TOML
// configuration is decoded and checked, and where each problem sits in the
// file. It performs no scanning and no I/O beyond reading a config file the
// caller names; the detector compiles the detection patterns lazily, and
// allowlist patterns compile on first use (Pattern).
package rules

import (
	"encoding/base64"
	"encoding/hex"
	"regexp"
	"slices"
	"strings"
	"sync"
	"unicode/utf8"

	"github.com/leakhound/leakhound/entropy"
)

// Severity ranks how urgently a finding must be acted on.
type Severity int

// Severities, lowest first.
const (
	Info Severity = iota
	Low
	Medium
	High
	Critical
)

var severityNames = [...]string{"info", "low", "medium", "high", "critical"}

// String returns the lower-case name of s.
func (s Severity) String() string {
	if s < 0 || int(s) >= len(severityNames) {
		return "unknown"
	}
	return severityNames[s]
}

// ParseSeverity maps a name to a Severity.
func ParseSeverity(name string) (Severity, bool) {
	for i, n := range severityNames {
		if strings.EqualFold(n, name) {
			return Severity(i), true
		}
	}
	return 0, false
}

// Confidence says how sure a rule is that what it matched is a real
// credential: a checksum-valid vendor token is high, a high-entropy value
// assigned to a secret-like name is medium, a token whose checksum fails
// (a made-up test value, most likely) is low.
type Confidence int

// Confidences, lowest first. The zero value means "not set": a rule's
// default, decided by Rule.DefaultConfidence.
const (
	ConfidenceUnset Confidence = iota
	ConfidenceLow
	ConfidenceMedium
	ConfidenceHigh
)

var confidenceNames = [...]string{"", "low", "medium", "high"}

// String returns the lower-case name of c.
func (c Confidence) String() string {
	if c <= 0 || int(c) >= len(confidenceNames) {
		return "unknown"
	}
	return confidenceNames[c]
}

// ParseConfidence maps a name to a Confidence.
func ParseConfidence(name string) (Confidence, bool) {
	for i, n := range confidenceNames[1:] {
		if strings.EqualFold(n, name) {
			return Confidence(i + 1), true
		}
	}
	return 0, false
}

// Checksums are the vendor checksum schemes a rule may name; the detector
// implements them.
var Checksums = []string{"github-crc32", "bitbucket-crc32"}

// Validators are the structural checks a rule may require of its secret
// (validate = "..."); the detector implements them, and drops a candidate
// that fails. "base64-userinfo": the secret is base64 of printable
// user:password text, as HTTP Basic credentials and Docker "auth" fields
// are.
var Validators = []string{"base64-userinfo"}

// Target says which text an allowlist regex is matched against.
type Target int

// Allowlist targets.
const (
	TargetSecret  Target = iota // the captured secret (default)
	TargetMatch                 // the whole regex match
	TargetLine                  // the full line(s) holding the match
	TargetKey                   // the name the secret is assigned to (password in password = "x")
	TargetDecoded               // the secret base64- or hex-decoded, when that gives printable text
)

// Shapes are the built-in tests of what a text looks like that an
// allowlist may name in shapes: "words" is natural-language words in any
// script or an identifier built of them, not a random token
// (entropy.Words); "identifier" is a code identifier of two or more words
// (entropy.Identifier).
var Shapes = []string{"words", "identifier"}

// Allowlist drops candidates that match it. With Condition "or" (default)
// any one criterion that is set suffices; with "and" every criterion that is
// set must hold.
type Allowlist struct {
	Description string
	And         bool
	Target      Target
	Regexes     []*Pattern
	// Shapes name built-in tests of the regex target's text (see Shapes);
	// any one that holds satisfies this criterion.
	Shapes    []string
	Stopwords []string // lower-cased; a secret containing one is dropped
	Paths     []*Pattern
	// Commits lists commits (full ids, or prefixes) whose findings the
	// allowlist covers (gitleaks' "commits").
	Commits []string
	// TargetRules, for a global allowlist, limits it to these rules'
	// findings (gitleaks' "targetRules"); empty means every rule.
	TargetRules []string
	// File is the configuration the allowlist was written in.
	File string

	// memo keeps the regexes' and shapes' verdicts on recent targets when
	// the target is a value or a name (see Memoize).
	memo *targetMemo
}

// Memoize makes a remember its regexes' and shapes' verdicts on the
// targets it has judged, when its target is the secret, its name or its
// decoded text: a generated file can repeat one value on thousands of
// lines (etcd's robustness traces: 92,000 candidates, 635 values), and
// each was judged afresh. Match and line targets differ from candidate to
// candidate and are not remembered. Loading a config memoizes its
// allowlists.
func (a *Allowlist) Memoize() {
	if a.Target != TargetMatch && a.Target != TargetLine && (len(a.Regexes) > 0 || len(a.Shapes) > 0) {
		a.memo = &targetMemo{m: map[string]bool{}}
	}
}

// targetMemo is a bounded map from target to verdict, safe for
// concurrent use; it forgets everything when full.
type targetMemo struct {
	mu sync.Mutex
	m  map[string]bool
}

const targetMemoSize = 1 << 13

func (t *targetMemo) get(s string) (verdict, ok bool) {
	t.mu.Lock()
	verdict, ok = t.m[s]
	t.mu.Unlock()
	return verdict, ok
}

func (t *targetMemo) put(s string, verdict bool) {
	t.mu.Lock()
	if len(t.m) >= targetMemoSize {
		clear(t.m)
	}
	t.m[s] = verdict
	t.mu.Unlock()
}

// Empty reports whether a has no criteria.
func (a *Allowlist) Empty() bool {
	return len(a.Regexes) == 0 && len(a.Shapes) == 0 && len(a.Stopwords) == 0 && len(a.Paths) == 0 && len(a.Commits) == 0
}

// Candidate is what an allowlist looks at in a candidate finding.
type Candidate struct {
	Secret, Match, Line, Key string
	Path, Commit             string
}

// Matches reports whether a matches c. With condition "or" any criterion
// that is set suffices; with "and" every one that is set must hold.
// Regexes and shapes together are one criterion, on the regex target.
func (a *Allowlist) Matches(c Candidate) bool {
	var results, set [4]bool
	if len(a.Regexes) > 0 || len(a.Shapes) > 0 {
		set[0] = true
		results[0] = a.matchesTarget(c)
	}
	if len(a.Stopwords) > 0 {
		set[1] = true
		low := strings.ToLower(c.Secret)
		for _, w := range a.Stopwords {
			if strings.Contains(low, w) {
				results[1] = true
				break
			}
		}
	}
	if len(a.Paths) > 0 {
		set[2] = true
		for _, p := range a.Paths {
			if p.MatchString(c.Path) {
				results[2] = true
				break
			}
		}
	}
	if len(a.Commits) > 0 {
		set[3] = true
		for _, id := range a.Commits {
			if c.Commit != "" && strings.HasPrefix(c.Commit, strings.ToLower(id)) {
				results[3] = true
				break
			}
		}
	}
	any, all, anySet := false, true, false
	for i := range set {
		if !set[i] {
			continue
		}
		anySet = true
		any = any || results[i]
		all = all && results[i]
	}
	if a.And {
		return all && anySet
	}
	return any
}

func (a *Allowlist) matchesTarget(c Candidate) bool {
	target := c.Secret
	switch a.Target {
	case TargetMatch:
		target = c.Match
	case TargetLine:
		target = c.Line
	case TargetKey:
		target = c.Key
		if target == "" {
			return false // nothing was assigned to a name
		}
	case TargetDecoded:
		target = decodedText(c.Secret)
		if target == "" {
			return false
		}
	}
	if a.memo == nil {
		return a.judge(target)
	}
	if v, ok := a.memo.get(target); ok {
		return v
	}
	v := a.judge(target)
	a.memo.put(target, v)
	return v
}

// judge reports whether a regex or a shape matches target.
func (a *Allowlist) judge(target string) bool {
	for _, re := range a.Regexes {
		if re.MatchString(target) {
			return true
		}
	}
	for _, s := range a.Shapes {
		switch {
		case s == "words" && entropy.Words([]byte(target)),
			s == "identifier" && entropy.Identifier([]byte(target)):
			return true
		}
	}
	return false
}

// decodedText returns s decoded from base64 (standard or URL alphabet,
// padded or not) or hex when that gives printable UTF-8 text, else "".
func decodedText(s string) string {
	trimmed := strings.TrimRight(s, "=")
	for _, enc := range []*base64.Encoding{base64.RawStdEncoding, base64.RawURLEncoding} {
		if b, err := enc.DecodeString(trimmed); err == nil && printable(b) {
			return string(b)
		}
	}
	if b, err := hex.DecodeString(s); err == nil && printable(b) {
		return string(b)
	}
	return ""
}

func printable(b []byte) bool {
	if len(b) == 0 || !utf8.Valid(b) {
		return false
	}
	for _, r := range string(b) {
		if r < ' ' || r == 0x7f {
			return false
		}
	}
	return true
}

// Adjust sets the confidence of a rule's findings that match its
// criteria: content criteria only (regexes on the secret, match, line or
// key, shapes, stopwords), so that the same content is judged the same
// at every path and commit.
type Adjust struct {
	Allowlist
	Confidence Confidence
}

// Required is a rule another rule's finding needs nearby (gitleaks'
// composite rules): a finding of ID within WithinLines lines and
// WithinColumns columns (negative: no bound) in the same content.
type Required struct {
	ID                         string
	WithinLines, WithinColumns int
}

// Rule is one detection rule, as written in a configuration file.
type Rule struct {
	ID          string
	Description string
	// Regex is the detection pattern in RE2 syntax. Empty for a path-only
	// rule, which reports files whose path matches Path.
	Regex string
	// SecretGroup is the capture group holding the secret; 0 is the whole
	// match. When the config leaves it unset it is 1 if the regex has groups.
	SecretGroup int
	// Keywords gate the rule: it runs only where one of them occurs
	// (case-insensitive). A rule without keywords runs on every fragment.
	Keywords []string
	// Entropy is the minimum Shannon entropy of the secret, bits per byte.
	Entropy float64
	// MinBits is the minimum estimated total bits of the secret
	// (entropy.Bits), for keys whose per-byte entropy is low by design.
	MinBits float64
	// LowEntropy, when set, says why this format's per-character entropy
	// is low by design (hex digits, a fixed structure): the Entropy floor
	// is then not applied and the rule is judged by MinBits alone. It is
	// set in the rule (low_entropy = "why") or by a top-level
	// [[low_entropy]] exemption, which is how a user's config extends the
	// documented list without lowering any threshold for other rules.
	LowEntropy string
	// Confidence is how sure a match of this rule is (see DefaultConfidence
	// when unset). Checksum, when set, names a vendor checksum scheme: a
	// secret that passes it is high confidence, one that fails it low.
	Confidence Confidence
	Checksum   string
	// Validate, when set, names a structural check (Validators) every
	// secret of the rule must pass.
	Validate string
	// Path, when set, limits the rule to paths it matches.
	Path     *regexp.Regexp
	Tags     []string
	Severity Severity
	// Window is how many bytes past the keyword's line the rule may need to
	// see, for secrets that span lines (private keys). 0 means the line.
	Window     int
	Allowlists []Allowlist
	// Adjusts set the confidence of findings they match; the first that
	// matches decides (after any checksum).
	Adjusts []Adjust
	// Required makes a finding count only with findings of other rules
	// near it; SkipReport keeps a rule's own findings out of reports
	// (a component of another rule). Both as in gitleaks.
	Required   []Required
	SkipReport bool
	// Examples must each yield a finding of this rule through the full
	// pipeline; Negatives must yield none. ExamplePath is the path examples
	// are scanned under (for rules with a Path filter).
	Examples    []string
	Negatives   []string
	ExamplePath string
	// File and Line say where the rule is defined, for messages.
	File string
	Line int
}

// DefaultConfidence is the confidence of the rule's matches before any
// checksum: the rule's own, or medium for generic rules (tag "generic")
// and high for the rest, whose formats are vendor-specific.
func (r *Rule) DefaultConfidence() Confidence {
	if r.Confidence != ConfidenceUnset {
		return r.Confidence
	}
	for _, t := range r.Tags {
		if t == "generic" {
			return ConfidenceMedium
		}
	}
	return ConfidenceHigh
}

// CheckConfig configures `leakhound check` (the [check] table): folders
// whose files must be SOPS files, files of plaintext development secrets
// held to 128 bits, key names exempt from that, and the environments
// whose keys must match a reference file's.
type CheckConfig struct {
	SecretsDirs, DevSecrets, ExemptKeys []string
	Parity                              []Parity
	// Exempt, set by the caller, reports whether a value is of a vendor
	// format that is low-entropy by design; nil exempts none.
	Exempt func(value string) bool
}

// VendorExempt reports whether value is exempt from the development
// secrets' entropy floor as a low-entropy vendor format.
func (c *CheckConfig) VendorExempt(value string) bool { return c.Exempt != nil && c.Exempt(value) }

// Parity is one reference file (production) and the environments that
// must define its keys, directly or through defaults files (globs).
type Parity struct {
	Reference              string
	Environments, Defaults []string
}

// Set is a whole configuration: its rules, in file order, and the global
// allowlists applied to every rule's candidates.
type Set struct {
	Title      string
	Rules      []*Rule
	Allowlists []Allowlist
	// Caps lower the confidence of findings at paths where made-up
	// credentials are common (test suites, fixtures, documentation).
	Caps []Cap
	// Source names where the set came from (a path, or "default").
	Source string
	// Check configures `leakhound check`; nil when the file has no
	// [check] table.
	Check *CheckConfig
}

// Cap is a [[confidence]] entry: findings at a path it matches (of the
// rules it targets, all when none) are at most AtMost sure. A cap only
// ever lowers a confidence.
type Cap struct {
	Description string
	AtMost      Confidence
	Paths       []*Pattern
	TargetRules []string
}

// Targets reports whether c caps findings of rule.
func (c *Cap) Targets(rule string) bool {
	return len(c.TargetRules) == 0 || slices.Contains(c.TargetRules, rule)
}

// Covers reports whether one of c's path patterns matches path.
func (c *Cap) Covers(path string) bool {
	for _, p := range c.Paths {
		if p.MatchString(path) {
			return true
		}
	}
	return false
}

// ByID returns the rule with the given id, or nil.
func (s *Set) ByID(id string) *Rule {
	for _, r := range s.Rules {
		if r.ID == id {
			return r
		}
	}
	return nil
}
