package history

import (
	"bytes"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash/crc32"
	"math"
	"time"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/gitplumb"
	"github.com/leakhound/leakhound/rules"
)

// The state file's format (docs/incremental.md): a magic line, the format
// version, the key, then varint-encoded sections (a table of the distinct
// strings, the tips, the shallow boundary, the commits with their
// candidates, the audit's part, the filtered result), and a CRC-32C of everything before it.
// Binary rather than JSON: a large repository's state is mostly commit
// ids (symfony: 72 thousand), which JSON would write as hex strings and
// decode at a fraction of the speed, and an unchanged re-run is meant to
// cost about what listing the refs costs. The checksum makes a truncated
// or damaged file (a broken CI cache) an error, never a wrong answer.
const (
	stateMagic   = "leakhound-state\n"
	stateVersion = 2
)

// ErrStateFormat is matched (errors.Is) by DecodeState's errors for a
// file that is not a state this leakhound can read: another format, an
// older or newer version, truncated or damaged content.
var ErrStateFormat = errors.New("not a leakhound state file of this version, or damaged")

// crcTable is the state's checksum table, made on first use (crc32 keeps
// it) rather than when the process starts.
func crcTable() *crc32.Table { return crc32.MakeTable(crc32.Castagnoli) }

// EncodeState returns s in the state file format.
func EncodeState(s *ScanState) ([]byte, error) {
	e := &stateEnc{strs: map[string]uint64{}}
	if err := e.state(s); err != nil {
		return nil, err
	}
	var out bytes.Buffer
	out.WriteString(stateMagic)
	head := binary.AppendUvarint(nil, stateVersion)
	head = append(head, s.Key[:]...)
	head = binary.AppendUvarint(head, uint64(s.HashLen))
	head = binary.AppendUvarint(head, uint64(len(e.table)))
	for _, str := range e.table {
		head = binary.AppendUvarint(head, uint64(len(str)))
		head = append(head, str...)
	}
	out.Write(head)
	out.Write(e.b)
	return binary.LittleEndian.AppendUint32(out.Bytes(), crc32.Checksum(out.Bytes(), crcTable())), nil
}

// stateEnc is EncodeState's writer: the body, and the string table.
type stateEnc struct {
	b       []byte
	strs    map[string]uint64
	table   []string
	hashLen int
	err     error
}

func (e *stateEnc) uint(v uint64) { e.b = binary.AppendUvarint(e.b, v) }
func (e *stateEnc) int(v int64)   { e.b = binary.AppendVarint(e.b, v) }

func (e *stateEnc) str(s string) {
	i, ok := e.strs[s]
	if !ok {
		i = uint64(len(e.table))
		e.strs[s] = i
		e.table = append(e.table, s)
	}
	e.uint(i)
}

// id writes a hexadecimal object id as its bytes.
func (e *stateEnc) id(h string) {
	raw, err := hex.DecodeString(h)
	if (err != nil || len(raw) != e.hashLen) && e.err == nil {
		e.err = fmt.Errorf("state: %q is not an object id", gitplumb.Truncate(h, 80))
	}
	raw = append(raw, make([]byte, e.hashLen)...)
	e.b = append(e.b, raw[:e.hashLen]...)
}

func (e *stateEnc) ids(hs []string) {
	e.uint(uint64(len(hs)))
	for _, h := range hs {
		e.id(h)
	}
}

// when writes a time as parseIdent makes them: zero, UTC, or a fixed
// offset (the author's).
func (e *stateEnc) when(t time.Time) {
	_, off := t.Zone()
	switch {
	case t.IsZero():
		e.uint(0)
		return
	case t.Location() == time.UTC:
		e.uint(1)
	default:
		e.uint(2)
		e.int(int64(off))
	}
	e.int(t.Unix())
	e.uint(uint64(t.Nanosecond()))
}

