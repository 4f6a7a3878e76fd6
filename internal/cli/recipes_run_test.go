package cli

import (
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"go.yaml.in/yaml/v3"
)

// recipeBin makes a folder for PATH holding `leakhound` (this test
// binary, acting as leakhound) and a `go` that does nothing (the
// recipes' `go install` of leakhound); it returns the folder.
func recipeBin(t *testing.T) string {
	t.Helper()
	self, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	bin := t.TempDir()
	for name, script := range map[string]string{
		"leakhound": "#!/bin/sh\n" + asMainEnv + "=1 exec '" + self + "' \"$@\"\n",
		"go":        "#!/bin/sh\nexit 0\n",
	} {
		if err := os.WriteFile(filepath.Join(bin, name), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return bin
}

// runScript runs a recipe's bash script in dir with env added to this
// process's, as the engine would (GitHub runs bash -eo pipefail), and
// returns its exit code and output.
func runScript(t *testing.T, script, dir string, env ...string) (int, string) {
	t.Helper()
	cmd := exec.Command("bash", "--noprofile", "--norc", "-eo", "pipefail", "-c", script)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), env...)
	out, err := cmd.CombinedOutput()
	if ee, ok := err.(*exec.ExitError); ok {
		return ee.ExitCode(), string(out)
	}
	if err != nil {
		t.Fatal(err)
	}
	return 0, string(out)
}

// urlList writes repos.txt of file:// URLs of the repositories, plus
// extra lines, into dir.
func urlList(t *testing.T, dir string, repos []string, extra ...string) {
	t.Helper()
	var b strings.Builder
	for _, r := range repos {
		b.WriteString("file://" + r + "\n")
	}
	b.WriteString(strings.Join(extra, "\n") + "\n")
	if err := os.WriteFile(filepath.Join(dir, "repos.txt"), []byte(b.String()), 0o644); err != nil {
		t.Fatal(err)
	}
}

// checkOrgWorklist reads a merged JSON worklist: one input per
// repository, each named after its clone's folder, and the two shared
// keys each one entry in two repositories.
func checkOrgWorklist(t *testing.T, path string, repos int) {
	t.Helper()
	raw, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("no merged worklist: %v", err)
	}
	var doc struct {
		Inputs []struct {
			State, Repository string
		}
		Secrets []struct {
			Count int `json:"repository_count"`
		}
	}
	if err := json.Unmarshal(raw, &doc); err != nil {
		t.Fatal(err)
	}
	if len(doc.Inputs) != repos {
		t.Errorf("%d inputs merged, want %d", len(doc.Inputs), repos)
	}
	for _, in := range doc.Inputs {
		if in.State != "merged" || !strings.HasPrefix(in.Repository, "clones/") || !strings.HasSuffix(in.Repository, ".git") {
			t.Errorf("input %+v: want merged, named clones/....git", in)
		}
	}
	if len(doc.Secrets) != 2 || doc.Secrets[0].Count != 2 || doc.Secrets[1].Count != 2 {
		t.Errorf("merged secrets %+v, want two, each in two repositories", doc.Secrets)
	}
}

