package sopscheck

import (
	"fmt"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"regexp"
	"sort"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/entropy"
	"github.com/leakhound/leakhound/rules"
)

// Rule ids of the problems Check reports.
const (
	RulePlaintext   = "sops-plaintext-value"
	RuleNotSOPS     = "sops-unencrypted-file"
	RuleMissingKey  = "sops-missing-key"
	RuleKeyMismatch = "sops-recipients-mismatch"
	RuleWeakDev     = "weak-development-secret"
)

// MinDevBits is what a plaintext development secret must carry.
const MinDevBits = 128

// Check checks the secrets files under root with cfg (nil: the
// conventions: no secrets folders, parity by production.* files and by
// sensitive/nonsensitive layouts, no development files). It returns the
// problems as findings, and the files it could not read or parse.
func Check(root string, cfg *rules.CheckConfig) ([]detect.Finding, []error) {
	if cfg == nil {
		cfg = &rules.CheckConfig{}
	}
	c := &checker{root: root, cfg: cfg, files: map[string]*File{}, broken: map[string]parseFailure{}, reported: map[string]bool{}}
	c.walk()
	c.parity()
	sort.SliceStable(c.out, func(i, j int) bool {
		a, b := &c.out[i], &c.out[j]
		if a.Path != b.Path {
			return a.Path < b.Path
		}
		if a.StartLine != b.StartLine {
			return a.StartLine < b.StartLine
		}
		return a.RuleID < b.RuleID
	})
	return c.out, c.errs
}

type checker struct {
	root  string
	cfg   *rules.CheckConfig
	files map[string]*File // rel path → parsed
	// broken holds the secrets files that did not parse: a layout names
	// those in its folders even where the walk kept quiet about them.
	broken map[string]parseFailure
	// reported is "file\x00key" for every missing key already reported,
	// so two parity checks covering one environment report it once.
	reported map[string]bool
	out      []detect.Finding
	errs     []error
	sops     map[string]*sopsConfig // folder → its .sops.yaml (nil: none)
}

// parseFailure is a file that did not parse, and whether the walk
// already returned its error.
type parseFailure struct {
	err      error
	reported bool
}

func (c *checker) add(rule, path string, line int, sev rules.Severity, value, desc string) {
	f := detect.Finding{RuleID: rule, Description: desc, Secret: value, Match: value, StartLine: line, EndLine: line,
		StartColumn: 1, EndColumn: 1, Severity: sev, Confidence: rules.ConfidenceHigh, Tags: []string{"sops", "secrets-as-code"},
		Provenance: detect.Provenance{Kind: detect.KindDir, Path: path}}
	f.Fingerprint = path + ":" + rule + ":" + detect.SecretHash(rule, desc+"\x00"+value)
	c.out = append(c.out, f)
}

func (c *checker) walk() {
	err := filepath.WalkDir(c.root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			c.errs = append(c.errs, err)
			return nil
		}
		if d.IsDir() {
			if d.Name() == ".git" && p != c.root {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || d.Name() == ".sops.yaml" || d.Name() == ".sops.yml" {
			return nil
		}
		rel, _ := filepath.Rel(c.root, p)
		rel = filepath.ToSlash(rel)
		c.file(p, rel)
		return nil
	})
	if err != nil {
		c.errs = append(c.errs, err)
	}
}

func matchAny(globs []string, rel string) bool {
	for _, g := range globs {
		g = strings.TrimSuffix(g, "/")
		if ok, _ := path.Match(g, rel); ok || rel == g || strings.HasPrefix(rel, g+"/") {
			return true
		}
	}
	return false
}

func (c *checker) file(abs, rel string) {
	inSecrets := matchAny(c.cfg.SecretsDirs, rel)
	dev := matchAny(c.cfg.DevSecrets, rel)
	info, err := os.Stat(abs)
	if err != nil {
		c.errs = append(c.errs, fmt.Errorf("%s: %w", rel, err))
		return
	}
	if info.Size() > 32<<20 {
		if inSecrets || dev {
			c.errs = append(c.errs, fmt.Errorf("%s: larger than 32 MiB, not checked", rel))
		}
		return
	}
	data, err := os.ReadFile(abs)
	if err != nil {
		c.errs = append(c.errs, fmt.Errorf("%s: %w", rel, err))
		return
	}
	f, ok, err := Parse(rel, data)
	if !ok {
		if inSecrets {
			c.add(RuleNotSOPS, rel, 1, rules.High, "", "file in a secrets folder is not a SOPS file (YAML, JSON, .env or INI)")
		}
		return
	}
	if err != nil {
		loud := inSecrets || dev || strings.Contains(string(data), "sops")
		if loud {
			c.errs = append(c.errs, fmt.Errorf("%s: %w", rel, err))
		}
		c.broken[rel] = parseFailure{err: err, reported: loud}
		return
	}
	c.files[rel] = f
	switch {
	case f.Meta.Present:
		c.plaintext(rel, f)
		c.recipients(abs, rel, f)
	case inSecrets:
		c.add(RuleNotSOPS, rel, 1, rules.High, "", "plaintext secrets file: no SOPS metadata, so nothing in it is encrypted")
	}
	if dev && !f.Meta.Present {
		c.weak(rel, f)
	}
}

