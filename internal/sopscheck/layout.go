package sopscheck

import (
	"fmt"
	"path"
	"sort"
	"strings"
)

// Folder names of the sensitive/nonsensitive layout.
const (
	sensitiveDir    = "sensitive"
	nonsensitiveDir = "nonsensitive"
)

// layout is a folder holding sensitive/ and nonsensitive/ subfolders, as
// the sopsorific write-up keeps deployment_secrets/: SOPS files in
// sensitive/, plain configuration in nonsensitive/, one file per
// environment in either (named for it, any format Parse reads), and
// default.<ext> holding what every environment shares. An environment's
// configuration is its files in both folders and the defaults, merged.
type layout struct {
	dir string // the folder holding both, "." for the root
	// envs maps an environment to its files directly inside either
	// subfolder, sorted (so nonsensitive/ before sensitive/); "default"
	// holds the defaults.
	envs map[string][]string
}

// layouts finds the layouts under the root: folders with a secrets file
// (parsed or not) directly inside both sensitive/ and nonsensitive/. A file
// of a layout that did not parse is an error, whatever its content. It
// returns the layouts to check: those whose production file no
// [[check.parity]] entry names (that entry says how to compare it).
func (c *checker) layouts() []*layout {
	var out []*layout
	for _, l := range c.layoutFolders() {
		covered := false
		for _, env := range l.names() {
			for _, rel := range l.envs[env] {
				if b, ok := c.broken[rel]; ok && !b.reported {
					c.errs = append(c.errs, fmt.Errorf("%s: %w", rel, b.err))
				}
			}
		}
		for _, rel := range l.envs["production"] {
			covered = covered || c.configured(rel)
		}
		if !covered {
			out = append(out, l)
		}
	}
	return out
}

// layoutFolders groups the files directly inside sensitive/ and
// nonsensitive/ folders by the folder holding them and by environment,
// and keeps the folders that hold both.
func (c *checker) layoutFolders() []*layout {
	found := map[string]*layout{}
	halves := map[string]map[string]bool{} // folder → subfolders seen
	note := func(rel string) {
		sub := path.Dir(rel)
		kind := path.Base(sub)
		base := path.Base(rel)
		env := strings.TrimSuffix(base, path.Ext(base))
		if (kind != sensitiveDir && kind != nonsensitiveDir) || env == "" { // a dotfile such as .env names no environment
			return
		}
		dir := path.Dir(sub)
		if found[dir] == nil {
			found[dir] = &layout{dir: dir, envs: map[string][]string{}}
			halves[dir] = map[string]bool{}
		}
		found[dir].envs[env] = append(found[dir].envs[env], rel)
		halves[dir][kind] = true
	}
	for rel := range c.files {
		note(rel)
	}
	for rel := range c.broken {
		note(rel)
	}
	var out []*layout
	for dir, l := range found {
		if halves[dir][sensitiveDir] && halves[dir][nonsensitiveDir] {
			for _, files := range l.envs {
				sort.Strings(files)
			}
			out = append(out, l)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].dir < out[j].dir })
	return out
}

// names is l's environments, sorted.
func (l *layout) names() []string {
	out := make([]string, 0, len(l.envs))
	for env := range l.envs {
		out = append(out, env)
	}
	sort.Strings(out)
	return out
}

// inLayout reports whether rel is directly inside a subfolder of one of
// the layouts: the layout compares its environments merged, in place of
// the same-folder convention.
func inLayout(ls []*layout, rel string) bool {
	for _, l := range ls {
		for _, files := range l.envs {
			for _, f := range files {
				if f == rel {
					return true
				}
			}
		}
	}
	return false
}

// definition is where a reference key is first defined.
type definition struct {
	key, file string
	line      int
}

// checkLayout checks that every environment of l defines each key path
// production has (in sensitive/ or nonsensitive/), in its own files or
// through a default file. Production itself is complete by definition.
// An environment with a file that did not parse is not checked (its error
// is reported); a broken production or default file stops the layout.
func (c *checker) checkLayout(l *layout) {
	prod, defs := l.envs["production"], l.envs["default"]
	if len(prod) == 0 || c.anyBroken(prod) || c.anyBroken(defs) {
		return
	}
	defaults := c.keys(defs)
	var ref []definition
	seen := map[string]bool{}
	for _, rel := range prod {
		for _, v := range c.files[rel].Values {
			if k := topKey(v); k != "" && !seen[k] {
				seen[k] = true
				ref = append(ref, definition{key: k, file: rel, line: v.Line})
			}
		}
	}
	for _, env := range l.names() {
		files := l.envs[env]
		if env == "production" || env == "default" || c.anyBroken(files) {
			continue
		}
		have := c.keys(files)
		for _, d := range ref {
			if !have[d.key] && !defaults[d.key] {
				c.missing(files[0], d.key, fmt.Sprintf("%s defines %s (line %d) and environment %s does not: not in %s, nor in %s",
					d.file, d.key, d.line, env, strings.Join(files, " or "), path.Join(l.dir, "{sensitive,nonsensitive}", "default.*")))
			}
		}
	}
}

func (c *checker) anyBroken(files []string) bool {
	for _, rel := range files {
		if _, ok := c.broken[rel]; ok {
			return true
		}
	}
	return false
}

// keys is the set of key paths the parsed files among files define.
func (c *checker) keys(files []string) map[string]bool {
	out := map[string]bool{}
	for _, rel := range files {
		if f := c.files[rel]; f != nil {
			for _, v := range f.Values {
				out[topKey(v)] = true
			}
		}
	}
	return out
}
