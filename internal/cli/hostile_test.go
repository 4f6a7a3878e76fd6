package cli

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/leakhound/leakhound/internal/testkit"
)

// scanJSON runs leakhound with args plus a JSON report on stdout and
// returns the exit code and the secrets reported.
func scanJSON(t *testing.T, args ...string) (result, []string) {
	t.Helper()
	r := runCLI(t, "", append(args, "--report-format", "json")...)
	var fs []struct{ Secret string }
	if r.code != ExitError || strings.HasPrefix(strings.TrimSpace(r.stdout), "[") {
		if err := json.Unmarshal([]byte(r.stdout), &fs); err != nil {
			t.Fatalf("report: %v\n%s", err, r)
		}
	}
	var secrets []string
	for _, f := range fs {
		secrets = append(secrets, f.Secret)
	}
	return r, secrets
}

// TestHostileGigabyteLine: a 1 GiB file without a newline is streamed in
// bounded memory and a secret at its very end is found.
func TestHostileGigabyteLine(t *testing.T) {
	dir := t.TempDir()
	p := filepath.Join(dir, "one-line.txt")
	fh, err := os.Create(p)
	if err != nil {
		t.Fatal(err)
	}
	block := bytes.Repeat([]byte("x"), 1<<20)
	for range 1024 {
		if _, err := fh.Write(block); err != nil {
			t.Skipf("cannot write 1 GiB to the temporary folder: %v", err)
		}
	}
	if _, err := fh.WriteString(" " + testkit.TokA); err != nil {
		t.Fatal(err)
	}
	if err := fh.Close(); err != nil {
		t.Fatal(err)
	}
	r, secrets := scanJSON(t, "dir", dir, "--config", writeConfig(t, tokRule), "--no-redact")
	if r.code != ExitFindings || len(secrets) != 1 || secrets[0] != testkit.TokA {
		t.Fatalf("exit %d, secrets %v: want the token at the end of the line\n%s", r.code, secrets, r.stderr)
	}
}

