// Package detect finds candidate secrets in bytes. It holds the vocabulary
// shared by every stage of a scan (Fragment, Provenance, Finding) and the
// Detector, which is built once from a rule set and is then immutable and
// safe for concurrent use: bytes in, candidate findings out.
//
// detect performs no I/O, no logging and no allowlisting, and keeps no
// state between calls.
//
// DetectMemo, DetectChanged and Memo serve one caller, the history reader
// that scans a blob stored as a git delta by what the delta changed
// (internal/gitobj). They are the only entry points of the scan by
// changes: DetectMemo scans a version whole, DetectChanged a version
// built from one already scanned, described by internal/delta's Span and
// Copy. Memo, what one version's scan leaves for the next (its
// candidates, where its multi-line keywords are), is opaque: which spans
// of a new version are scanned afresh, and how the old version's
// candidates are carried over to the rest, stay inside detect.
package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/leakhound/leakhound/rules"
)

// Kind says what sort of source a fragment came from.
type Kind string

// Source kinds.
const (
	KindDir     Kind = "dir"
	KindHistory Kind = "history"
	KindStaged  Kind = "staged"
	KindStdin   Kind = "stdin"
)

// Provenance says where content came from. Path is relative to the scanned
// root and '/'-separated; the git fields are empty outside git sources.
type Provenance struct {
	Kind    Kind
	Path    string
	Commit  string
	Author  string
	Email   string
	Date    time.Time
	Message string // first line of the commit message
	BlobID  string // git blob hash of the whole content, when known
}

// Fragment is content to scan plus where it came from. Content may hold
// any bytes: invalid UTF-8, CRLF, NUL.
type Fragment struct {
	Content []byte
	// StartLine is the 1-based line number of Content[0].
	StartLine int
	// StartColumn is how many characters of Content[0]'s line precede it
	// (non-zero only when a source had to split a very long line).
	StartColumn int
	// OwnedStart and OwnedEnd, for fragments of an overlapping stream,
	// bound the offsets at which this fragment's findings may start: a
	// match starting before OwnedStart belongs to the previous fragment,
	// one starting at or after OwnedEnd (when positive) to the next. The
	// overlap gives each fragment whole matches near its edges.
	OwnedStart, OwnedEnd int
	// Prior holds earlier versions of this content (a git history
	// source's parent versions of the path): a candidate whose secret
	// occurs verbatim in one of them is not new and is dropped (DESIGN
	// §3), so editing a line that holds an old secret reports nothing.
	// Prior's slices must not change while the fragment is in use.
	Prior [][]byte
	Provenance
}

// Placed reports whether f says where its content is: whether it has a
// Path. Only a placed fragment's findings get a Fingerprint from the
// detector, since their provenance is then final. An unplaced one is
// content not yet at any path (a git blob, scanned once for every commit
// and path it appears at): whoever gives its findings their provenance
// (history attribution) fingerprints them then, so each finding's
// fingerprint is computed once.
func (f *Fragment) Placed() bool { return f.Path != "" }

// Finding is one secret: what matched, where, and how sure we are.
type Finding struct {
	RuleID      string
	Description string
	Secret      string
	Match       string
	// Line holds the full text of the line(s) around the match, for
	// filters (inline allow comments, line-targeted allowlists). It is
	// never written to a report.
	Line string
	// Key is the name the secret is assigned to, as written before it in
	// the match ("DB_PASSWORD" in DB_PASSWORD=..., "apiKey" in
	// setApiKey("...")), or "" when the match names none. Allowlists and
	// confidence adjustments may judge it (regex_target = "key").
	Key string
	// StartLine..EndLine and StartColumn..EndColumn locate the secret,
	// 1-based; columns count characters (UTF-8 code points; an invalid
	// byte counts as one), EndColumn is that of the secret's last character.
	StartLine, EndLine     int
	StartColumn, EndColumn int
	// Start and End are byte offsets of the secret in the fragment.
	Start, End int
	Entropy    float64
	// Fingerprint is Fingerprint(the finding), set once its provenance is
	// final: by the detector for a placed fragment, else by whoever places
	// the finding (see Fragment.Placed). Every finding a scan hands its
	// filters and reporters has one.
	Fingerprint string
	Tags        []string
	Severity    rules.Severity
	// Confidence is how sure the rule is that this is a real credential:
	// the rule's, raised to high or lowered to low by a vendor checksum.
	Confidence rules.Confidence
	Provenance
}

// fingerprintVersion is bumped whenever the fingerprint recipe changes, so
// stored fingerprints (ignore files, SARIF partialFingerprints) are never
// compared across recipes.
const fingerprintVersion = "v1"

// FingerprintVersion names the recipe Fingerprint uses.
func FingerprintVersion() string { return fingerprintVersion }

// SecretHash returns a short, stable digest of a rule's secret: the first
// 16 hex digits of SHA-256 over the rule id and the secret. It identifies a
// secret in reports without revealing it.
func SecretHash(ruleID, secret string) string {
	h := sha256.New()
	h.Write([]byte(ruleID))
	h.Write([]byte{0})
	h.Write([]byte(secret))
	var sum [sha256.Size]byte
	return hex.EncodeToString(h.Sum(sum[:0])[:8])
}

// Fingerprint identifies a finding in a way that survives unrelated edits:
// built from the path, the rule and a hash of the secret (plus the commit
// for history findings), never from line numbers. The form is
// "[commit:]path:rule:hash".
func Fingerprint(f *Finding) string {
	fp := f.Path + ":" + f.RuleID + ":" + SecretHash(f.RuleID, f.Secret)
	if f.Commit != "" {
		fp = f.Commit + ":" + fp
	}
	return fp
}