// TestOrgAuditWorkflowRuns runs the GitHub Actions recipe's scripts as its
// jobs would: each shard's job in a folder of its own clones its shard
// (file:// URLs here) and audits it; the reports are gathered as
// download-artifact's merge-multiple does, and the merge job's script
// writes the summary and the worklist. A URL that cannot be cloned fails
// its shard's job, and only it.
func TestOrgAuditWorkflowRuns(t *testing.T) {
	o := newOrgRepos(t)
	src, err := os.ReadFile(filepath.Join(recipeDir, "github-actions.yml"))
	if err != nil {
		t.Fatal(err)
	}
	var wf struct {
		Jobs map[string]struct {
			Steps []struct{ Name, Run string }
		}
	}
	if err := yaml.Unmarshal(src, &wf); err != nil {
		t.Fatal(err)
	}
	step := func(job, name string) string {
		for _, s := range wf.Jobs[job].Steps {
			if s.Name == name {
				return s.Run
			}
		}
		t.Fatalf("no step %q in job %s", name, job)
		return ""
	}
	path := "PATH=" + recipeBin(t) + string(os.PathListSeparator) + os.Getenv("PATH")
	merge := t.TempDir()
	failedJobs := 0
	for i, n := 0, 3; i < n; i++ {
		job := t.TempDir()
		urlList(t, job, o.good, "file:///nonexistent/org/gone.git")
		env := []string{path, fmt.Sprintf("SHARD=%d/%d", i, n), "GIT_TOKEN=", "LEAKHOUND_CONFIG=" + o.config}
		code, cloned := runScript(t, step("audit", "Clone this shard's repositories"), job, env...)
		if code != 0 {
			t.Fatalf("shard %d: clone step exit %d:\n%s", i, code, cloned)
		}
		code, out := runScript(t, step("audit", "Audit"), job, env...)
		gone := strings.Contains(cloned, "::error::could not clone file:///nonexistent/org/gone.git")
		if code != 0 {
			failedJobs++
		}
		if (code != 0) != gone || code > 2 {
			t.Errorf("shard %d: audit step exit %d, clone failure reported: %v:\n%s\n%s", i, code, gone, cloned, out)
		}
		reports, _ := filepath.Glob(filepath.Join(job, "reports", "*.json"))
		for _, r := range reports {
			if err := os.MkdirAll(filepath.Join(merge, "reports"), 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Rename(r, filepath.Join(merge, "reports", filepath.Base(r))); err != nil {
				t.Fatal(err)
			}
		}
	}
	if failedJobs != 1 {
		t.Errorf("%d shard jobs failed, want 1 (the one with the URL that cannot be cloned)", failedJobs)
	}
	summary := filepath.Join(t.TempDir(), "summary.md")
	if code, out := runScript(t, step("merge", "Merge"), merge, path, "GITHUB_STEP_SUMMARY="+summary); code != 0 {
		t.Fatalf("merge step exit %d:\n%s", code, out)
	}
	if sum, err := os.ReadFile(summary); err != nil || !strings.Contains(string(sum), "clones/") {
		t.Errorf("job summary (%v):\n%s", err, sum)
	}
	checkOrgWorklist(t, filepath.Join(merge, "out", "org-audit.json"), len(o.good))
}

// TestOrgAuditKubernetesRuns runs the Kubernetes recipe's scripts as its
// pods would: pod I of the Indexed Job with JOB_COMPLETION_INDEX=I, each
// in a work folder of its own, all writing to one reports volume; then
// the merge Job's script. The mount points (/config, /work, /reports) are
// folders of the test.
func TestOrgAuditKubernetesRuns(t *testing.T) {
	o := newOrgRepos(t)
	docs := manifests(t, filepath.Join(recipeDir, "kubernetes", "audit.yaml"), filepath.Join(recipeDir, "kubernetes", "merge.yaml"))
	config, volume := t.TempDir(), t.TempDir()
	jobs := map[string]k8sObject{}
	for _, d := range docs {
		b, err := yaml.Marshal(d)
		if err != nil {
			t.Fatal(err)
		}
		var obj k8sObject
		if err := yaml.Unmarshal(b, &obj); err != nil {
			t.Fatal(err)
		}
		if obj.Kind == "Job" {
			jobs[obj.Metadata.Name] = obj
		}
	}
	// A pod's environment: the manifest's, with paths moved into the test's
	// folders.
	podEnv := func(job k8sObject, work string, more ...string) []string {
		var env []string
		for _, e := range job.Spec.Template.Spec.Containers[0].Env {
			v := strings.NewReplacer("/work", work, "/reports/", volume+"/").Replace(e.Value)
			env = append(env, e.Name+"="+v)
		}
		return append(env, more...)
	}
	audit, merge := jobs["leakhound-audit"], jobs["leakhound-merge"]
	urlList(t, config, o.good)
	path := "PATH=" + recipeBin(t) + string(os.PathListSeparator) + os.Getenv("PATH")
	for i := range audit.Spec.Completions {
		work := t.TempDir()
		script := strings.NewReplacer("/config/", config+"/", "cd /work", "cd "+work).Replace(audit.Spec.Template.Spec.Containers[0].Args[0])
		code, out := runScript(t, script, work, podEnv(audit, work, path, fmt.Sprintf("JOB_COMPLETION_INDEX=%d", i), "LEAKHOUND_CONFIG="+o.config)...)
		if code != 0 {
			t.Fatalf("pod %d: exit %d:\n%s", i, code, out)
		}
	}
	work := t.TempDir()
	script := strings.ReplaceAll(merge.Spec.Template.Spec.Containers[0].Args[0], "/reports/", volume+"/")
	if code, out := runScript(t, script, work, podEnv(merge, work, path)...); code != 0 {
		t.Fatalf("merge Job: exit %d:\n%s", code, out)
	}
	for _, f := range []string{"org-audit.html", "org-audit.md"} {
		if info, err := os.Stat(filepath.Join(volume, f)); err != nil || info.Size() == 0 {
			t.Errorf("merge Job wrote no %s (%v)", f, err)
		}
	}
	checkOrgWorklist(t, filepath.Join(volume, "org-audit.json"), len(o.good))
}
