package filter

import (
	"crypto/sha256"
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/leakhound/leakhound/rules"
)

// Described is a Stage that can print everything its verdicts depend on
// besides the candidate: its configuration, its lists. Two stages with the
// same description drop the same candidates for the same reasons.
type Described interface {
	Stage
	Describe(w io.Writer)
}

// Key returns a digest of everything the chain's verdicts depend on
// besides the candidates: each stage's name and description, in order.
// Overlap resolution, first in every chain, depends on nothing else, so
// it adds nothing (and keys recorded before it was a stage still hold).
// Equal keys mean that the same candidates give the same survivors and
// the same counts, so a result recorded under one key may stand in for
// running the chain again (an unchanged incremental scan, see
// docs/incremental.md). ok is false when a stage cannot describe itself,
// or when the chain explains its drops (--log-level debug), which a
// recorded result cannot do again.
func (c *Chain) Key() (key [32]byte, ok bool) {
	if c.explain != nil {
		return key, false
	}
	h := sha256.New()
	io.WriteString(h, "leakhound filter chain 1\n")
	for _, st := range c.stages {
		d, ok := st.(Described)
		if !ok {
			return key, false
		}
		fmt.Fprintf(h, "stage %q\n", st.Name())
		d.Describe(h)
		io.WriteString(h, "\n")
	}
	h.Sum(key[:0])
	return key, true
}

// Describe implements Described.
func (in Inline) Describe(w io.Writer) { fmt.Fprintf(w, "gitleaks:allow ignored %t", in.NoGitleaks) }

// Describe implements Described: each rule's allowlists, by rule.
func (r *RuleAllowlists) Describe(w io.Writer) {
	ids := make([]string, 0, len(r.byID))
	for id := range r.byID {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	for _, id := range ids {
		fmt.Fprintf(w, "%q %s\n", id, rules.Describe(r.byID[id]))
	}
}

// Describe implements Described: the built-in configuration's name and
// every global allowlist.
func (g *Global) Describe(w io.Writer) {
	fmt.Fprintf(w, "builtin %q\n%s", g.Builtin, rules.Describe(g.lists))
}

// Describe implements Described.
func (m MinConfidence) Describe(w io.Writer) { fmt.Fprintf(w, "at least %d", int(m)) }

// Describe implements Described: every fingerprint and gitleaks entry.
func (ig *Ignore) Describe(w io.Writer) {
	fps := make([]string, 0, len(ig.fps))
	for fp := range ig.fps {
		fps = append(fps, fp)
	}
	slices.Sort(fps)
	gl := make([]string, 0, len(ig.gl))
	for k := range ig.gl {
		gl = append(gl, fmt.Sprintf("%q %q %q %d", k.commit, k.path, k.rule, k.line))
	}
	slices.Sort(gl)
	fmt.Fprintf(w, "%d fingerprints\n%s\n%d gitleaks entries\n%s", len(fps), strings.Join(fps, "\n"), len(gl), strings.Join(gl, "\n"))
}

// Describe implements Described: every entry.
func (b *Baseline) Describe(w io.Writer) {
	for _, m := range []map[string]bool{b.known, b.plain} {
		keys := make([]string, 0, len(m))
		for k := range m {
			keys = append(keys, fmt.Sprintf("%q", k))
		}
		slices.Sort(keys)
		fmt.Fprintf(w, "%d entries\n%s\n", len(keys), strings.Join(keys, "\n"))
	}
}
