package detect_test

import (
	"bytes"
	"fmt"
	"maps"
	"math/rand/v2"
	"slices"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/config"
	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/delta"
	"github.com/leakhound/leakhound/internal/testkit"
)

// edit builds a new version of old by a few random line edits and
// returns it with the changed ranges and copies a delta would describe.
func edit(rng *rand.Rand, old []byte, donor [][]byte) ([]byte, []delta.Span, []delta.Copy) {
	lines := bytes.SplitAfter(old, []byte("\n"))
	if len(lines) > 0 && len(lines[len(lines)-1]) == 0 {
		lines = lines[:len(lines)-1]
	}
	type piece struct {
		b    []byte
		from int // offset in old, or -1 when inserted
	}
	var pieces []piece
	off := 0
	for _, l := range lines {
		pieces = append(pieces, piece{l, off})
		off += len(l)
	}
	for range 1 + rng.IntN(4) {
		at := rng.IntN(len(pieces) + 1)
		switch rng.IntN(5) {
		case 0, 1: // insert a line from elsewhere (it may hold a secret)
			d := donor[rng.IntN(len(donor))]
			pieces = slices.Insert(pieces, at, piece{d, -1})
		case 2: // delete a line
			if at < len(pieces) {
				pieces = slices.Delete(pieces, at, at+1)
			}
		case 3: // change a line in its middle
			if at < len(pieces) && len(pieces[at].b) > 4 {
				p := pieces[at]
				cut := 1 + rng.IntN(len(p.b)-2)
				mid := []byte(fmt.Sprintf("x%d", rng.IntN(100)))
				var a, c piece
				a, c = piece{p.b[:cut], -1}, piece{p.b[cut:], -1}
				if p.from >= 0 {
					a.from, c.from = p.from, p.from+cut
				}
				pieces = slices.Replace(pieces, at, at+1, a, piece{mid, -1}, c)
			}
		case 4: // move a line
			if at < len(pieces) {
				p := pieces[at]
				pieces = slices.Delete(pieces, at, at+1)
				to := rng.IntN(len(pieces) + 1)
				pieces = slices.Insert(pieces, to, p)
			}
		}
	}
	var out []byte
	var changed []delta.Span
	var copies []delta.Copy
	for _, p := range pieces {
		at := len(out)
		out = append(out, p.b...)
		if p.from < 0 {
			changed = append(changed, delta.Span{Lo: at, Hi: len(out)})
			continue
		}
		if n := len(copies); n > 0 && copies[n-1].To+copies[n-1].Len == at && copies[n-1].From+copies[n-1].Len == p.from {
			copies[n-1].Len += len(p.b)
			continue
		}
		if at > 0 {
			changed = append(changed, delta.Span{Lo: at, Hi: at}) // a seam
		}
		copies = append(copies, delta.Copy{To: at, From: p.from, Len: len(p.b)})
	}
	// Merge touching changes as a delta's instructions would be.
	merged := changed[:0]
	for _, c := range changed {
		if n := len(merged); n > 0 && c.Lo <= merged[n-1].Hi {
			merged[n-1].Hi = max(merged[n-1].Hi, c.Hi)
			continue
		}
		merged = append(merged, c)
	}
	return out, merged, copies
}

func key(f detect.Finding) string {
	return fmt.Sprintf("%s %d-%d %d:%d-%d:%d %q %q %v %v", f.RuleID, f.Start, f.End, f.StartLine, f.StartColumn,
		f.EndLine, f.EndColumn, f.Secret, f.Line, f.Tags, f.Confidence)
}

func keys(fs []detect.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, key(f))
	}
	slices.Sort(out)
	return out
}

