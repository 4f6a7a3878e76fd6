package testkit

import (
	"os"
	"path/filepath"
	"testing"
)

// HostileRepo returns a repository with two commits whose config, hooks
// and attributes each name a script that leaves a file in markers, and
// sets the GIT_* variables a user might have to the same effect.
func HostileRepo(t *testing.T) (r *Repo, markers string) {
	r = NewRepo(t)
	r.Write(".gitattributes", "* diff=evil filter=evil\n")
	r.Write("f", "one\n")
	r.Commit("one")
	r.Write("f", "one\ntwo\n")
	r.Commit("two")

	markers = t.TempDir()
	evil := filepath.Join(t.TempDir(), "evil.sh")
	script := "#!/bin/sh\ntouch '" + markers + "/'\"$(basename \"$0\")-$$\"\ncat >/dev/null 2>&1 </dev/null\nexit 0\n"
	if err := os.WriteFile(evil, []byte(script), 0o755); err != nil {
		t.Fatal(err)
	}
	gitDir := filepath.Join(r.Dir, ".git")
	hookDirs := []string{filepath.Join(gitDir, "hooks"), filepath.Join(r.Dir, "myhooks")}
	hooks := []string{"pre-commit", "post-checkout", "post-merge", "post-rewrite", "reference-transaction",
		"post-index-change", "pre-auto-gc", "fsmonitor-watchman", "post-commit", "pre-push"}
	for _, d := range hookDirs {
		if err := os.MkdirAll(d, 0o755); err != nil {
			t.Fatal(err)
		}
		for _, h := range hooks {
			if err := os.WriteFile(filepath.Join(d, h), []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := os.WriteFile(filepath.Join(gitDir, "info", "attributes"), []byte("* diff=evil\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, kv := range [][2]string{
		{"core.fsmonitor", evil},
		{"core.hooksPath", hookDirs[1]},
		{"core.sshCommand", evil},
		{"core.pager", evil},
		{"core.editor", evil},
		{"core.askPass", evil},
		{"core.alternateRefsCommand", evil},
		{"diff.external", evil},
		{"diff.evil.textconv", evil},
		{"diff.evil.command", evil},
		{"filter.evil.clean", evil},
		{"filter.evil.smudge", evil},
		{"filter.evil.process", evil},
		{"pager.diff-tree", evil},
		{"pager.rev-list", evil},
		{"pager.cat-file", evil},
		{"uploadpack.packObjectsHook", evil},
		{"protocol.ext.allow", "always"},
		{"protocol.allow", "always"},
		{"remote.origin.url", "ext::" + evil + " x"},
		{"remote.origin.fetch", "+refs/heads/*:refs/remotes/origin/*"},
		{"i18n.logOutputEncoding", "UTF-16"},
		{"gc.auto", "1"},
		{"maintenance.auto", "true"},
	} {
		r.Git("config", kv[0], kv[1])
	}
	for _, kv := range [][2]string{
		{"GIT_EXTERNAL_DIFF", evil},
		{"GIT_SSH_COMMAND", evil},
		{"GIT_PAGER", evil},
		{"GIT_CONFIG_COUNT", "1"},
		{"GIT_CONFIG_KEY_0", "core.fsmonitor"},
		{"GIT_CONFIG_VALUE_0", evil},
		{"GIT_CONFIG_PARAMETERS", "'diff.external'='" + evil + "'"},
	} {
		t.Setenv(kv[0], kv[1])
	}
	return r, markers
}

// AssertNoMarkers fails the test for each file a script of HostileRepo
// left in markers.
func AssertNoMarkers(t *testing.T, markers string) {
	t.Helper()
	ents, err := os.ReadDir(markers)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		t.Errorf("the repository made git run a command: %s", e.Name())
	}
}
