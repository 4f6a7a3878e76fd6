package packfile

import (
	"bytes"
	"compress/zlib"
	"context"
	"encoding/binary"
	"sync"
	"testing"
)

// FuzzApply checks that any delta on any base is either applied, its
// instructions rebuilding exactly the declared result, or refused: never a
// panic, never an allocation the delta's own size cannot justify.
func FuzzApply(f *testing.F) {
	// base "hello world\n"; result "hello there world\n": copy 6, insert 6, copy 6.
	f.Add([]byte("hello world\n"), []byte{12, 18, 0x90, 6, 6, 't', 'h', 'e', 'r', 'e', ' ', 0x91, 6, 6})
	f.Add([]byte(""), []byte{0, 3, 3, 'a', 'b', 'c'})
	f.Add([]byte("abc"), []byte{3, 0})
	f.Add([]byte("abc"), []byte{3, 0x80, 0x80, 0x80, 0x80, 0x01, 0xb0})
	f.Fuzz(func(t *testing.T, base, delta []byte) {
		out, ops, err := apply(base, delta, nil, nil)
		if err != nil {
			return
		}
		_, dst, _, _ := deltaSizes(delta)
		if len(out) != dst {
			t.Fatalf("result is %d bytes, declared %d", len(out), dst)
		}
		var rebuilt []byte
		for _, op := range ops {
			if op.Target != len(rebuilt) {
				t.Fatalf("op at %d, want %d", op.Target, len(rebuilt))
			}
			if op.Base < 0 {
				rebuilt = append(rebuilt, out[op.Target:op.Target+op.Len]...)
			} else {
				rebuilt = append(rebuilt, base[op.Base:op.Base+op.Len]...)
			}
		}
		if !bytes.Equal(rebuilt, out) {
			t.Fatal("ops do not rebuild the result")
		}
	})
}

// memPack builds a pack in memory from entries (each a header byte
// sequence followed by its data) with made-up ids.
func memPack(entries [][]byte) *pack {
	data := []byte("PACK\x00\x00\x00\x02")
	data = binary.BigEndian.AppendUint32(data, uint32(len(entries)))
	p := &pack{hashLen: 20, count: len(entries)}
	for i, e := range entries {
		p.offsets = append(p.offsets, uint64(len(data)))
		p.byOffset = append(p.byOffset, uint32(i))
		p.entryOf = append(p.entryOf, uint32(i))
		id := make([]byte, 20)
		binary.BigEndian.PutUint32(id, uint32(i))
		p.ids = append(p.ids, id...)
		data = append(data, e...)
	}
	p.data = append(data, make([]byte, 20)...)
	return p
}

func deflate(b []byte) []byte {
	var buf bytes.Buffer
	z := zlib.NewWriter(&buf)
	z.Write(b)
	z.Close()
	return buf.Bytes()
}

// FuzzWalkPack walks a pack whose entries are fuzzed: headers, offsets
// of deltas, compressed streams. Every entry is visited or reported, and
// nothing panics.
func FuzzWalkPack(f *testing.F) {
	blob := append([]byte{0x3c}, deflate([]byte("twelve bytes"))...) // blob, size 12
	delta := append([]byte{0x6e, 0x01 + 0}, deflate([]byte{12, 14, 0x90, 12, 2, '!', '\n'})...)
	f.Add(blob, delta, []byte{})
	f.Add(blob, []byte{0x60}, []byte{0x7f, 0x01})
	f.Add([]byte{0x1f}, []byte{0x2f}, []byte{0x4f})
	f.Fuzz(func(t *testing.T, a, b, c []byte) {
		p := memPack([][]byte{a, b, c})
		r := &Repo{hashLen: 20, packs: []*pack{p}, base: []int{0, 3}, total: 3}
		var mu sync.Mutex
		seen := map[string]int{}
		err := r.Walk(context.Background(), 2, func(_ int, o *Object) error {
			if o.Kind < Commit || o.Kind > Tag {
				t.Errorf("visited an object of kind %d", o.Kind)
			}
			mu.Lock()
			seen[string(o.ID)]++
			mu.Unlock()
			return nil
		}, func(e *ObjectError) {
			mu.Lock()
			seen[string(e.ID)]++
			mu.Unlock()
		})
		if err != nil {
			t.Fatal(err)
		}
		if len(seen) != 3 {
			t.Fatalf("%d of 3 entries visited or reported", len(seen))
		}
		for id, n := range seen {
			if n != 1 {
				t.Fatalf("entry %x visited or reported %d times", id, n)
			}
		}
	})
}
