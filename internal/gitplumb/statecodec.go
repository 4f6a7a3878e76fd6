package gitplumb

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
	"github.com/leakhound/leakhound/rules"
)

// The state file's format (docs/incremental.md): a magic line, the format
// version, the key, then varint-encoded sections (a table of the distinct
// strings, the tips, the shallow boundary, the commits with their
// candidates, the audit's part), and a CRC-32C of everything before it.
// Binary rather than JSON: a large repository's state is mostly commit
// ids (symfony: 72 thousand), which JSON would write as hex strings and
// decode at a fraction of the speed, and an unchanged re-run is meant to
// cost about what listing the refs costs. The checksum makes a truncated
// or damaged file (a broken CI cache) an error, never a wrong answer.
const (
	stateMagic   = "leakhound-state\n"
	stateVersion = 1
)

// ErrStateFormat is matched (errors.Is) by DecodeState's errors for a
// file that is not a state this leakhound can read: another format, an
// older or newer version, truncated or damaged content.
var ErrStateFormat = errors.New("not a leakhound state file of this version, or damaged")

var crcTable = crc32.MakeTable(crc32.Castagnoli)

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
	return binary.LittleEndian.AppendUint32(out.Bytes(), crc32.Checksum(out.Bytes(), crcTable)), nil
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
		e.err = fmt.Errorf("state: %q is not an object id", truncate(h, 80))
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
	e.uint(uint64(len(s.Commits)))
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
	e.audit(s.Audit)
	return e.err
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
}

// DecodeState reads a state file's content. Its errors match
// ErrStateFormat when data is not a state of this format version.
func DecodeState(data []byte) (*ScanState, error) {
	body, ok := bytes.CutPrefix(data, []byte(stateMagic))
	if !ok || len(body) < 4 {
		return nil, fmt.Errorf("%w: it does not start as one", ErrStateFormat)
	}
	sum := binary.LittleEndian.Uint32(body[len(body)-4:])
	if crc32.Checksum(data[:len(data)-4], crcTable) != sum {
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
	n := d.count(1)
	for range n {
		d.table = append(d.table, string(d.take(int(d.count(1)))))
	}
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
	s.Commits = make([]StateCommit, n)
	for i := range s.Commits {
		c := &s.Commits[i]
		c.ID = d.id()
		for range d.count(1) {
			p := d.uint()
			if p >= n {
				d.fail("bad parent")
			}
			c.Parents = append(c.Parents, int32(p))
		}
		for range d.count(1) {
			batch := make([]detect.Finding, d.count(1))
			for j := range batch {
				d.finding(&batch[j])
			}
			c.Found = append(c.Found, batch)
		}
	}
	d.audit(s)
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
	a := &AuditState{Head: d.str(), Removed: map[string]*Commit{}}
	for range d.count(3) {
		p := PathSecrets{Path: d.str(), Blob: d.str()}
		for range d.count(3) {
			p.Secrets = append(p.Secrets, LineSecret{Rule: d.str(), Secret: d.str(), Line: int(d.int())})
		}
		a.Paths = append(a.Paths, p)
	}
	for range d.count(6) {
		k := d.str()
		a.Removed[k] = &Commit{ID: d.str(), Author: d.str(), Email: d.str(), Subject: d.str(), Date: d.when()}
	}
	s.Audit = a
}