func (e *stateEnc) state(s *ScanState) error {
	e.hashLen = s.HashLen
	e.ids(s.Tips)
	e.ids(s.Shallow)
	if err := s.LoadCommits(); err != nil {
		return err
	}
	// The commits go into a section of their own, its length first, so
	// that a reader can pass over them (an unchanged re-run answered by
	// Kept needs none of them).
	out := e.b
	e.b = nil
	for i := range s.Commits {
		c := &s.Commits[i]
		e.id(c.ID)
		e.uint(uint64(len(c.Parents)))
		for _, p := range c.Parents {
			e.uint(uint64(p))
		}
		e.uint(uint64(len(c.Found)))
		for _, batch := range c.Found {
			e.uint(uint64(len(batch)))
			for j := range batch {
				e.finding(&batch[j])
			}
		}
	}
	section := e.b
	e.b = binary.AppendUvarint(out, uint64(len(s.Commits)))
	e.uint(uint64(len(section)))
	e.b = append(e.b, section...)
	e.audit(s.Audit)
	e.kept(s.Kept)
	return e.err
}

func (e *stateEnc) kept(k *KeptResult) {
	if k == nil {
		e.uint(0)
		return
	}
	e.uint(1)
	e.b = append(e.b, k.Key[:]...)
	e.uint(uint64(k.Candidates))
	e.uint(uint64(len(k.Dropped)))
	for _, c := range k.Dropped {
		e.str(c.Stage)
		e.uint(uint64(c.Dropped))
	}
	e.uint(uint64(len(k.Findings)))
	for i := range k.Findings {
		e.finding(&k.Findings[i])
	}
}

// finding writes every field of a finding (stateFields in the tests
// fails when detect.Finding gains one this does not write).
func (e *stateEnc) finding(f *detect.Finding) {
	for _, s := range []string{f.RuleID, f.Description, f.Secret, f.Match, f.Line, f.Key, f.Fingerprint,
		string(f.Kind), f.Path, f.Commit, f.Author, f.Email, f.Message, f.BlobID} {
		e.str(s)
	}
	for _, v := range []int{f.StartLine, f.EndLine, f.StartColumn, f.EndColumn, f.Start, f.End, int(f.Severity), int(f.Confidence)} {
		e.int(int64(v))
	}
	e.b = binary.LittleEndian.AppendUint64(e.b, math.Float64bits(f.Entropy))
	e.uint(uint64(len(f.Tags)))
	for _, t := range f.Tags {
		e.str(t)
	}
	if f.Tags == nil {
		e.uint(0) // nil, as the detector made it
	} else {
		e.uint(1)
	}
	e.when(f.Date)
}

func (e *stateEnc) audit(a *AuditState) {
	if a == nil {
		e.uint(0)
		return
	}
	e.uint(1)
	e.str(a.Head)
	e.uint(uint64(len(a.Paths)))
	for _, p := range a.Paths {
		e.str(p.Path)
		e.str(p.Blob)
		e.uint(uint64(len(p.Secrets)))
		for _, s := range p.Secrets {
			e.str(s.Rule)
			e.str(s.Secret)
			e.int(int64(s.Line))
		}
	}
	keys := sortedKeys(a.Removed)
	e.uint(uint64(len(keys)))
	for _, k := range keys {
		c := a.Removed[k]
		e.str(k)
		e.str(c.ID)
		e.str(c.Author)
		e.str(c.Email)
		e.str(c.Subject)
		e.when(c.Date)
	}
	if a.Reach == nil {
		e.uint(0)
		return
	}
	e.uint(1)
	e.b = append(e.b, a.Reach.Key[:]...)
	e.uint(uint64(len(a.Reach.Answer)))
	for _, names := range a.Reach.Answer {
		e.uint(uint64(len(names)))
		for _, n := range names {
			e.str(n)
		}
	}
}

// DecodeState reads a state file's content. Its errors match
// ErrStateFormat when data is not a state of this format version.
func DecodeState(data []byte) (*ScanState, error) {
	body, ok := bytes.CutPrefix(data, []byte(stateMagic))
	if !ok || len(body) < 4 {
		return nil, fmt.Errorf("%w: it does not start as one", ErrStateFormat)
	}
	sum := binary.LittleEndian.Uint32(body[len(body)-4:])
	if crc32.Checksum(data[:len(data)-4], crcTable()) != sum {
		return nil, fmt.Errorf("%w: its checksum does not match (truncated or damaged)", ErrStateFormat)
	}
	d := &stateDec{b: body[:len(body)-4]}
	if v := d.uint(); v != stateVersion {
		return nil, fmt.Errorf("%w: format version %d, this leakhound reads %d", ErrStateFormat, v, stateVersion)
	}
	s := &ScanState{}
	copy(s.Key[:], d.take(32))
	s.HashLen = int(d.uint())
	if s.HashLen != 20 && s.HashLen != 32 {
		return nil, fmt.Errorf("%w: object ids of %d bytes", ErrStateFormat, s.HashLen)
	}
	d.hashLen = s.HashLen
	d.strings()
	d.state(s)
	if d.err == nil && len(d.b) > 0 {
		d.err = errors.New("data after the end")
	}
	if d.err != nil {
		return nil, fmt.Errorf("%w: %v", ErrStateFormat, d.err)
	}
	return s, nil
}

