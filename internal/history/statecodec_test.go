package history

import (
	"bytes"
	"encoding/binary"
	"errors"
	"hash/crc32"
	"reflect"
	"testing"
	"time"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/gitplumb"
)

// FuzzDecodeState: whatever a state file holds (a broken CI cache, a
// file of something else), decoding never panics, and what decodes
// encodes back to the same state.
func FuzzDecodeState(f *testing.F) {
	id := func(c byte) string { return string([]byte{'0' + c%10}) + "123456789012345678901234567890123456789" }
	s := &ScanState{Key: StateKey("fuzz"), HashLen: 20, Tips: []string{id(1)}, Shallow: []string{id(2)},
		Commits: []StateCommit{{ID: id(1), Parents: []int32{1}, Found: [][]detect.Finding{{{
			RuleID: "tok", Secret: "tok_" + "f0f1f2f3f4f5", Tags: []string{"t"}, StartLine: 3, Entropy: 3.5,
			Provenance: detect.Provenance{Kind: detect.KindHistory, Path: "a/b.txt", Commit: id(1),
				Date: time.Unix(1700000000, 0).In(time.FixedZone("", 3600))}}}}}, {ID: id(2)}},
		Audit: &AuditState{Head: id(1), Paths: []PathSecrets{{Path: "a/b.txt", Blob: id(3), Secrets: []LineSecret{{"tok", "x", 3}}}},
			Removed: map[string]*gitplumb.Commit{"tok\x00y": {ID: id(2), Date: time.Unix(5, 0).UTC()}},
			Reach:   &ReachRecord{Key: StateKey("reach"), Answer: [][]string{{"refs/heads/main", "refs/tags/v1"}, nil}}},
		Kept: &KeptResult{Key: StateKey("filters"), Candidates: 3, Dropped: []StageCount{{"dedup", 0}, {"global-allowlist", 2}},
			Findings: []detect.Finding{{RuleID: "tok", Secret: "tok_" + "f0f1f2f3f4f5", Tags: []string{}}}}}
	data, err := EncodeState(s)
	if err != nil {
		f.Fatal(err)
	}
	back, err := DecodeState(data)
	if err == nil {
		if back.NumCommits() != len(s.Commits) || back.Commits != nil {
			f.Fatalf("decoding read the commits (%d of %d) before they were asked for", len(back.Commits), back.NumCommits())
		}
		err = back.LoadCommits()
	}
	if err != nil || !reflect.DeepEqual(back, s) {
		f.Fatalf("round trip: %v\n%+v\n%+v", err, back, s)
	}
	// The seeds are the bodies: the fuzzed bytes get a valid checksum, so
	// that the decoder's bounds checks are what is exercised.
	body := data[:len(data)-4]
	f.Add(body)
	f.Add(body[:len(body)/2])
	f.Add([]byte(stateMagic))
	f.Fuzz(func(t *testing.T, body []byte) {
		data := binary.LittleEndian.AppendUint32(bytes.Clone(body), crc32.Checksum(body, crcTable()))
		s, err := DecodeState(data)
		if err == nil {
			// Commits are read when needed, and may turn out damaged then.
			err = s.LoadCommits()
		}
		if err != nil {
			if !errors.Is(err, ErrStateFormat) {
				t.Fatalf("error %v does not say the file is not a state", err)
			}
			return
		}
		again, err := EncodeState(s)
		if err != nil {
			t.Fatalf("decoded state does not encode: %v", err)
		}
		back, err := DecodeState(again)
		if err == nil {
			err = back.LoadCommits()
		}
		if err != nil || !reflect.DeepEqual(back, s) {
			t.Fatalf("re-encoded state differs: %v", err)
		}
	})
}