func (c *checker) plaintext(rel string, f *File) {
	sel, err := f.Meta.Selectors()
	if err != nil {
		c.errs = append(c.errs, fmt.Errorf("%s: %w", rel, err))
		return
	}
	for _, v := range f.Values {
		if sel.MustEncrypt(v) && !IsEncrypted(v.Value) && v.Value != "" {
			c.add(RulePlaintext, rel, v.Line, rules.High, v.Value,
				fmt.Sprintf("%s is plaintext in a SOPS file, whose settings say it must be encrypted", v.Key()))
		}
	}
}

// weak flags plaintext development secrets under 128 bits, except keys
// the configuration exempts and values of vendor formats that are
// low-entropy by design (the rules with low_entropy).
func (c *checker) weak(rel string, f *File) {
	var exempt []*regexp.Regexp
	for _, e := range c.cfg.ExemptKeys {
		if re, err := regexp.Compile(e); err == nil {
			exempt = append(exempt, re)
		}
	}
	for _, v := range f.Values {
		if v.Value == "" || IsEncrypted(v.Value) {
			continue
		}
		skip := false
		for _, re := range exempt {
			skip = skip || re.MatchString(v.Key())
		}
		if skip || c.cfg.VendorExempt(v.Value) {
			continue
		}
		if bits := entropy.Bits([]byte(v.Value)); bits < MinDevBits {
			c.add(RuleWeakDev, rel, v.Line, rules.Medium, v.Value,
				fmt.Sprintf("%s carries about %.0f bits, under %d: a guessable development secret", v.Key(), bits, MinDevBits))
		}
	}
}

// parity checks that each environment defines every key its reference
// (production) file has, directly or through a defaults file: the
// configured sets first, then the same-folder convention, then the
// sensitive/nonsensitive layouts (layout.go). A key missing from an
// environment file is reported once, by the first check that finds it.
func (c *checker) parity() {
	layouts := c.layouts()
	sets := append([]rules.Parity(nil), c.cfg.Parity...)
	for _, p := range c.conventionalParity() {
		if !c.configured(p.Reference) && !inLayout(layouts, p.Reference) {
			sets = append(sets, p)
		}
	}
	for _, p := range sets {
		c.paritySet(p)
	}
	for _, l := range layouts {
		c.checkLayout(l)
	}
}

// configured reports whether a [[check.parity]] entry names rel, as its
// reference or among its environments: the convention then stands aside.
func (c *checker) configured(rel string) bool {
	for _, q := range c.cfg.Parity {
		if q.Reference == rel || matchAny(q.Environments, rel) {
			return true
		}
	}
	return false
}

// paritySet checks one reference against its environments.
func (c *checker) paritySet(p rules.Parity) {
	ref := c.files[p.Reference]
	if ref == nil {
		return
	}
	defaults := map[string]bool{}
	for rel, f := range c.files {
		if matchAny(p.Defaults, rel) {
			for _, v := range f.Values {
				defaults[topKey(v)] = true
			}
		}
	}
	var envs []string
	for rel := range c.files {
		if rel != p.Reference && matchAny(p.Environments, rel) && !matchAny(p.Defaults, rel) {
			envs = append(envs, rel)
		}
	}
	sort.Strings(envs)
	for _, env := range envs {
		have := map[string]bool{}
		for _, v := range c.files[env].Values {
			have[topKey(v)] = true
		}
		for _, v := range ref.Values {
			if k := topKey(v); !have[k] && !defaults[k] {
				c.missing(env, k, fmt.Sprintf("%s defines %s (line %d) and this environment does not, nor does a defaults file", p.Reference, k, v.Line))
			}
		}
	}
}

// missing reports that env lacks key, unless that was reported already.
// The finding carries no value: the key's name is all it needs.
func (c *checker) missing(env, key, desc string) {
	id := env + "\x00" + key
	if c.reported[id] {
		return
	}
	c.reported[id] = true
	c.add(RuleMissingKey, env, 1, rules.Medium, "", desc)
}

// topKey is the key a parity check compares: the path without list
// indexes (environments may hold lists of different lengths).
func topKey(v Value) string {
	var parts []string
	for _, p := range v.Path {
		if strings.Trim(p, "0123456789") == "" {
			break
		}
		parts = append(parts, p)
	}
	return strings.Join(parts, ".")
}

