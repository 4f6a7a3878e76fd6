// Package shard splits a list of repositories into N disjoint shards for
// an organisation-wide audit that runs on an engine teams already have (a
// CI matrix, a Kubernetes Indexed Job; DESIGN §7). It reads the list and
// assigns entries; it runs nothing and touches no repository.
//
// An entry goes to a shard by a hash of its normalised text (jump
// consistent hashing, Lamping and Veach 2014), not by its line number:
// the shards are disjoint and together cover the list by construction,
// they are the same on every run and machine, adding or removing an entry
// moves no other, and going from N to N+1 shards moves only about 1/(N+1)
// of the entries. Shard indexes are 0-based, as Kubernetes'
// JOB_COMPLETION_INDEX.
package shard

import (
	"bufio"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"fmt"
	"io"
	"path/filepath"
	"strconv"
	"strings"
)

// Spec is one shard of N: Index in 0..Count-1. Spec{0, 1} is the whole
// list; the zero value is not valid.
type Spec struct{ Index, Count int }

// String is the "I/N" form Parse reads.
func (s Spec) String() string { return fmt.Sprintf("%d/%d", s.Index, s.Count) }

// Parse reads "I/N": N shards, I the 0-based index of this one.
func Parse(s string) (Spec, error) {
	i, n, ok := strings.Cut(strings.TrimSpace(s), "/")
	if !ok {
		return Spec{}, fmt.Errorf("shard %q: want I/N, the 0-based index I of N shards (e.g. 0/4)", s)
	}
	idx, err1 := strconv.Atoi(strings.TrimSpace(i))
	cnt, err2 := strconv.Atoi(strings.TrimSpace(n))
	switch {
	case err1 != nil || err2 != nil:
		return Spec{}, fmt.Errorf("shard %q: I and N must be whole numbers (I/N, e.g. 0/4)", s)
	case cnt < 1:
		return Spec{}, fmt.Errorf("shard %q: N must be at least 1", s)
	case idx < 0 || idx >= cnt:
		return Spec{}, fmt.Errorf("shard %q: I must be in 0..%d (indexes are 0-based, as JOB_COMPLETION_INDEX)", s, cnt-1)
	}
	return Spec{Index: idx, Count: cnt}, nil
}

// Entry is one repository of the list.
type Entry struct {
	// Name is the entry normalised: what shards and report names are
	// computed from, and how reports name the repository.
	Name string
	// Line is its line in the list, 1-based.
	Line int
}

// Duplicate is an entry met again: it is kept once, at its first line.
type Duplicate struct {
	Entry
	First int // the line it was first met on
}

// List is a parsed repository list.
type List struct {
	Entries    []Entry
	Duplicates []Duplicate
}

// Read parses a list: one entry per line; blank lines and lines starting
// with # are ignored, as is a trailing "# comment" after whitespace.
// Entries are normalised (see Normalize) and kept once.
func Read(r io.Reader) (*List, error) {
	l := &List{}
	first := map[string]int{}
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		name := Normalize(stripComment(sc.Text()))
		if name == "" {
			continue
		}
		if at, ok := first[name]; ok {
			l.Duplicates = append(l.Duplicates, Duplicate{Entry{name, n}, at})
			continue
		}
		first[name] = n
		l.Entries = append(l.Entries, Entry{name, n})
	}
	if err := sc.Err(); err != nil {
		return nil, err
	}
	return l, nil
}

func stripComment(line string) string {
	line = strings.TrimSpace(line)
	if strings.HasPrefix(line, "#") {
		return ""
	}
	if i := strings.Index(line, " #"); i >= 0 {
		line = line[:i]
	}
	if i := strings.Index(line, "\t#"); i >= 0 {
		line = line[:i]
	}
	return strings.TrimSpace(line)
}

// Normalize is the form of an entry that identifies it: surrounding space
// removed; a URL (scheme://... or git's user@host:path) keeps its text but
// no trailing slashes; a local path is cleaned and written with '/'
// (so "a/./b/" and "a/b" are one entry). Case is kept: paths are
// case-sensitive.
func Normalize(entry string) string {
	e := strings.TrimSpace(entry)
	if e == "" {
		return ""
	}
	if IsURL(e) {
		return strings.TrimRight(e, "/")
	}
	return filepath.ToSlash(filepath.Clean(e))
}

// IsURL reports whether entry names a remote repository rather than a
// local path: scheme://..., or git's scp-like user@host:path.
func IsURL(entry string) bool {
	if i := strings.Index(entry, "://"); i > 0 && !strings.ContainsAny(entry[:i], "/\\") {
		return true
	}
	at, colon := strings.Index(entry, "@"), strings.Index(entry, ":")
	slash := strings.IndexAny(entry, "/\\")
	return at > 0 && colon > at && (slash < 0 || colon < slash)
}

// key is the 64-bit hash of a normalised entry.
func key(name string) uint64 {
	sum := sha256.Sum256([]byte(name))
	return binary.BigEndian.Uint64(sum[:8])
}

// Of returns the 0-based shard of count that name belongs to.
func Of(name string, count int) int {
	return jump(key(name), count)
}

// jump is Lamping and Veach's jump consistent hash ("A Fast, Minimal
// Memory, Consistent Hash Algorithm", 2014): a bucket in 0..n-1.
func jump(k uint64, n int) int {
	b, j := int64(-1), int64(0)
	for j < int64(n) {
		b = j
		k = k*2862933555777941757 + 1
		j = int64(float64(b+1) * (float64(int64(1)<<31) / float64((k>>33)+1)))
	}
	return int(b)
}

// Select returns the entries of l in shard s, in list order.
func (l *List) Select(s Spec) []Entry {
	var out []Entry
	for _, e := range l.Entries {
		if Of(e.Name, s.Count) == s.Index {
			out = append(out, e)
		}
	}
	return out
}

// ReportName is the base name of the report file of an entry, with ext
// (".json"): the entry's last path element made safe for any file system,
// then 12 hex digits of its hash, so that two entries never share a name
// (org-a/api and org-b/api) and an entry's name is the same on every run.
func ReportName(name, ext string) string {
	base := name
	if i := strings.LastIndexAny(base, "/:"); i >= 0 && i < len(base)-1 {
		base = base[i+1:]
	}
	base = strings.TrimSuffix(base, ".git")
	var b strings.Builder
	for _, r := range base {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z', r >= '0' && r <= '9', r == '-', r == '_', r == '.':
			b.WriteRune(r)
		default:
			b.WriteByte('_')
		}
	}
	safe := strings.Trim(b.String(), ".")
	if len(safe) > 64 {
		safe = safe[:64]
	}
	if safe == "" {
		safe = "repo"
	}
	sum := sha256.Sum256([]byte(name))
	return safe + "-" + hex.EncodeToString(sum[:6]) + ext
}
