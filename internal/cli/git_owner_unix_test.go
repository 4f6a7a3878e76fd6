//go:build unix

package cli

import (
	"os"
	"path/filepath"
	"strings"
	"syscall"
	"testing"
)

// TestGitOtherOwner scans a repository another user owns, as CI jobs
// scan checkouts made by another uid: git refuses such a repository
// ("dubious ownership") unless told it is safe, so that its configuration
// cannot run commands as the caller; leakhound's git runs none, so it
// trusts the folder it was given, and only that folder.
func TestGitOtherOwner(t *testing.T) {
	if os.Geteuid() != 0 {
		t.Skip("needs root to give the repository to another user")
	}
	o := newOrigin(t)
	if err := os.MkdirAll(filepath.Join(o.dir, "sub"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := filepath.Walk(o.dir, func(p string, _ os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		return os.Lchown(p, 12345, 12345)
	}); err != nil {
		t.Fatal(err)
	}
	// Control: git itself refuses it, so the test is not vacuous.
	out, err := gitCmd(o.dir, "rev-parse", "--git-dir").CombinedOutput()
	if err == nil || !strings.Contains(string(out), "dubious ownership") {
		t.Skipf("this git does not check ownership (%v): %s", err, out)
	}
	for _, m := range scanModes {
		t.Run(m.name, func(t *testing.T) {
			r := scanGit(t, o.dir, m.args...)
			if r.code != ExitFindings {
				t.Fatalf("exit %d\n%s", r.code, r)
			}
			wantFindings(t, r, o.all()...)
		})
	}
	t.Run("through a symbolic link", func(t *testing.T) {
		link := filepath.Join(t.TempDir(), "link")
		if err := os.Symlink(o.dir, link); err != nil {
			t.Fatal(err)
		}
		if r := scanGit(t, link); r.code != ExitFindings {
			t.Fatalf("exit %d\n%s", r.code, r)
		}
	})
	t.Run("a folder inside it is refused", func(t *testing.T) {
		// Trusting whatever repository git finds above the folder named
		// is what the check guards against (a /tmp/.git someone planted).
		sub := filepath.Join(o.dir, "sub")
		r := scanGit(t, sub)
		if r.code != ExitError {
			t.Fatalf("exit %d, want %d\n%s", r.code, ExitError, r)
		}
		for _, want := range []string{sub, "another user owns", "top-level folder"} {
			if !strings.Contains(r.stderr, want) {
				t.Errorf("stderr does not say %q:\n%s", want, r.stderr)
			}
		}
	})
	// Nothing was written into the repository as root.
	if err := filepath.Walk(o.dir, func(p string, info os.FileInfo, err error) error {
		if err != nil {
			return err
		}
		if st, ok := info.Sys().(*syscall.Stat_t); ok && st.Uid != 12345 {
			t.Errorf("%s is not the owner's any more", p)
		}
		return nil
	}); err != nil {
		t.Fatal(err)
	}
}
