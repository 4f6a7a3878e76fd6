package detect

import (
	"fmt"
	"sort"
	"strings"
	"testing"
)

// naiveHits is the obviously-correct reference for keywordIndex.
func naiveHits(text string, kws []string) []string {
	var out []string
	lt := asciiLower(text)
	for k, kw := range kws {
		kw = asciiLower(kw)
		for i := 0; i+len(kw) <= len(lt); i++ {
			if lt[i:i+len(kw)] == kw {
				out = append(out, hitKey(i+len(kw), k))
			}
		}
	}
	sort.Strings(out)
	return out
}

func hitKey(end, k int) string { return fmt.Sprintf("%d:%d", k, end) }

// asciiLower folds only ASCII letters, as the detector does: keywords are
// matched byte-wise, and Unicode case folding may change byte lengths.
func asciiLower(s string) string {
	b := []byte(s)
	for i := range b {
		b[i] = lower(b[i])
	}
	return string(b)
}

func indexHits(text string, kws []string) []string {
	ix := newKeywordIndex(kws)
	var out []string
	ix.scan([]byte(text), func(end int, k int32) bool {
		out = append(out, hitKey(end, int(k)))
		return true
	})
	sort.Strings(out)
	return out
}

func TestKeywordIndex(t *testing.T) {
	tests := []struct {
		name string
		text string
		kws  []string
	}{
		{"overlapping", "ushers", []string{"he", "she", "his", "hers"}},
		{"case-insensitive", "Password PASSWD passwd", []string{"passwd", "password"}},
		{"prefixes", "ghp_ghp_xoxb-", []string{"ghp_", "xoxb-", "x"}},
		{"none", "nothing to see", []string{"secret"}},
		{"empty text", "", []string{"a"}},
		{"nested", "aaaa", []string{"a", "aa", "aaa"}},
		{"non-ascii", "clé=секрет key", []string{"key", "секрет"}},
		// Keywords of 3 bytes or more take the wide table's path.
		{"wide", "ghp_ :// EYJhbGci x0Q~ pwd=1 akia", []string{"ghp_", "://", "eyj", "0q~", "pwd=", "akia"}},
		{"wide at the end", "0123456789ghp_", []string{"ghp_", "789"}},
		{"wide every alignment", "abcXabcXXabcXXXabcXXXXabc", []string{"abc", "xabc"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, want := indexHits(tt.text, tt.kws), naiveHits(tt.text, tt.kws)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("hits = %v, want %v", got, want)
			}
		})
	}
}

// TestKeywordIndexWideRandom compares the wide table's path with the
// reference on random text over the keywords' own letters, where hits are
// dense and land at every alignment.
func TestKeywordIndexWideRandom(t *testing.T) {
	kws := []string{"abc", "bcd", "cab", "abcd", "dcba", "ab-c", "a_b"}
	if newKeywordIndex(kws).wide == nil {
		t.Fatal("wide table not built")
	}
	const letters = "abcdABCD-_ "
	seed := uint32(1)
	for n := range 500 {
		b := make([]byte, n%97)
		for i := range b {
			seed = seed*1664525 + 1013904223
			b[i] = letters[seed>>24%uint32(len(letters))]
		}
		got, want := indexHits(string(b), kws), naiveHits(string(b), kws)
		if strings.Join(got, ",") != strings.Join(want, ",") {
			t.Fatalf("%q: hits = %v, want %v", b, got, want)
		}
	}
}

func FuzzKeywordIndex(f *testing.F) {
	f.Add("the api_key is here", "key")
	f.Add("AKIA AKIA", "akia")
	f.Fuzz(func(t *testing.T, text, kw string) {
		if kw == "" || len(kw) > 20 {
			return
		}
		for _, kws := range [][]string{{kw, "key", "ke"}, {kw, "key", "api_"}} {
			got, want := indexHits(text, kws), naiveHits(text, kws)
			if strings.Join(got, ",") != strings.Join(want, ",") {
				t.Fatalf("keywords %q: hits = %v, want %v", kws, got, want)
			}
		}
	})
}