// TestDetectChangedEqualsDetect edits every file of the accuracy corpus
// at random, many times over, and checks that the findings of each new
// version built from the previous one's (DetectChanged) are exactly those
// of scanning it whole.
func TestDetectChangedEqualsDetect(t *testing.T) {
	d := detect.New(testkit.Set(t, config.Default()), nil)
	detect.SetWholeEvery(d, 1)
	corpus, lines := testkit.Corpus(t)
	var files, donor [][]byte
	for _, name := range slices.Sorted(maps.Keys(corpus)) {
		files = append(files, []byte(corpus[name]))
	}
	for _, l := range lines {
		donor = append(donor, []byte(l))
	}
	rng := rand.New(rand.NewPCG(7, 11))
	rounds := 12
	if testing.Short() {
		rounds = 3
	}
	checked, partial, withFindings := 0, 0, 0
	for fi, content := range files {
		_, memo, err := d.DetectMemo(&detect.Fragment{Content: content, StartLine: 1})
		if err != nil {
			t.Fatal(err)
		}
		for round := range rounds {
			next, changed, copies := edit(rng, content, donor)
			f := &detect.Fragment{Content: next, StartLine: 1}
			want, err := d.Detect(f)
			if err != nil {
				t.Fatal(err)
			}
			got, nextMemo, err := d.DetectChanged(f, content, changed, copies, memo)
			if err != nil {
				t.Fatal(err)
			}
			if w, g := keys(want), keys(got); !slices.Equal(w, g) {
				t.Fatalf("file %d round %d: changed %v, %d bytes scanned\nwant %d:\n%s\ngot %d:\n%s", fi, round, changed, nextMemo.Scanned(),
					len(w), strings.Join(w, "\n"), len(g), strings.Join(g, "\n"))
			}
			checked++
			if len(want) > 0 {
				withFindings++
			}
			if nextMemo.Scanned() < len(next) {
				partial++
			}
			content, memo = next, nextMemo
		}
	}
	t.Logf("%d versions checked, %d with findings, %d scanned in part", checked, withFindings, partial)
	if partial < checked/2 {
		t.Errorf("only %d of %d versions were scanned in part", partial, checked)
	}
}

// FuzzDetectChanged edits a content at random and checks that scanning
// the new version by what changed, with the old version's findings
// carried over, finds exactly what a whole scan finds.
func FuzzDetectChanged(f *testing.F) {
	pw := "Xk9#mP2" + "$vL7qR4wT"
	f.Add([]byte("config:\n  db_password: \""+pw+"\"\n  host: db\n"), []byte("token = \"ab12"+"Cd34Ef56Gh78\"\n- name: API_TOKEN\n  value: "+pw+"\n"), uint64(1))
	f.Add([]byte("- name: SECRET_KEY\n  value: "+pw+"\n- name: OTHER\n  value: plain\n"), []byte("x\n\n"), uint64(2))
	f.Add([]byte("a\nb\nc\n"), []byte("machine example.com login me password "+pw+"\n"), uint64(3))
	d := detect.New(testkit.Set(f, config.Default()), nil)
	detect.SetWholeEvery(d, 1)
	f.Fuzz(func(t *testing.T, content, donorText []byte, seed uint64) {
		var donor [][]byte
		for _, l := range bytes.SplitAfter(donorText, []byte("\n")) {
			if len(l) > 0 {
				donor = append(donor, l)
			}
		}
		if len(donor) == 0 {
			return
		}
		_, memo, err := d.DetectMemo(&detect.Fragment{Content: content, StartLine: 1})
		if err != nil {
			return
		}
		next, changed, copies := edit(rand.New(rand.NewPCG(seed, 1)), content, donor)
		f := &detect.Fragment{Content: next, StartLine: 1}
		want, _ := d.Detect(f)
		got, m, _ := d.DetectChanged(f, content, changed, copies, memo)
		if w, g := keys(want), keys(got); !slices.Equal(w, g) {
			t.Fatalf("changed %v, %d bytes scanned\nwant:\n%s\ngot:\n%s", changed, m.Scanned(), strings.Join(w, "\n"), strings.Join(g, "\n"))
		}
	})
}