// TestHostileManyFilesAndDeepTrees: 100,000 tiny files, and a tree nested
// 1,000 folders deep, are scanned whole.
func TestHostileManyFilesAndDeepTrees(t *testing.T) {
	dir := t.TempDir()
	for d := range 100 {
		sub := filepath.Join(dir, fmt.Sprintf("d%03d", d))
		if err := os.Mkdir(sub, 0o755); err != nil {
			t.Fatal(err)
		}
		for f := range 1000 {
			if err := os.WriteFile(filepath.Join(sub, fmt.Sprintf("f%04d.txt", f)), []byte("ok\n"), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
	deep := dir
	for range 1000 {
		deep = filepath.Join(deep, "n")
	}
	if err := os.MkdirAll(deep, 0o755); err != nil {
		t.Skipf("cannot nest 1,000 folders here: %v", err)
	}
	if err := os.WriteFile(filepath.Join(deep, "bottom.env"), []byte("TOKEN="+testkit.TokB+"\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r, secrets := scanJSON(t, "dir", dir, "--config", writeConfig(t, tokRule), "--no-redact")
	if r.code != ExitFindings || len(secrets) != 1 || secrets[0] != testkit.TokB {
		t.Fatalf("exit %d, secrets %v\n%s", r.code, secrets, r.stderr)
	}
	if !strings.Contains(r.stderr, "100001 files") {
		t.Errorf("summary does not count 100,001 files:\n%s", r.stderr)
	}
}

// TestHostileDeviceFile: a character device in the tree is skipped, never
// read (reading /dev/zero's like would never end). Making one needs root.
func TestHostileDeviceFile(t *testing.T) {
	dir := t.TempDir()
	dev := filepath.Join(dir, "zero")
	if err := syscall.Mknod(dev, syscall.S_IFCHR|0o666, int(1<<8|5)); err != nil { // major 1, minor 5: /dev/zero
		t.Skipf("cannot make a device file (needs root): %v", err)
	}
	testkit.WriteTree(t, dir, map[string]string{"a.env": "TOKEN=" + testkit.TokA + "\n"})
	r, secrets := scanJSON(t, "dir", dir, "--config", writeConfig(t, tokRule))
	if r.code != ExitFindings || len(secrets) != 1 {
		t.Fatalf("exit %d, %d secrets\n%s", r.code, len(secrets), r.stderr)
	}
}

// TestHostileCatastrophicRegex: a user's rule with a pattern that takes a
// backtracking engine exponential time runs in linear time under RE2.
func TestHostileCatastrophicRegex(t *testing.T) {
	cfg := writeConfig(t, `
[[rules]]
id = "evil"
description = "nested quantifiers"
regex = '''(a+)+$|(x+x+)+y'''
keywords = ["aaaa", "xxxx"]
`)
	dir := t.TempDir()
	testkit.WriteTree(t, dir, map[string]string{"evil.txt": strings.Repeat("a", 200_000) + "!\n" + strings.Repeat("x", 200_000) + "\n"})
	done := make(chan result, 1)
	go func() { done <- runCLI(t, "", "dir", dir, "--config", cfg) }()
	select {
	case r := <-done:
		if r.code != ExitFindings && r.code != ExitClean {
			t.Fatalf("exit %d\n%s", r.code, r)
		}
	case <-time.After(5 * time.Minute): // a hang, not a timing: RE2 takes milliseconds
		t.Fatal("a catastrophic pattern did not finish")
	}
}

// TestHostileHundredThousandRefs: a repository with 100,000 refs is
// scanned (every ref) and audited, each secret reported once.
func TestHostileHundredThousandRefs(t *testing.T) {
	o := newOrigin(t)
	var packed strings.Builder
	packed.WriteString("# pack-refs with: peeled fully-peeled sorted \n")
	for i := range 100_000 {
		fmt.Fprintf(&packed, "%s refs/heads/b%06d\n", o.c3, i)
	}
	if err := os.WriteFile(filepath.Join(o.dir, ".git", "packed-refs"), []byte(packed.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	if n := strings.Count(o.git("for-each-ref"), "\n") + 1; n < 100_000 {
		t.Fatalf("%d refs", n)
	}
	r := scanGit(t, o.dir)
	if r.code != ExitFindings {
		t.Fatalf("exit %d\n%s", r.code, r)
	}
	wantFindings(t, r, o.all()...)
	a := runCLI(t, "", "audit", o.dir, "--config", writeConfig(t, tokRule), "--report-format", "json")
	var doc auditDoc
	if err := json.Unmarshal([]byte(a.stdout), &doc); err != nil || len(doc.Secrets) != 2 || len(doc.Secrets[0].Refs) < 100_000 {
		t.Fatalf("audit: %v, %d secrets\n%s", err, len(doc.Secrets), a.stderr)
	}
}

// TestFaultReportToFullDisk: a report that cannot be written whole is an
// error naming the path, not a truncated file and an exit code 0.
func TestFaultReportToFullDisk(t *testing.T) {
	if _, err := os.Stat("/dev/full"); err != nil {
		t.Skip("no /dev/full")
	}
	dir := t.TempDir()
	testkit.WriteTree(t, dir, map[string]string{"a.env": "TOKEN=" + testkit.TokA + "\n"})
	r := runCLI(t, "", "dir", dir, "--config", writeConfig(t, tokRule), "--report-path", "/dev/full", "--report-format", "json")
	if r.code != ExitError || !strings.Contains(r.stderr, "/dev/full") || !strings.Contains(r.stderr, "no space left") {
		t.Errorf("exit %d, want %d with the path and the cause:\n%s", r.code, ExitError, r.stderr)
	}
	r = runCLI(t, "", "dir", dir, "--config", writeConfig(t, tokRule), "--report-path", filepath.Join(dir, "missing", "r.json"))
	if r.code != ExitError || !strings.Contains(r.stderr, "missing") {
		t.Errorf("unwritable report path: exit %d\n%s", r.code, r.stderr)
	}
}

// TestFaultSignal: SIGINT or SIGTERM during a scan writes what was found so
// far, marked incomplete, and exits 2; the report file is whole.
func TestFaultSignal(t *testing.T) {
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	// A secret first, then enough to keep the scan busy for a while.
	var big strings.Builder
	big.WriteString("TOKEN=" + testkit.TokA + "\n")
	line := strings.Repeat("tok_ is a keyword on every line ", 30) + "\n"
	for big.Len() < 256<<20 {
		big.WriteString(line)
	}
	if err := os.WriteFile(filepath.Join(dir, "a.env"), []byte(big.String()), 0o644); err != nil {
		t.Fatal(err)
	}
	cfg := writeConfig(t, tokRule)
	for _, sig := range []syscall.Signal{syscall.SIGINT, syscall.SIGTERM} {
		t.Run(sig.String(), func(t *testing.T) {
			out := filepath.Join(t.TempDir(), "report.txt")
			cmd := exec.Command(exe, "dir", dir, "--config", cfg, "--report-path", out, "--no-redact", "--threads", "1")
			cmd.Env = append(os.Environ(), asMainEnv+"=1")
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			if err := cmd.Start(); err != nil {
				t.Fatal(err)
			}
			time.Sleep(300 * time.Millisecond)
			if err := cmd.Process.Signal(sig); err != nil {
				t.Fatal(err)
			}
			err := cmd.Wait()
			code := -1
			if ee, ok := err.(*exec.ExitError); ok {
				code = ee.ExitCode()
			} else if err == nil {
				code = 0
			}
			report, rerr := os.ReadFile(out)
			if code == ExitFindings {
				t.Skip("the scan finished before the signal: this machine is fast")
			}
			if code != ExitError || rerr != nil {
				t.Fatalf("exit %d (%v), report %v\n%s", code, err, rerr, stderr.String())
			}
			if !strings.Contains(string(report), "INCOMPLETE: interrupted") || !strings.Contains(string(report), testkit.TokA) {
				t.Errorf("report does not hold the finding made before the signal, marked incomplete:\n%s", report)
			}
			if !strings.Contains(stderr.String(), "interrupted") {
				t.Errorf("stderr does not say the scan was interrupted:\n%s", stderr.String())
			}
		})
	}
}

// TestDebugLogHoldsNoSecret: with every dropped candidate explained, the
// log still never holds a secret (runCLI checks testkit's tokens; this
// checks every secret of the accuracy corpus).
func TestDebugLogHoldsNoSecret(t *testing.T) {
	corpus := filepath.Join(corpusDir, "corpus")
	r := runCLI(t, "", "dir", corpus, "--report-format", "json", "--no-redact", "--log-level", "debug")
	var fs []struct{ Secret string }
	if err := json.Unmarshal([]byte(r.stdout), &fs); err != nil || len(fs) < 100 {
		t.Fatalf("report: %v, %d findings", err, len(fs))
	}
	if !strings.Contains(r.stderr, "dropped candidate") {
		t.Fatalf("debug log explains no drop:\n%.2000s", r.stderr)
	}
	for _, f := range fs {
		if len(f.Secret) >= 8 && strings.Contains(r.stderr, f.Secret) {
			t.Errorf("debug log holds a secret reported by %d findings' scan (first chars %.4s)", len(fs), f.Secret)
		}
	}
}

// TestFaultReportNeverHalfWritten: a report whose writing fails midway
// leaves the previous report as it was and no temporary file behind; one
// that succeeds replaces it whole, owner-only.
func TestFaultReportNeverHalfWritten(t *testing.T) {
	dir := t.TempDir()
	path := filepath.Join(dir, "report.json")
	if err := os.WriteFile(path, []byte("previous report\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	err := writeReport(path, io.Discard, func(w io.Writer) error {
		io.WriteString(w, `[{"rule_id": "half`)
		return errors.New("disk full")
	})
	if err == nil || !strings.Contains(err.Error(), path) {
		t.Errorf("error %v, want one naming the path", err)
	}
	if data, _ := os.ReadFile(path); string(data) != "previous report\n" {
		t.Errorf("a failed write changed the report to %q", data)
	}
	if entries, _ := os.ReadDir(dir); len(entries) != 1 {
		t.Errorf("temporary files left behind: %v", entries)
	}
	if err := writeReport(path, io.Discard, func(w io.Writer) error { _, err := io.WriteString(w, "[]\n"); return err }); err != nil {
		t.Fatal(err)
	}
	info, _ := os.Stat(path)
	if data, _ := os.ReadFile(path); string(data) != "[]\n" || info.Mode().Perm() != 0o600 {
		t.Errorf("report %q mode %v, want the new content, owner-only", data, info.Mode().Perm())
	}
}
