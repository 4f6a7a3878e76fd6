package cli

import (
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"sync"

	"github.com/leakhound/leakhound/config"
	"github.com/leakhound/leakhound/internal/builtin"
	"github.com/leakhound/leakhound/rules"
)

// configFileName is the config leakhound picks up from a scanned root.
const configFileName = ".leakhound.toml"

// ignoreFileName is the fingerprint ignore file picked up from a root;
// gitleaks' is read beside it. gitleaksConfigName is the gitleaks config a
// root without a leakhound one may hold.
const (
	ignoreFileName         = ".leakhoundignore"
	gitleaksIgnoreFileName = ".gitleaksignore"
	gitleaksConfigName     = ".gitleaks.toml"
)

// loader returns a rules.Loader whose default set is the built-in one,
// built at most once per Loader from code generated from
// config/default.toml (package builtin) rather than by decoding the
// TOML: a fraction of a millisecond instead of about 25. `[extend]
// use_default` gets the same set.
func loader() rules.Loader {
	return rules.Loader{Default: sync.OnceValues(func() (*rules.Set, error) {
		return builtin.Set(), nil
	})}
}

// loadConfig resolves which configuration applies: --config, then
// LEAKHOUND_CONFIG, then .leakhound.toml in root, then the built-in rules.
// It reports whether the set is the built-in one (already checked by
// leakhound's own tests, so its patterns may compile lazily).
func loadConfig(path, root string, env Env, log *slog.Logger) (*rules.Set, bool, error) {
	return loadConfigFrom(loader(), path, root, env, log)
}

// loadConfigFrom is loadConfig with the Loader to use (see warmLoader).
func loadConfigFrom(ld rules.Loader, path, root string, env Env, log *slog.Logger) (*rules.Set, bool, error) {
	if path == "" {
		path = env.Getenv("LEAKHOUND_CONFIG")
	}
	if path == "" && root != "" {
		// A repository's own config: leakhound's, else a gitleaks one,
		// which loads unchanged (its rules, allowlists, [extend]).
		for _, name := range []string{configFileName, gitleaksConfigName} {
			cand := filepath.Join(root, name)
			if info, err := os.Stat(cand); err == nil && info.Mode().IsRegular() {
				path = cand
				ld.Root = root // a repository's config may not reach outside it
				if name == gitleaksConfigName {
					log.Info("using the gitleaks config from the scanned root (no .leakhound.toml); useDefault extends leakhound's built-in rules", "path", cand)
				} else {
					log.Info("using config from the scanned root", "path", cand)
				}
				break
			}
		}
	}
	if path == "" {
		if path = env.Getenv("GITLEAKS_CONFIG"); path != "" {
			log.Info("using the gitleaks config named by GITLEAKS_CONFIG", "path", path)
		}
	}
	if path == "" {
		set, err := ld.Default()
		if err != nil {
			return nil, false, fmt.Errorf("built-in rules are broken (a leakhound bug): %w", err)
		}
		return set, true, nil
	}
	set, err := ld.LoadFile(path)
	return set, false, err
}

// userRules selects the rules that come from a user's file rather than
// the embedded defaults, for eager compilation.
func userRules(r *rules.Rule) bool { return r.File != config.DefaultName }