// stateDec is DecodeState's reader. Every read is bounds-checked; the
// first problem sticks in err and later reads return zeros.
type stateDec struct {
	b       []byte
	table   []string
	hashLen int
	err     error
}

func (d *stateDec) fail(what string) {
	if d.err == nil {
		d.err = errors.New(what)
	}
	d.b = nil
}

func (d *stateDec) uint() uint64 {
	v, n := binary.Uvarint(d.b)
	if n <= 0 {
		d.fail("bad number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

func (d *stateDec) int() int64 {
	v, n := binary.Varint(d.b)
	if n <= 0 {
		d.fail("bad number")
		return 0
	}
	d.b = d.b[n:]
	return v
}

// count reads a length of items that take at least size bytes each, so a
// damaged length cannot make the reader allocate more than the file holds.
func (d *stateDec) count(size int) uint64 {
	v := d.uint()
	if v > uint64(len(d.b)/size) {
		d.fail("length past the end")
		return 0
	}
	return v
}

func (d *stateDec) take(n int) []byte {
	if n > len(d.b) {
		d.fail("truncated")
		return make([]byte, n)
	}
	out := d.b[:n]
	d.b = d.b[n:]
	return out
}

func (d *stateDec) str() string {
	i := d.uint()
	if i >= uint64(len(d.table)) {
		d.fail("bad string reference")
		return ""
	}
	return d.table[i]
}

// strings reads the string table. Its strings are cut from one copy of
// the table's bytes: one allocation rather than one per string.
func (d *stateDec) strings() {
	n := d.count(1)
	start := d.b
	ends := make([]int, n)
	for i := range ends {
		d.take(int(d.count(1)))
		ends[i] = len(start) - len(d.b)
	}
	if d.err != nil {
		return
	}
	all := string(start[:len(start)-len(d.b)])
	d.table = make([]string, n)
	for i, end := range ends {
		// Each string's bytes end at end, after their uvarint length.
		var lenAt int
		if i > 0 {
			lenAt = ends[i-1]
		}
		_, w := binary.Uvarint(start[lenAt:])
		d.table[i] = all[lenAt+w : end]
	}
}

func (d *stateDec) id() string { return hex.EncodeToString(d.take(d.hashLen)) }

func (d *stateDec) ids() []string {
	var out []string
	for range d.count(d.hashLen) {
		out = append(out, d.id())
	}
	return out
}

func (d *stateDec) when() time.Time {
	var loc *time.Location
	switch d.uint() {
	case 0:
		return time.Time{}
	case 1:
		loc = time.UTC
	case 2:
		loc = time.FixedZone("", int(d.int()))
	default:
		d.fail("bad time")
		return time.Time{}
	}
	sec := d.int()
	return time.Unix(sec, int64(d.uint())).In(loc)
}

func (d *stateDec) state(s *ScanState) {
	s.Tips = d.ids()
	s.Shallow = d.ids()
	n := d.count(d.hashLen + 2)
	s.lazy = &lazyCommits{n: n, raw: d.take(int(d.count(1))), table: d.table, hashLen: d.hashLen}
	d.audit(s)
	d.kept(s)
}

// lazyCommits is a decoded state's commits section, not read yet.
type lazyCommits struct {
	n       uint64
	raw     []byte
	table   []string
	hashLen int
}

// NumCommits returns how many commits s records.
func (s *ScanState) NumCommits() int {
	if s.lazy != nil {
		return int(s.lazy.n)
	}
	return len(s.Commits)
}

// LoadCommits reads the commits of a decoded state (DecodeState leaves
// them for when they are needed); its errors match ErrStateFormat.
func (s *ScanState) LoadCommits() error {
	if s.lazy == nil {
		return nil
	}
	l := s.lazy
	d := &stateDec{b: l.raw, table: l.table, hashLen: l.hashLen}
	d.commits(s, l.n)
	if d.err == nil && len(d.b) > 0 {
		d.err = errors.New("data after the commits")
	}
	if d.err != nil {
		s.Commits = nil
		return fmt.Errorf("%w: %v", ErrStateFormat, d.err)
	}
	s.lazy = nil
	return nil
}

// commits reads the n commits of a commits section.
func (d *stateDec) commits(s *ScanState, n uint64) {
	s.Commits = make([]StateCommit, n)
	// The commits' ids and parents, tens of thousands, share one string
	// and one slice: decoding each into its own allocation was most of an
	// unchanged re-run's time.
	hexLen := 2 * d.hashLen
	ids := make([]byte, int(n)*hexLen)
	var parents []int32
	ends := make([]int, n)
	for i := range s.Commits {
		c := &s.Commits[i]
		hex.Encode(ids[i*hexLen:], d.take(d.hashLen))
		for range d.count(1) {
			p := d.uint()
			if p >= n {
				d.fail("bad parent")
			}
			parents = append(parents, int32(p))
		}
		ends[i] = len(parents)
		for range d.count(1) {
			batch := make([]detect.Finding, d.count(1))
			for j := range batch {
				d.finding(&batch[j])
			}
			c.Found = append(c.Found, batch)
		}
	}
	all := string(ids)
	from := 0
	for i := range s.Commits {
		c := &s.Commits[i]
		c.ID = all[i*hexLen : (i+1)*hexLen]
		if ends[i] > from {
			c.Parents = parents[from:ends[i]:ends[i]]
		}
		from = ends[i]
	}
}

func (d *stateDec) kept(s *ScanState) {
	if d.uint() == 0 {
		return
	}
	k := &KeptResult{}
	copy(k.Key[:], d.take(32))
	k.Candidates = int64(d.uint())
	for range d.count(2) {
		k.Dropped = append(k.Dropped, StageCount{Stage: d.str(), Dropped: int64(d.uint())})
	}
	k.Findings = make([]detect.Finding, d.count(20))
	for i := range k.Findings {
		d.finding(&k.Findings[i])
	}
	s.Kept = k
}

func (d *stateDec) finding(f *detect.Finding) {
	for _, p := range []*string{&f.RuleID, &f.Description, &f.Secret, &f.Match, &f.Line, &f.Key, &f.Fingerprint} {
		*p = d.str()
	}
	f.Kind = detect.Kind(d.str())
	for _, p := range []*string{&f.Path, &f.Commit, &f.Author, &f.Email, &f.Message, &f.BlobID} {
		*p = d.str()
	}
	for _, p := range []*int{&f.StartLine, &f.EndLine, &f.StartColumn, &f.EndColumn, &f.Start, &f.End} {
		*p = int(d.int())
	}
	f.Severity = rules.Severity(d.int())
	f.Confidence = rules.Confidence(d.int())
	if b := d.take(8); d.err == nil {
		f.Entropy = math.Float64frombits(binary.LittleEndian.Uint64(b))
	}
	tags := d.count(1)
	for range tags {
		f.Tags = append(f.Tags, d.str())
	}
	if d.uint() == 1 && f.Tags == nil {
		f.Tags = []string{}
	}
	f.Date = d.when()
}

func (d *stateDec) audit(s *ScanState) {
	if d.uint() == 0 {
		return
	}
	a := &AuditState{Head: d.str(), Removed: map[string]*gitplumb.Commit{}}
	for range d.count(3) {
		p := PathSecrets{Path: d.str(), Blob: d.str()}
		for range d.count(3) {
			p.Secrets = append(p.Secrets, LineSecret{Rule: d.str(), Secret: d.str(), Line: int(d.int())})
		}
		a.Paths = append(a.Paths, p)
	}
	for range d.count(6) {
		k := d.str()
		a.Removed[k] = &gitplumb.Commit{ID: d.str(), Author: d.str(), Email: d.str(), Subject: d.str(), Date: d.when()}
	}
	if d.uint() == 1 {
		r := &ReachRecord{}
		copy(r.Key[:], d.take(32))
		r.Answer = make([][]string, d.count(1))
		for g := range r.Answer {
			for range d.count(1) {
				r.Answer[g] = append(r.Answer[g], d.str())
			}
		}
		a.Reach = r
	}
	s.Audit = a
}
