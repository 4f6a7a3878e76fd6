package cli

import (
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"github.com/leakhound/leakhound/internal/history"
	"github.com/leakhound/leakhound/internal/testkit"
)

// stateRepo is a repository for --state tests and a way to run git in it.
type stateRepo struct {
	t      *testing.T
	dir    string
	commit func(path, content, msg, date string)
}

func newStateRepo(t *testing.T) *stateRepo {
	dir, commit := gitRepo(t)
	r := &stateRepo{t: t, dir: dir, commit: commit}
	commit("app/config.env", "NAME=shop\nTOKEN="+testkit.TokA+"\n", "add token", "2024-01-02T10:00:00Z")
	commit("app/other.env", "B="+testkit.TokB+"\n", "add b", "2024-01-03T10:00:00Z")
	commit("app/config.env", "NAME=shop\n", "remove token", "2024-01-04T10:00:00Z")
	r.git("branch", "side", "HEAD~1")
	return r
}

func (r *stateRepo) git(args ...string) {
	r.t.Helper()
	cmd := exec.Command("git", args...)
	cmd.Dir = r.dir
	cmd.Env = append(os.Environ(), "GIT_AUTHOR_NAME=Bo", "GIT_AUTHOR_EMAIL=bo@example.invalid", "GIT_COMMITTER_NAME=Bo",
		"GIT_COMMITTER_EMAIL=bo@example.invalid", "GIT_AUTHOR_DATE=2024-03-01T10:00:00Z", "GIT_COMMITTER_DATE=2024-03-01T10:00:00Z")
	if out, err := cmd.CombinedOutput(); err != nil {
		r.t.Fatalf("git %v: %v\n%s", args, err, out)
	}
}

// same runs cmd with and without --state (and with 1 and 2 threads)
// and checks that the reports are the same bytes; it returns the stderr
// of the run with --state, at debug level.
func (r *stateRepo) same(cmd, state, cfg string, extra ...string) string {
	r.t.Helper()
	args := append([]string{cmd, r.dir, "--config", cfg, "--report-format", "json", "--no-progress"}, extra...)
	with := runCLI(r.t, "", append(args, "--state", state, "--log-level", "debug", "--threads", "2")...)
	for _, threads := range []string{"1", "2"} {
		full := runCLI(r.t, "", append(args, "--threads", threads)...)
		if full.stdout != with.stdout || full.code != with.code {
			r.t.Fatalf("with --state:\n%s\nwithout (%s threads):\n%s", with, threads, full)
		}
	}
	if with.stdout == "" || with.stdout == "[]\n" {
		r.t.Fatalf("nothing reported:\n%s", with)
	}
	return with.stderr
}

func TestStateIncrementalIsAFullScan(t *testing.T) {
	r := newStateRepo(t)
	cfg := writeConfig(t, tokRuleNamed("test-token"))
	state := filepath.Join(t.TempDir(), "leakhound.state")
	if log := r.same("git", state, cfg); !strings.Contains(log, "whole history scanned (no state yet)") {
		t.Errorf("first run:\n%s", log)
	}
	if info, err := os.Stat(state); err != nil || info.Mode().Perm() != 0o600 {
		t.Fatalf("state file: %v %v", info, err)
	}
	if log := r.same("git", state, cfg); !strings.Contains(log, "refs unchanged, nothing to scan") || !strings.Contains(log, "0 blobs") {
		t.Errorf("unchanged run:\n%s", log)
	}
	// New commits on two branches.
	r.commit("app/new.env", "K="+tokStateC+"\n", "main adds c", "2024-02-01T10:00:00Z")
	r.git("checkout", "-q", "side")
	r.commit("side/s.env", "S="+tokStateD+"\n", "side adds d", "2024-02-02T10:00:00Z")
	r.git("checkout", "-q", "main")
	if log := r.same("git", state, cfg); !strings.Contains(log, "2 new commit(s) scanned") {
		t.Errorf("after two commits:\n%s", log)
	}
	// A force-push drops side's commit and its secret; a ref goes; a tag
	// comes.
	r.git("branch", "-f", "side", "main~1")
	if log := r.same("git", state, cfg); !strings.Contains(log, "0 new commit(s) scanned") {
		t.Errorf("after a force-push:\n%s", log)
	}
	if data, _ := os.ReadFile(state); strings.Contains(string(data), tokStateD) {
		t.Error("the state keeps a secret no ref reaches any more")
	}
	r.git("branch", "-D", "side")
	r.same("git", state, cfg)
	r.git("tag", "-a", "-m", "v1", "v1", "HEAD~2")
	r.same("git", state, cfg)
	// The filters apply again to what the state holds: a baseline of
	// everything leaves nothing, with nothing scanned.
	base := filepath.Join(t.TempDir(), "base.json")
	runCLI(t, "", "git", r.dir, "--config", cfg, "--report-format", "json", "--report-path", base)
	got := runCLI(t, "", "git", r.dir, "--config", cfg, "--state", state, "--baseline-path", base, "--log-level", "debug")
	if got.code != ExitClean || !strings.Contains(got.stderr, "refs unchanged") {
		t.Errorf("with a baseline:\n%s", got)
	}
}

