// Package testkit holds fixtures shared by leakhound's tests: a one-rule
// test rule set and fake tokens built at run time. Only tests import it.
// It also writes the trees of files that tests scan, and builds the git
// repositories that the git sources' tests read (Repo, HostileRepo).
//
// It imports nothing of leakhound's but rules, so that the tests of every
// package above rules (detect, filter, source, cli) can use it.
package testkit

import (
	"hash/crc32"
	"os"
	"path/filepath"
	"testing"

	"github.com/leakhound/leakhound/rules"
)

// TokRule is the TOML of one rule, id "tok", that finds TokA and TokB: "tok_"
// and twelve lower-case letters or digits between word boundaries, so a
// match is 16 bytes long and needs one byte of context either side. The
// text ends inside the rule's table, so a test may append keys to it
// (entropy, severity, examples).
const TokRule = `
[[rules]]
id = "tok"
description = "test token"
regex = '''\b(tok_[a-z0-9]{12})\b'''
keywords = ["tok_"]
`

// TokA and TokB are two different tokens that TokRule finds. They are
// built at run time so that no file, which leakhound's self-scan reads,
// holds one literally.
var (
	TokA = "tok_" + "a1b2c3d4e5f6"
	TokB = "tok_" + "z9y8x7w6v5u4"
)

// Set parses toml into a rule set, failing the test on any problem.
func Set(t testing.TB, toml string) *rules.Set {
	t.Helper()
	set, err := rules.Loader{}.Parse([]byte(toml), "test.toml")
	if err != nil {
		t.Fatal(err)
	}
	return set
}

// WriteTree creates files (path → content, '/'-separated) under root,
// with the folders they need, failing the test on any problem.
func WriteTree(t testing.TB, root string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(root, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// GitHubToken returns a well-formed classic GitHub token (or npm token,
// with prefix "npm_") around a made-up 30-character body: the body, then
// its CRC-32 as 6 base62 digits, as the vendor's checksum requires.
func GitHubToken(prefix, body string) string {
	const base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
	n := crc32.ChecksumIEEE([]byte(body))
	sum := make([]byte, 6)
	for i := 5; i >= 0; i-- {
		sum[i] = base62[n%62]
		n /= 62
	}
	return prefix + body + string(sum)
}

// BenchRepo returns the repository a benchmark over real history reads,
// named by LEAKHOUND_BENCH_REPO (a git directory, such as a bare clone),
// and skips the benchmark when it is not set.
func BenchRepo(b testing.TB) string {
	b.Helper()
	repo := os.Getenv("LEAKHOUND_BENCH_REPO")
	if repo == "" {
		b.Skip("set LEAKHOUND_BENCH_REPO to a git directory")
	}
	return repo
}