// conventionalParity: in a folder holding production.<ext>, the other
// files with that extension are environments and default.<ext>, if any,
// their defaults.
func (c *checker) conventionalParity() []rules.Parity {
	var out []rules.Parity
	for rel := range c.files {
		base := path.Base(rel)
		ext := path.Ext(base)
		if strings.TrimSuffix(base, ext) != "production" {
			continue
		}
		dir := path.Dir(rel)
		glob := path.Join(dir, "*"+ext)
		out = append(out, rules.Parity{Reference: rel, Environments: []string{glob}, Defaults: []string{path.Join(dir, "default"+ext)}})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Reference < out[j].Reference })
	return out
}

// sopsConfig is the part of .sops.yaml the recipients check reads.
type sopsConfig struct {
	dir   string
	rules []creationRule
}

type creationRule struct {
	PathRegex string `yaml:"path_regex"`
	KMS       string `yaml:"kms"`
	Age       string `yaml:"age"`
	PGP       string `yaml:"pgp"`
	GCPKMS    string `yaml:"gcp_kms"`
	re        *regexp.Regexp
}

// sopsConfigFor finds the .sops.yaml nearest above abs, within root.
func (c *checker) sopsConfigFor(abs string) *sopsConfig {
	if c.sops == nil {
		c.sops = map[string]*sopsConfig{}
	}
	rootAbs, _ := filepath.Abs(c.root)
	dir, _ := filepath.Abs(filepath.Dir(abs))
	for {
		if sc, ok := c.sops[dir]; ok {
			if sc != nil {
				return sc
			}
		} else {
			c.sops[dir] = nil
			for _, name := range []string{".sops.yaml", ".sops.yml"} {
				data, err := os.ReadFile(filepath.Join(dir, name))
				if err != nil {
					continue
				}
				var doc struct {
					CreationRules []creationRule `yaml:"creation_rules"`
				}
				if err := yaml.Unmarshal(data, &doc); err != nil {
					c.errs = append(c.errs, fmt.Errorf("%s: not valid YAML: %w", filepath.Join(dir, name), err))
					break
				}
				sc := &sopsConfig{dir: dir}
				for _, r := range doc.CreationRules {
					if r.PathRegex != "" {
						re, err := regexp.Compile(r.PathRegex)
						if err != nil {
							c.errs = append(c.errs, fmt.Errorf("%s: path_regex %q does not compile: %w", filepath.Join(dir, name), r.PathRegex, err))
							continue
						}
						r.re = re
					}
					sc.rules = append(sc.rules, r)
				}
				c.sops[dir] = sc
				return sc
			}
		}
		if dir == rootAbs || dir == filepath.Dir(dir) {
			return nil
		}
		dir = filepath.Dir(dir)
	}
}

// recipients checks that a SOPS file is encrypted to the keys the first
// matching creation rule of its .sops.yaml names.
func (c *checker) recipients(abs, rel string, f *File) {
	sc := c.sopsConfigFor(abs)
	if sc == nil {
		return
	}
	fileAbs, _ := filepath.Abs(abs)
	relToConf, _ := filepath.Rel(sc.dir, fileAbs)
	relToConf = filepath.ToSlash(relToConf)
	for _, r := range sc.rules {
		if r.re != nil && !r.re.MatchString(relToConf) {
			continue
		}
		for _, k := range []struct {
			name       string
			want, have []string
		}{
			{"age recipients", splitList(r.Age), f.Meta.Age},
			{"KMS keys", splitList(r.KMS), f.Meta.KMS},
			{"PGP fingerprints", splitList(r.PGP), f.Meta.PGP},
			{"GCP KMS keys", splitList(r.GCPKMS), f.Meta.GCPKMS},
		} {
			if len(k.want) == 0 {
				continue
			}
			missing, extra := diff(k.want, k.have)
			if len(missing)+len(extra) > 0 {
				c.add(RuleKeyMismatch, rel, 1, rules.High, "",
					fmt.Sprintf("%s differ from .sops.yaml's rule for this path (%s): missing %v, not in the rule %v",
						k.name, r.PathRegex, missing, extra))
			}
		}
		return
	}
}

func splitList(s string) []string {
	var out []string
	for _, x := range strings.Split(s, ",") {
		if x = strings.TrimSpace(x); x != "" {
			out = append(out, x)
		}
	}
	return out
}

func diff(want, have []string) (missing, extra []string) {
	w, h := map[string]bool{}, map[string]bool{}
	for _, x := range want {
		w[x] = true
	}
	for _, x := range have {
		h[x] = true
	}
	for _, x := range want {
		if !h[x] {
			missing = append(missing, x)
		}
	}
	for _, x := range have {
		if !w[x] {
			extra = append(extra, x)
		}
	}
	return missing, extra
}