// More fake tokens the test rule finds.
const (
	tokStateC = "tok_" + "c5c5c5c5c5c5"
	tokStateD = "tok_" + "d6d6d6d6d6d6"
)

func TestStateFileProblems(t *testing.T) {
	fixAuditNow(t)
	r := newStateRepo(t)
	cfg := writeConfig(t, tokRuleNamed("test-token"))
	state := filepath.Join(t.TempDir(), "leakhound.state")
	r.same("git", state, cfg)
	// Damaged (a broken CI cache): a warning naming the file, a full
	// scan, and the file written anew.
	data, _ := os.ReadFile(state)
	if err := os.WriteFile(state, data[:len(data)/2], 0o600); err != nil {
		t.Fatal(err)
	}
	log := r.same("git", state, cfg)
	if !strings.Contains(log, "state file is not usable") || !strings.Contains(log, state) || !strings.Contains(log, "whole history scanned") {
		t.Errorf("damaged state:\n%s", log)
	}
	if data, _ := os.ReadFile(state); len(data) == 0 {
		t.Error("state not written anew")
	} else if _, err := history.DecodeState(data); err != nil {
		t.Errorf("state written anew: %v", err)
	}
	// Another rule set: a full scan.
	other := writeConfig(t, tokRuleNamed("other-token"))
	log = r.same("git", state, other)
	if !strings.Contains(log, "other rules") {
		t.Errorf("another rule set:\n%s", log)
	}
	// An audit's state is not a scan's.
	if log := r.same("audit", state, other); !strings.Contains(log, "or command") {
		t.Errorf("audit with a scan's state:\n%s", log)
	}
	// --state goes with a scan of every ref only.
	got := runCLI(t, "", "git", r.dir, "--config", cfg, "--state", state, "--range", "HEAD~1..HEAD")
	if got.code != ExitError || !strings.Contains(got.stderr, "--range") {
		t.Errorf("--state --range:\n%s", got)
	}
}

// fixAuditNow fixes the audit's generated_at, so that reports compare
// byte for byte.
func TestAuditState(t *testing.T) {
	fixAuditNow(t)
	r := newStateRepo(t)
	cfg := writeConfig(t, tokRuleNamed("test-token"))
	state := filepath.Join(t.TempDir(), "audit.state")
	r.same("audit", state, cfg)
	if log := r.same("audit", state, cfg); !strings.Contains(log, "refs unchanged") {
		t.Errorf("unchanged audit:\n%s", log)
	}
	// The default branch removes a secret and adds one; a branch comes.
	r.commit("app/other.env", "B=none\n", "remove b", "2024-02-01T10:00:00Z")
	r.commit("app/new.env", "K="+tokStateC+"\n", "add c", "2024-02-02T10:00:00Z")
	r.git("branch", "later", "HEAD~1")
	if log := r.same("audit", state, cfg); !strings.Contains(log, "2 new commit(s) scanned") {
		t.Errorf("audit after two commits:\n%s", log)
	}
}

