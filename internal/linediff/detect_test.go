package linediff_test

import (
	"strings"
	"testing"

	"github.com/leakhound/leakhound/config"
	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/internal/linediff"
	"github.com/leakhound/leakhound/internal/regex"
	"github.com/leakhound/leakhound/rules"
)

// Key material and tokens are built at run time so that this file, which
// the self-scan reads, holds no secret literally.
var (
	pemHeader = "-----BEGIN " + "RSA PRIVATE KEY-----"
	pemFooter = "-----END " + "RSA PRIVATE KEY-----"
	bodyOld   = []string{
		"MIIEowIBAAKCAQEAwJ5pa6mB9kV7ZV0rtTzH8qVhoaGrbRKkO1uVRPnNJaJKYJxm",
		"5T4n8nDxJ3QmhT0yGEjL1mZMPhrB0RrJ2AmqCD6X9OkxqVvH2GxhQyLqJfPlNkRa",
		"Kp2GRzHxOMfQ0XKp9yP9UeQSmKmC2IBl1R3pVGnqF0FjjF7lCk8wZkHgqLSZrG4c",
	}
	bodyNew = []string{
		"MIIEpAIBAAKCAQEAzQ2HhN5nqXhL3JvYdrN2hKx9KXxrRa1FmCwF1Zs7YtL6wqG0",
		"HBpYtYt7c8oZ9nL0qE3vK1wMdRfT5sUuJ2rXcZg6p8yAaN4Wb0iQhDe7kGjFmVsO",
		"R2dCv6tWq9yJ0hL3nP5bM8xK1zF4gS7eA2uT6iY9oQ3wE0rD5cV8bN1mX4jZ7kH=",
	}
	ghToken = "ghp_" + "R7cVx2LmQ9pTz4KwB8nYj3HdF6sGa1Ue5oXi"
)

func pem(body ...string) string {
	return pemHeader + "\n" + strings.Join(body, "\n") + "\n" + pemFooter + "\n"
}

// TestWithDetector runs the default rules over the runs, as a history
// source would, and checks what a commit is blamed for.
func TestWithDetector(t *testing.T) {
	set, err := rules.Loader{}.Parse([]byte(config.Default()), "default.toml")
	if err != nil {
		t.Fatal(err)
	}
	det := detect.New(set, regex.Std{})
	tests := []struct {
		name         string
		older, newer string
		want         []string // rule ids, in order
	}{
		{"key rotated, header and footer unchanged", "a: 1\n" + pem(bodyOld...) + "b: 2\n", "a: 1\n" + pem(bodyNew...) + "b: 2\n", []string{"private-key"}},
		{"key edited in place", pem(bodyOld...), pem(bodyOld[0], bodyNew[1], bodyOld[2]), []string{"private-key"}},
		{"key edited in two places is reported once", pem(bodyOld...), pem(bodyNew[0], bodyOld[1], bodyNew[2]), []string{"private-key"}},
		{"line added after an old key", pem(bodyOld...), pem(bodyOld...) + "note: rotated soon\n", nil},
		{"old token next to an edit", "TOKEN=" + ghToken + "\nHOST=a.example\n", "TOKEN=" + ghToken + "\nHOST=b.example\n", nil},
		{"old token between edits", "A=1\nTOKEN=" + ghToken + "\nB=1\n", "A=2\nTOKEN=" + ghToken + "\nB=2\n", nil},
		{"token added", "HOST=a.example\n", "HOST=a.example\nGH=" + ghToken + "\n", []string{"github-pat"}},
		{"token moved", "TOKEN=" + ghToken + "\nHOST=a.example\n", "HOST=a.example\nTOKEN=" + ghToken + "\n", nil},
	}
	var d linediff.Differ
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			newer := []byte(tc.newer)
			var ids []string
			for _, r := range d.Added(newer, [][]byte{[]byte(tc.older)}, 3) {
				fs, err := det.Detect(&detect.Fragment{
					Content: newer[r.Start:r.End], StartLine: r.Line,
					OwnedStart: r.OwnedStart, OwnedEnd: r.OwnedEnd,
				})
				if err != nil {
					t.Fatal(err)
				}
				for _, f := range fs {
					ids = append(ids, f.RuleID)
				}
			}
			if strings.Join(ids, ",") != strings.Join(tc.want, ",") {
				t.Errorf("findings %q, want %q", ids, tc.want)
			}
		})
	}
}
