package entropy

import (
	"math"
	"slices"
	"strings"
	"testing"
)

func TestShannon(t *testing.T) {
	tests := []struct {
		in   string
		want float64
	}{
		{"", 0},
		{"aaaa", 0},
		{"ab", 1},
		{"abcd", 2},
		{"0123456789abcdef", 4},
	}
	for _, tt := range tests {
		if got := Shannon([]byte(tt.in)); math.Abs(got-tt.want) > 1e-9 {
			t.Errorf("Shannon(%q) = %v, want %v", tt.in, got, tt.want)
		}
	}
}

func TestShannonCountsBytesNotRunes(t *testing.T) {
	// "é" is two bytes; gitleaks' bug was to count runes but divide by bytes.
	got := Shannon([]byte("éé"))
	if math.Abs(got-1) > 1e-9 {
		t.Fatalf("Shannon(éé) = %v, want 1 (two distinct bytes, equally likely)", got)
	}
}

func TestAlphabet(t *testing.T) {
	tests := []struct {
		in   string
		want int
	}{
		{"0123", 10},
		{"deadbeef0123", 16},
		{"DEADBEEF0123", 16},
		{"abcxyz0123", 36},
		{"AbcXyz0123", 62},
		{"AbcXyz0123+/", 64},
		{"AbcXyz0123-_", 64},
		{"p@ss!word", 56},
	}
	for _, tt := range tests {
		if got := Alphabet([]byte(tt.in)); got != tt.want {
			t.Errorf("Alphabet(%q) = %d, want %d", tt.in, got, tt.want)
		}
	}
}

func TestBits(t *testing.T) {
	hexKey := "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08" // sha256("test")
	if got := Bits([]byte(hexKey)); got < 200 {
		t.Errorf("Bits(64 hex chars) = %.1f, want at least 200 (256 by construction)", got)
	}
	if got := Shannon([]byte(hexKey)); got > 4.01 {
		t.Errorf("Shannon(hex) = %v; per-byte entropy of hex can never exceed 4", got)
	}
	if got := Bits([]byte(strings.Repeat("a", 64))); got > 10 {
		t.Errorf("Bits(64×'a') = %.1f, want near 0", got)
	}
	if got := Bits([]byte(strings.Repeat("ab", 32))); got > 20 {
		t.Errorf("Bits((ab)×32) = %.1f, want low", got)
	}
	if got := Bits([]byte("password")); got > 60 {
		t.Errorf("Bits(password) = %.1f, want under 60", got)
	}
}

func FuzzEntropy(f *testing.F) {
	f.Add([]byte("k9Qz-Lm2_Rt8+Wp5/Yb7="))
	f.Add([]byte{0, 0xff, '\n'})
	f.Fuzz(func(t *testing.T, b []byte) {
		h := Shannon(b)
		if h < 0 || h > 8 || math.IsNaN(h) {
			t.Fatalf("Shannon out of bounds: %v", h)
		}
		// Reordering the input never changes its entropy.
		r := make([]byte, len(b))
		for i := range b {
			r[len(b)-1-i] = b[i]
		}
		if h2 := Shannon(r); math.Abs(h-h2) > 1e-9 {
			t.Fatalf("Shannon changed under reversal: %v vs %v", h, h2)
		}
		sorted := slices.Clone(b)
		slices.Sort(sorted)
		if h2, b2 := Shannon(sorted), Bits(sorted); math.Abs(h-h2) > 1e-9 || math.Abs(Bits(b)-b2) > 1e-9 {
			t.Fatalf("entropy changed when the bytes were sorted: %v vs %v, bits %v vs %v", h, h2, Bits(b), b2)
		}
		bits := Bits(b)
		if bits < 0 || bits > float64(len(b))*8+1e-9 || math.IsNaN(bits) {
			t.Fatalf("Bits out of bounds: %v for len %d", bits, len(b))
		}
	})
}