// TestStateRecordsWhatTheFiltersKept: a state records what the filter
// chain kept, and an unchanged re-run answers from that record only while
// every input of the chain is the same. An ignore file, a baseline,
// --min-confidence and a global allowlist (which changes no rule, so the
// state's key stays) each give the full scan's report, and the record is
// made anew for the next run.
func TestStateRecordsWhatTheFiltersKept(t *testing.T) {
	r := newStateRepo(t)
	cfg := writeConfig(t, tokRuleNamed("test-token"))
	allowA := writeConfig(t, tokRuleNamed("test-token")+"\n[[allowlists]]\ndescription = \"a is fake\"\nregexes = ['''"+testkit.TokA+"''']\n")
	state := filepath.Join(t.TempDir(), "leakhound.state")
	check := func(what string, wantAnswered bool, args ...string) result {
		t.Helper()
		args = append([]string{"git", r.dir, "--report-format", "json", "--no-progress"}, args...)
		got := runCLI(t, "", append(args, "--state", state)...)
		for _, threads := range []string{"1", "2"} {
			if full := runCLI(t, "", append(args, "--threads", threads)...); full.stdout != got.stdout || full.code != got.code {
				t.Fatalf("%s: with --state:\n%s\nwithout (%s threads):\n%s", what, got, threads, full)
			}
		}
		if answered := strings.Contains(got.stderr, "what the filters kept answered from the state"); answered != wantAnswered {
			t.Errorf("%s: answered from the record %v, want %v:\n%s", what, answered, wantAnswered, got.stderr)
		}
		return got
	}
	first := check("first run", false, "--config", cfg)
	check("unchanged", true, "--config", cfg)

	fp := regexp.MustCompile(`"fingerprint": "([^"]+)"`).FindStringSubmatch(first.stdout)
	if fp == nil {
		t.Fatalf("no fingerprint in:\n%s", first.stdout)
	}
	ignore := filepath.Join(t.TempDir(), "ignore")
	if err := os.WriteFile(ignore, []byte(fp[1]+"\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	check("an ignore file", false, "--config", cfg, "--ignore-path", ignore)
	check("the same ignore file", true, "--config", cfg, "--ignore-path", ignore)
	if err := os.WriteFile(ignore, []byte("\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	check("the ignore file emptied", false, "--config", cfg, "--ignore-path", ignore)

	base := filepath.Join(t.TempDir(), "base.json")
	runCLI(t, "", "git", r.dir, "--config", cfg, "--report-format", "json", "--report-path", base)
	check("a baseline", false, "--config", cfg, "--baseline-path", base)
	check("the same baseline", true, "--config", cfg, "--baseline-path", base)

	check("--min-confidence high", false, "--config", cfg, "--min-confidence", "high")
	if got := check("a global allowlist", false, "--config", allowA); strings.Contains(got.stdout, testkit.TokA) {
		t.Errorf("the allowlisted token is reported:\n%s", got.stdout)
	}
	check("the same allowlist", true, "--config", allowA)
	check("back to the first config", false, "--config", cfg)
	// The audit records and answers alike, its facts asked again.
	fixAuditNow(t)
	astate := filepath.Join(t.TempDir(), "audit.state")
	var recorded []byte
	for _, want := range []bool{false, true} {
		args := []string{"audit", r.dir, "--config", cfg, "--report-format", "json", "--no-progress"}
		got, full := runCLI(t, "", append(args, "--state", astate)...), runCLI(t, "", args...)
		if got.stdout != full.stdout || got.code != full.code {
			t.Fatalf("audit with --state:\n%s\nwithout:\n%s", got, full)
		}
		if answered := strings.Contains(got.stderr, "what the filters kept answered from the state"); answered != want {
			t.Errorf("audit: answered from the record %v, want %v:\n%s", answered, want, got.stderr)
		}
		// The answered run had nothing new to record: the file stays.
		data, err := os.ReadFile(astate)
		if err != nil {
			t.Fatal(err)
		}
		if want && string(data) != string(recorded) {
			t.Error("an answered audit rewrote its state")
		}
		recorded = data
	}
	// Debug logging explains every drop, which a record cannot.
	got := runCLI(t, "", "git", r.dir, "--config", cfg, "--report-format", "json", "--no-progress", "--state", state, "--log-level", "debug")
	if !strings.Contains(got.stderr, "refs unchanged, nothing to scan") {
		t.Errorf("debug run:\n%s", got.stderr)
	}
}
