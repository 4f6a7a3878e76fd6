package gitplumb

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
)

// HooksDir returns the folder git runs the hooks of the repository at
// path from: core.hooksPath when it is set (in the repository's config,
// or the user's or the system's: it is where git will look), else the
// hooks folder of the repository's common git directory (shared by its
// linked worktrees). It asks `git rev-parse --git-path hooks`, run in
// path with the safe settings except the hooksPath override and with the
// user's and system's config readable; rev-parse runs nothing. bin is the
// git executable; empty means "git".
func HooksDir(ctx context.Context, path, bin string) (string, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("%s: %w", path, err)
	}
	if real, err := filepath.EvalSymlinks(abs); err == nil {
		abs = real
	}
	var args []string
	for i := 0; i < len(safeArgs); i++ {
		if safeArgs[i] == "-c" && i+1 < len(safeArgs) && strings.HasPrefix(safeArgs[i+1], "core.hooksPath=") {
			i++
			continue
		}
		args = append(args, safeArgs[i])
	}
	args = append(args, "-c", "safe.directory="+abs, "-C", abs, "rev-parse", "--git-path", "hooks")
	if bin == "" {
		bin = "git"
	}
	cmd := command(ctx, bin, args)
	cmd.Env = withUserConfig(cmd.Env)
	var stderr Stderr
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return "", fmt.Errorf("%s: git rev-parse --git-path hooks: %w", path, stderr.Wrap(err))
	}
	dir := strings.TrimRight(string(out), "\r\n")
	if dir == "" || strings.ContainsAny(dir, "\n\x00") {
		return "", fmt.Errorf("%s: git rev-parse --git-path hooks printed %q", path, Truncate(dir, 200))
	}
	if !filepath.IsAbs(dir) {
		// git prints it relative to where it ran.
		dir = filepath.Join(abs, dir)
	}
	return filepath.Clean(dir), nil
}

// withUserConfig drops the settings that hide the user's and the
// system's git config from env, and keeps the user's own choice of them.
func withUserConfig(env []string) []string {
	out := env[:0:0]
	for _, kv := range env {
		if strings.HasPrefix(kv, "GIT_CONFIG_NOSYSTEM=") || strings.HasPrefix(kv, "GIT_CONFIG_GLOBAL=") {
			continue
		}
		out = append(out, kv)
	}
	for _, k := range []string{"GIT_CONFIG_GLOBAL", "GIT_CONFIG_SYSTEM", "GIT_CONFIG_NOSYSTEM"} {
		if v, ok := os.LookupEnv(k); ok {
			out = append(out, k+"="+v)
		}
	}
	return out
}
