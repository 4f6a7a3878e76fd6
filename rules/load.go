package rules

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"regexp/syntax"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"
)

// Loader resolves configurations, including `[extend]` references to the
// default set or to another file.
type Loader struct {
	// Default returns the embedded default configuration. Nil means no
	// default is available to extend.
	Default func() (*Set, error)
	// Root, when set, confines `[extend] path` to files inside it. The CLI
	// sets it for a config found in a scanned repository, which must not
	// be able to make leakhound read files elsewhere on the machine.
	Root string
}

// maxConfigBytes caps a configuration file's size.
const maxConfigBytes = 8 << 20

// maxExtendDepth bounds `[extend] path` chains (and so cycles).
const maxExtendDepth = 4

// LoadFile reads and parses the configuration at path.
func (ld Loader) LoadFile(path string) (*Set, error) {
	return ld.loadFile(path, 0)
}

func (ld Loader) loadFile(path string, depth int) (*Set, error) {
	data, err := readConfig(path)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	return ld.parse(data, path, depth)
}

// readConfig reads a regular file of at most maxConfigBytes: never a
// device or FIFO that would hang or flood the loader.
func readConfig(path string) ([]byte, error) {
	fh, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer fh.Close()
	info, err := fh.Stat()
	if err != nil {
		return nil, err
	}
	if !info.Mode().IsRegular() {
		return nil, fmt.Errorf("%s: not a regular file", path)
	}
	if info.Size() > maxConfigBytes {
		return nil, fmt.Errorf("%s: %d bytes, over the %d-byte limit for a config", path, info.Size(), maxConfigBytes)
	}
	return io.ReadAll(io.LimitReader(fh, maxConfigBytes+1))
}

// extendPath resolves an `[extend] path` relative to the folder of the
// file that names it, and keeps it inside ld.Root when that is set.
func (ld Loader) extendPath(from, path string) (string, error) {
	if !filepath.IsAbs(path) {
		path = filepath.Join(filepath.Dir(from), path)
	}
	if ld.Root == "" {
		return path, nil
	}
	root, err := filepath.EvalSymlinks(ld.Root)
	if err != nil {
		return "", err
	}
	real, err := filepath.EvalSymlinks(path)
	if err != nil {
		return "", err
	}
	root, _ = filepath.Abs(root)
	real, _ = filepath.Abs(real)
	if rel, err := filepath.Rel(root, real); err != nil || rel == ".." || strings.HasPrefix(rel, "../") {
		return "", fmt.Errorf("[extend] path %s is outside the scanned folder; a repository's config may only extend files inside it", path)
	}
	return real, nil
}

// Parse parses a configuration held in memory; name is used in messages.
func (ld Loader) Parse(data []byte, name string) (*Set, error) {
	return ld.parse(data, name, 0)
}

func (ld Loader) parse(data []byte, name string, depth int) (*Set, error) {
	// The TOML library skips a byte-order mark and counts offsets after it;
	// so must the line index.
	data = bytes.TrimPrefix(data, []byte("\xef\xbb\xbf"))
	var raw map[string]any
	if _, err := toml.Decode(string(data), &raw); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, ErrorList{{File: name, Line: syntaxLine(data, pe.Position), Msg: "TOML syntax: " + pe.Message}}
		}
		return nil, ErrorList{{File: name, Msg: "TOML syntax: " + err.Error()}}
	}
	d := &decoder{file: name, lines: newLineIndex(data)}
	set, ext := d.decodeSet(raw)
	exempt := d.decodeExemptions(raw)
	if err := d.errs.Err(); err != nil {
		return nil, err
	}
	if ext != nil {
		var err error
		if set, err = ld.extend(set, ext, name, depth); err != nil {
			return nil, err
		}
	}
	if err := applyExemptions(set, exempt, name); err != nil {
		return nil, err
	}
	return set, nil
}

// decodeCheck decodes the [check] table.
func (d *decoder) decodeCheck(v any) *CheckConfig {
	line := func(k string) int { return d.lines.key("check", k) }
	m, ok := v.(map[string]any)
	if !ok {
		d.errs.Add(d.file, line(""), "", "check must be a table")
		return nil
	}
	d.unknown(m, checkKeys, line, "", "[check]: ")
	c := &CheckConfig{SecretsDirs: d.strs(m, "secrets_dirs", line("secrets_dirs"), ""),
		DevSecrets: d.strs(m, "dev_secrets", line("dev_secrets"), ""), ExemptKeys: d.strs(m, "exempt_keys", line("exempt_keys"), "")}
	for _, e := range c.ExemptKeys {
		if _, err := regexp.Compile(e); err != nil {
			d.errs.Add(d.file, line("exempt_keys"), "", "[check] exempt_keys %q does not compile: %v", e, err)
		}
	}
	if pv, ok := m["parity"]; ok {
		tables, ok := tableArray(pv)
		if !ok {
			d.errs.Add(d.file, line("parity"), "", "[check] parity must be an array of tables ([[check.parity]])")
		}
		for j, pm := range tables {
			pline := func(k string) int { return d.lines.key(fmt.Sprintf("check.parity.%d", j), k) }
			d.unknown(pm, parityKeys, pline, "", "[[check.parity]]: ")
			p := Parity{Environments: d.strs(pm, "environments", pline("environments"), ""), Defaults: d.strs(pm, "defaults", pline("defaults"), "")}
			p.Reference, _ = d.str(pm, "reference", pline("reference"), "")
			if p.Reference == "" || len(p.Environments) == 0 {
				d.errs.Add(d.file, pline(""), "", "[[check.parity]] needs a reference file and environments")
			}
			c.Parity = append(c.Parity, p)
		}
	}
	return c
}

// exemption is a top-level [[low_entropy]] entry: a rule (the config's
// own or an inherited one) whose format is low-entropy by design.
type exemption struct {
	rule, reason string
	minBits      float64
	line         int
}

func (d *decoder) decodeExemptions(raw map[string]any) []exemption {
	v, ok := raw["low_entropy"]
	if !ok {
		return nil
	}
	tables, ok := tableArray(v)
	if !ok {
		d.errs.Add(d.file, d.lines.key("", "low_entropy"), "", "low_entropy must be an array of tables ([[low_entropy]])")
		return nil
	}
	var out []exemption
	for j, m := range tables {
		table := fmt.Sprintf("low_entropy.%d", j)
		line := func(k string) int { return d.lines.key(table, k) }
		d.unknown(m, exemptionKeys, line, "", "low_entropy")
		e := exemption{line: line("")}
		e.rule, _ = d.str(m, "rule", line("rule"), "")
		e.reason, _ = d.str(m, "reason", line("reason"), "")
		e.minBits, _ = d.float(m, "min_bits", line("min_bits"), "")
		if e.rule == "" {
			d.errs.Add(d.file, line(""), "", "low_entropy entry %d names no rule", j+1)
		}
		if strings.TrimSpace(e.reason) == "" {
			d.errs.Add(d.file, line(""), e.rule, "low_entropy entry %d must give a reason", j+1)
		}
		if e.minBits < 0 {
			d.errs.Add(d.file, line("min_bits"), e.rule, "min_bits must not be negative")
		}
		out = append(out, e)
	}
	return out
}

// applyExemptions marks each exempted rule of set low-entropy. A rule must
// exist and end up with a min_bits (its own or the exemption's).
func applyExemptions(set *Set, exempt []exemption, file string) error {
	var errs ErrorList
	for _, e := range exempt {
		i := -1
		for j, r := range set.Rules {
			if r.ID == e.rule {
				i = j
			}
		}
		if i < 0 {
			errs.Add(file, e.line, e.rule, "low_entropy names no rule of this configuration")
			continue
		}
		// Copy: an inherited rule may be shared with the set it came from.
		r := new(Rule)
		*r = *set.Rules[i]
		set.Rules[i] = r
		r.LowEntropy = e.reason
		if e.minBits > r.MinBits {
			r.MinBits = e.minBits
		}
		if r.MinBits <= 0 {
			errs.Add(file, e.line, e.rule, "low_entropy needs min_bits (here or in the rule): an exempt rule is judged by total bits")
		}
	}
	return errs.Err()
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// syntaxLine returns the line of a TOML syntax error. The library reports
// an unexpected newline on the line after it; the offset is exact.
func syntaxLine(data []byte, pos toml.Position) int {
	if s := pos.Start; s > 0 && s < len(data) && data[s] == '\n' {
		return bytes.Count(data[:s], []byte{'\n'}) + 1
	}
	return pos.Line
}

// extension is a decoded `[extend]` table.
type extension struct {
	useDefault bool
	path       string
	disabled   []string
	line       int
}

// extend merges set over its base: the base's rules minus disabled ones,
// with rules of the same id replaced by set's, and both sets' allowlists.
func (ld Loader) extend(set *Set, ext *extension, name string, depth int) (*Set, error) {
	var base *Set
	var err error
	switch {
	case depth >= maxExtendDepth:
		return nil, ErrorList{{File: name, Line: ext.line, Msg: fmt.Sprintf("[extend] chain deeper than %d", maxExtendDepth)}}
	case ext.useDefault && ext.path != "":
		return nil, ErrorList{{File: name, Line: ext.line, Msg: "[extend] sets both use_default and path; choose one"}}
	case ext.useDefault:
		if ld.Default == nil {
			return nil, ErrorList{{File: name, Line: ext.line, Msg: "[extend] use_default: no default configuration available"}}
		}
		base, err = ld.Default()
	case ext.path != "":
		var p string
		if p, err = ld.extendPath(name, ext.path); err == nil {
			base, err = ld.loadFile(p, depth+1)
		}
	default:
		base = &Set{}
	}
	if err != nil {
		return nil, fmt.Errorf("%s: [extend]: %w", name, err)
	}
	disabled := map[string]bool{}
	for _, id := range ext.disabled {
		disabled[id] = true
		if base.ByID(id) == nil {
			// A gitleaks config names gitleaks' rule ids; where the
			// built-in rule that does that job has another id, it goes.
			for _, alt := range gitleaksRuleIDs(id) {
				disabled[alt] = true
			}
		}
	}
	own := map[string]bool{}
	for _, r := range set.Rules {
		own[r.ID] = true
	}
	out := &Set{Title: set.Title, Source: set.Source, Check: set.Check}
	for _, r := range base.Rules {
		if !disabled[r.ID] && !own[r.ID] {
			out.Rules = append(out.Rules, r)
		}
	}
	for _, r := range set.Rules {
		if !disabled[r.ID] {
			out.Rules = append(out.Rules, r)
		}
	}
	out.Allowlists = append(append(out.Allowlists, base.Allowlists...), set.Allowlists...)
	out.Caps = append(append(out.Caps, base.Caps...), set.Caps...)
	return out, nil
}

// decoder turns the generic TOML tree into a Set, recording every problem
// rather than stopping at the first.
type decoder struct {
	file  string
	lines *lineIndex
	errs  ErrorList
}

var (
	topKeys       = []string{"title", "description", "version", "min_version", "extend", "allowlist", "allowlists", "rules", "low_entropy", "check", "confidence"}
	capKeys       = []string{"description", "at_most", "paths", "target_rules"}
	checkKeys     = []string{"secrets_dirs", "dev_secrets", "exempt_keys", "parity"}
	parityKeys    = []string{"reference", "environments", "defaults"}
	requiredKeys  = []string{"id", "within_lines", "within_columns"}
	exemptionKeys = []string{"rule", "reason", "min_bits"}
	extendKeys    = []string{"use_default", "path", "disabled_rules", "url"}
	ruleKeys      = []string{"id", "description", "regex", "secret_group", "keywords", "entropy", "min_bits", "path", "tags", "severity", "window", "allowlist", "allowlists", "examples", "negatives", "example_path", "low_entropy", "confidence", "checksum", "validate", "required", "skip_report", "adjust"}
	allowlistKeys = []string{"description", "condition", "regex_target", "regexes", "shapes", "stopwords", "paths", "commits", "target_rules"}
	adjustKeys    = []string{"description", "condition", "regex_target", "regexes", "shapes", "stopwords", "confidence"}
)

// validID reports whether id is a rule id: a letter or digit, then
// letters, digits, '.', '_' and '-' (a loop, not a package-level regular
// expression compiled at every process start).
func validID(id string) bool {
	for i := 0; i < len(id); i++ {
		c := id[i]
		alnum := 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9'
		if !alnum && (i == 0 || c != '.' && c != '_' && c != '-') {
			return false
		}
	}
	return id != ""
}

// gitleaksRuleIDs maps ids of gitleaks' default rules to the built-in
// rules that do the same job under another id, for disabledRules in a
// gitleaks config. Ids the two share need no entry. (A switch, like the
// tables below arrays rather than maps: a package-level map is built at
// every process start, `leakhound version` included.)
func gitleaksRuleIDs(id string) []string {
	switch id {
	case "generic-api-key":
		return []string{"generic-secret"}
	case "aws-access-token":
		return []string{"aws-access-key-id"}
	case "github-app-token":
		return []string{"github-user-to-server-token", "github-server-to-server-token"}
	case "stripe-access-token":
		return []string{"stripe-secret-key", "stripe-restricted-key", "stripe-test-secret-key"}
	case "sendgrid-api-token":
		return []string{"sendgrid-api-key"}
	case "hashicorp-tf-api-token":
		return []string{"terraform-cloud-token"}
	case "curl-auth-user":
		return []string{"cli-credentials"}
	}
	return nil // kubernetes-secret-yaml, among others: no counterpart
}

// gitleaksKeys pairs the camelCase keys of gitleaks' configuration with
// leakhound's: a gitleaks config loads unchanged.
var gitleaksKeys = [...]struct{ camel, snake string }{
	{"useDefault", "use_default"}, {"disabledRules", "disabled_rules"}, {"secretGroup", "secret_group"},
	{"regexTarget", "regex_target"}, {"targetRules", "target_rules"}, {"skipReport", "skip_report"},
	{"minVersion", "min_version"}, {"withinLines", "within_lines"}, {"withinColumns", "within_columns"},
	{"allowList", "allowlist"},
}

// normalize renames gitleaks' spellings of keys in m to leakhound's. Both
// spellings of one key in a table is an error.
func (d *decoder) normalize(m map[string]any) {
	for _, k := range gitleaksKeys {
		from, to := k.camel, k.snake
		v, ok := m[from]
		if !ok {
			continue
		}
		if _, both := m[to]; both {
			d.errs.Add(d.file, 0, "", "both %q and %q are set; keep one", from, to)
			continue
		}
		delete(m, from)
		m[to] = v
	}
}

// maxWindow caps how far past its keyword's line a rule may look.
const maxWindow = 1 << 20

func (d *decoder) decodeSet(raw map[string]any) (*Set, *extension) {
	set := &Set{Source: d.file}
	d.normalize(raw)
	d.unknown(raw, topKeys, func(k string) int { return d.lines.key("", k) }, "", "")
	set.Title, _ = d.str(raw, "title", d.lines.key("", "title"), "")
	var ext *extension
	if v, ok := raw["extend"]; ok {
		ext = d.decodeExtend(v)
	}
	if v, ok := raw["allowlist"]; ok {
		line := d.lines.key("allowlist", "")
		if m, ok := v.(map[string]any); ok {
			set.Allowlists = append(set.Allowlists, d.decodeAllowlist(m, "", func(k string) int { return d.lines.key("allowlist", k) }))
		} else {
			d.errs.Add(d.file, line, "", "allowlist must be a table")
		}
	}
	top := func(k string) int { return d.lines.key("", k) }
	d.eachTable(raw, "allowlists", "allowlists", "", top, func(m map[string]any, line func(string) int) {
		set.Allowlists = append(set.Allowlists, d.decodeAllowlist(m, "", line))
	})
	if v, ok := raw["check"]; ok {
		set.Check = d.decodeCheck(v)
	}
	d.eachTable(raw, "confidence", "confidence", "", top, func(m map[string]any, line func(string) int) {
		set.Caps = append(set.Caps, d.decodeCap(m, line))
	})
	if v, ok := raw["rules"]; ok {
		tables, ok := tableArray(v)
		if !ok {
			d.errs.Add(d.file, d.lines.key("", "rules"), "", "rules must be an array of tables ([[rules]])")
		}
		seen := map[string]int{}
		for i, m := range tables {
			r := d.decodeRule(i, m)
			if r == nil {
				continue
			}
			if prev, dup := seen[r.ID]; dup {
				d.errs.Add(d.file, r.Line, r.ID, "duplicate rule id (first defined on line %d)", prev)
				continue
			}
			seen[r.ID] = r.Line
			set.Rules = append(set.Rules, r)
		}
	}
	return set, ext
}

func (d *decoder) decodeExtend(v any) *extension {
	line := func(k string) int { return d.lines.key("extend", k) }
	m, ok := v.(map[string]any)
	if !ok {
		d.errs.Add(d.file, line(""), "", "extend must be a table")
		return nil
	}
	d.normalize(m)
	d.unknown(m, extendKeys, line, "", "[extend]: ")
	ext := &extension{line: line("")}
	ext.useDefault, _ = d.boolean(m, "use_default", line("use_default"), "")
	ext.path, _ = d.str(m, "path", line("path"), "")
	ext.disabled = d.strs(m, "disabled_rules", line("disabled_rules"), "")
	if _, ok := m["url"]; ok {
		d.errs.Add(d.file, line("url"), "", "[extend] url is not supported: leakhound never fetches; download the file and use path")
	}
	return ext
}

// decodeRule decodes rule table i, m. Each step adds what is wrong with
// its keys to d.errs and goes on, so that one run reports every problem.
func (d *decoder) decodeRule(i int, m map[string]any) *Rule {
	line := func(k string) int { return d.lines.rule(i, k) }
	d.normalize(m)
	r := &Rule{File: d.file, Line: line(""), Severity: Medium}
	r.ID = d.ruleID(i, m, r.Line, line)
	d.unknown(m, ruleKeys, line, r.ID, "")
	d.decodeMatch(r, m, line)
	d.decodeKinds(r, m, line)
	d.decodeReport(r, m, line)
	d.decodeRequired(r, i, m, line)
	d.checkRegex(r, m, line)
	d.decodeRuleAllowlists(r, m, line)
	return r
}

// ruleID reads rule i's id; a rule without a usable one is named by its
// number, so that its other problems can still be reported.
func (d *decoder) ruleID(i int, m map[string]any, ruleLine int, line func(string) int) string {
	id, ok := d.str(m, "id", line("id"), "")
	_, present := m["id"]
	switch {
	case !ok || id == "":
		if ok || !present { // a wrong type is already reported
			d.errs.Add(d.file, ruleLine, "", "rule #%d has no id", i+1)
		}
		id = fmt.Sprintf("#%d", i+1)
	case !validID(id):
		d.errs.Add(d.file, line("id"), id, "id may contain only letters, digits, '.', '_' and '-'")
	}
	return id
}

// decodeMatch reads what decides a match: the pattern, its keywords and
// the entropy a secret needs.
func (d *decoder) decodeMatch(r *Rule, m map[string]any, line func(string) int) {
	id := r.ID
	r.Description, _ = d.str(m, "description", line("description"), id)
	r.Regex, _ = d.str(m, "regex", line("regex"), id)
	r.Keywords = d.strs(m, "keywords", line("keywords"), id)
	for j, k := range r.Keywords {
		if strings.TrimSpace(k) == "" {
			d.errs.Add(d.file, line("keywords"), id, "keyword %d is empty", j+1)
		}
		r.Keywords[j] = asciiLower(k)
	}
	r.Entropy, _ = d.float(m, "entropy", line("entropy"), id)
	if r.Entropy < 0 || r.Entropy > 8 {
		d.errs.Add(d.file, line("entropy"), id, "entropy %.2f outside 0..8 bits per byte", r.Entropy)
	}
	r.MinBits, _ = d.float(m, "min_bits", line("min_bits"), id)
	if r.MinBits < 0 {
		d.errs.Add(d.file, line("min_bits"), id, "min_bits must not be negative")
	}
	r.LowEntropy, _ = d.str(m, "low_entropy", line("low_entropy"), id)
	if _, set := m["low_entropy"]; set && strings.TrimSpace(r.LowEntropy) == "" {
		d.errs.Add(d.file, line("low_entropy"), id, "low_entropy must say why the format's entropy is low by design")
	}
	if r.LowEntropy != "" && r.MinBits <= 0 {
		d.errs.Add(d.file, line("low_entropy"), id, "low_entropy needs min_bits: an exempt rule is judged by total bits")
	}
}

// decodeKinds reads the keys whose values are one of a fixed list
// (confidence, checksum, validate) and the path pattern.
func (d *decoder) decodeKinds(r *Rule, m map[string]any, line func(string) int) {
	id := r.ID
	if s, ok := d.str(m, "confidence", line("confidence"), id); ok {
		if c, ok := ParseConfidence(s); ok {
			r.Confidence = c
		} else {
			d.errs.Add(d.file, line("confidence"), id, "confidence %q is not one of low, medium, high", s)
		}
	}
	if s, ok := d.str(m, "checksum", line("checksum"), id); ok {
		if !contains(Checksums, s) {
			d.errs.Add(d.file, line("checksum"), id, "checksum %q is not one of %s", s, strings.Join(Checksums, ", "))
		}
		r.Checksum = s
	}
	if v, ok := d.str(m, "validate", line("validate"), id); ok {
		if !contains(Validators, v) {
			d.errs.Add(d.file, line("validate"), id, "validate %q is not one of %s", v, strings.Join(Validators, ", "))
		}
		r.Validate = v
	}
	if p, ok := d.str(m, "path", line("path"), id); ok && p != "" {
		r.Path = d.regexp(p, line("path"), id, "path")
	}
}

// decodeReport reads how findings are reported (tags, severity), the
// window around a keyword, and the rule's examples.
func (d *decoder) decodeReport(r *Rule, m map[string]any, line func(string) int) {
	id := r.ID
	r.Tags = d.strs(m, "tags", line("tags"), id)
	if s, ok := d.str(m, "severity", line("severity"), id); ok {
		if sev, ok := ParseSeverity(s); ok {
			r.Severity = sev
		} else {
			d.errs.Add(d.file, line("severity"), id, "severity %q is not one of %s", s, strings.Join(severityNames[:], ", "))
		}
	}
	if w, ok := d.integer(m, "window", line("window"), id); ok {
		if w < 0 || w > maxWindow {
			d.errs.Add(d.file, line("window"), id, "window %d outside 0..%d bytes", w, maxWindow)
		} else {
			r.Window = int(w)
		}
	}
	r.Examples = d.strs(m, "examples", line("examples"), id)
	r.Negatives = d.strs(m, "negatives", line("negatives"), id)
	r.ExamplePath, _ = d.str(m, "example_path", line("example_path"), id)
	r.SkipReport, _ = d.boolean(m, "skip_report", line("skip_report"), id)
}

// decodeRequired reads rule i's [[rules.required]] tables: the rules
// that must match near it (a composite rule).
func (d *decoder) decodeRequired(r *Rule, i int, m map[string]any, line func(string) int) {
	v, ok := m["required"]
	if !ok {
		return
	}
	id := r.ID
	tables, ok := tableArray(v)
	if !ok {
		d.errs.Add(d.file, line("required"), id, "required must be an array of tables ([[rules.required]])")
	}
	for j, rm := range tables {
		rline := func(k string) int { return d.lines.key(fmt.Sprintf("rules.%d.required.%d", i, j), k) }
		d.normalize(rm)
		d.unknown(rm, requiredKeys, rline, id, "required: ")
		req := Required{WithinLines: -1, WithinColumns: -1}
		req.ID, _ = d.str(rm, "id", rline("id"), id)
		if req.ID == "" {
			d.errs.Add(d.file, rline(""), id, "required entry %d names no rule", j+1)
		}
		if n, ok := d.integer(rm, "within_lines", rline("within_lines"), id); ok {
			req.WithinLines = int(n)
		}
		if n, ok := d.integer(rm, "within_columns", rline("within_columns"), id); ok {
			req.WithinColumns = int(n)
		}
		r.Required = append(r.Required, req)
	}
}

// decodeRuleAllowlists reads the rule's own allowlists (gitleaks'
// [rules.allowlist] and [[rules.allowlists]]) and its adjustments.
func (d *decoder) decodeRuleAllowlists(r *Rule, m map[string]any, line func(string) int) {
	id := r.ID
	if v, ok := m["allowlist"]; ok {
		if am, ok := v.(map[string]any); ok {
			r.Allowlists = append(r.Allowlists, d.decodeAllowlist(am, id, func(k string) int { return line("allowlist." + k) }))
		} else {
			d.errs.Add(d.file, line("allowlist"), id, "allowlist must be a table")
		}
	}
	d.eachTable(m, "allowlists", "rules.allowlists", id, line, func(am map[string]any, line func(string) int) {
		r.Allowlists = append(r.Allowlists, d.decodeAllowlist(am, id, line))
	})
	d.eachTable(m, "adjust", "rules.adjust", id, line, func(am map[string]any, line func(string) int) {
		r.Adjusts = append(r.Adjusts, d.decodeAdjust(am, id, line))
	})
}

// checkRegex validates the detection pattern's syntax (cheaply, with the
// standard library's parser: RE2 syntax) and resolves the secret group.
func (d *decoder) checkRegex(r *Rule, m map[string]any, line func(string) int) {
	group, groupSet := d.integer(m, "secret_group", line("secret_group"), r.ID)
	if r.Regex == "" {
		if r.Path == nil {
			d.errs.Add(d.file, r.Line, r.ID, "rule needs a regex, a path, or both")
		}
		if groupSet {
			d.errs.Add(d.file, line("secret_group"), r.ID, "secret_group set on a rule without a regex")
		}
		return
	}
	re, err := syntax.Parse(r.Regex, syntax.Perl)
	if err != nil {
		d.errs.Add(d.file, line("regex"), r.ID, "regex does not compile: %s", regexErr(err))
		return
	}
	n := re.MaxCap()
	switch {
	case !groupSet && n > 0:
		r.SecretGroup = 1
	case groupSet && (group < 0 || int(group) > n):
		d.errs.Add(d.file, line("secret_group"), r.ID, "secret_group %d but the regex has %d capture group(s)", group, n)
	default:
		r.SecretGroup = int(group)
	}
}

// eachTable calls f on each table of the array of tables m[key]
// ([[header]]: [[allowlists]], [[confidence]], [[rules.adjust]], ...) of
// rule id ("" at the top level), with line numbers for its keys, and
// reports a value that is not such an array.
func (d *decoder) eachTable(m map[string]any, key, header, id string, line func(string) int, f func(map[string]any, func(string) int)) {
	v, ok := m[key]
	if !ok {
		return
	}
	tables, ok := tableArray(v)
	if !ok {
		d.errs.Add(d.file, line(key), id, "%s must be an array of tables ([[%s]])", key, header)
	}
	for j, am := range tables {
		prefix := fmt.Sprintf("%s.%d.", key, j)
		f(am, func(k string) int { return line(prefix + k) })
	}
}

func regexErr(err error) string {
	var se *syntax.Error
	if errors.As(err, &se) {
		return fmt.Sprintf("%s in %q", se.Code, se.Expr)
	}
	return err.Error()
}

// decodeAllowlist decodes an allowlist table: a global [[allowlists]]
// entry (rule "") or one of a rule's. Problems are reported in the order
// of its keys below, which the error list keeps.
func (d *decoder) decodeAllowlist(m map[string]any, rule string, line func(string) int) Allowlist {
	d.normalize(m)
	d.unknown(m, allowlistKeys, line, rule, "allowlist: ")
	a := Allowlist{File: d.file}
	a.Description, _ = d.str(m, "description", line("description"), rule)
	d.allowlistCondition(&a, m, rule, line)
	d.allowlistTarget(&a, m, rule, line)
	written := d.allowlistEntries(&a, m, rule, line)
	a.TargetRules = d.strs(m, "target_rules", line("target_rules"), rule)
	if rule != "" && len(a.TargetRules) > 0 {
		d.errs.Add(d.file, line("target_rules"), rule, "target_rules belongs in a global [[allowlists]]: a rule's allowlist applies to that rule")
	}
	if written == 0 {
		d.errs.Add(d.file, line(""), rule, "allowlist has no regexes, shapes, stopwords, paths or commits")
	}
	a.Memoize()
	return a
}

// allowlistCondition decodes condition: whether every kind of entry must
// match (and) or any one (or, the default).
func (d *decoder) allowlistCondition(a *Allowlist, m map[string]any, rule string, line func(string) int) {
	c, ok := d.str(m, "condition", line("condition"), rule)
	if !ok {
		return
	}
	switch strings.ToLower(c) {
	case "or", "":
	case "and":
		a.And = true
	default:
		d.errs.Add(d.file, line("condition"), rule, "allowlist condition %q must be \"or\" or \"and\"", c)
	}
}

// allowlistTarget decodes regex_target: what the regexes are asked about.
func (d *decoder) allowlistTarget(a *Allowlist, m map[string]any, rule string, line func(string) int) {
	t, ok := d.str(m, "regex_target", line("regex_target"), rule)
	if !ok {
		return
	}
	switch strings.ToLower(t) {
	case "secret", "":
		a.Target = TargetSecret
	case "match":
		a.Target = TargetMatch
	case "line":
		a.Target = TargetLine
	case "key":
		a.Target = TargetKey
	case "decoded":
		a.Target = TargetDecoded
	default:
		d.errs.Add(d.file, line("regex_target"), rule, "allowlist regex_target %q must be secret, match, line, key or decoded", t)
	}
}

// allowlistEntries decodes what an allowlist matches: shapes, regexes,
// stopwords, paths and commits. It returns how many were written, good
// or not: an allowlist is judged by what was written, not by what
// compiled, since a bad pattern is already reported.
func (d *decoder) allowlistEntries(a *Allowlist, m map[string]any, rule string, line func(string) int) int {
	a.Shapes = d.strs(m, "shapes", line("shapes"), rule)
	for _, sh := range a.Shapes {
		if !contains(Shapes, sh) {
			d.errs.Add(d.file, line("shapes"), rule, "shape %q is not one of %s", sh, strings.Join(Shapes, ", "))
		}
	}
	regexes := d.strs(m, "regexes", line("regexes"), rule)
	for _, p := range regexes {
		if re := d.pattern(p, line("regexes"), rule, "allowlist regex"); re != nil {
			a.Regexes = append(a.Regexes, re)
		}
	}
	stopwords := d.strs(m, "stopwords", line("stopwords"), rule)
	for _, s := range stopwords {
		a.Stopwords = append(a.Stopwords, strings.ToLower(s))
	}
	paths := d.strs(m, "paths", line("paths"), rule)
	for _, p := range paths {
		if re := d.pattern(p, line("paths"), rule, "allowlist path"); re != nil {
			a.Paths = append(a.Paths, re)
		}
	}
	a.Commits = d.strs(m, "commits", line("commits"), rule)
	for _, c := range a.Commits {
		if strings.TrimSpace(c) == "" {
			d.errs.Add(d.file, line("commits"), rule, "allowlist commit is empty")
		}
	}
	return len(regexes) + len(a.Shapes) + len(stopwords) + len(paths) + len(a.Commits)
}

// decodeCap decodes a [[confidence]] entry.
func (d *decoder) decodeCap(m map[string]any, line func(string) int) Cap {
	d.unknown(m, capKeys, line, "", "confidence: ")
	var c Cap
	c.Description, _ = d.str(m, "description", line("description"), "")
	if s, ok := d.str(m, "at_most", line("at_most"), ""); ok {
		if lv, ok := ParseConfidence(s); ok {
			c.AtMost = lv
		} else {
			d.errs.Add(d.file, line("at_most"), "", "confidence at_most %q is not one of low, medium, high", s)
		}
	} else {
		d.errs.Add(d.file, line(""), "", "confidence entry needs at_most (low, medium or high)")
	}
	for _, p := range d.strs(m, "paths", line("paths"), "") {
		if re := d.pattern(p, line("paths"), "", "confidence path"); re != nil {
			c.Paths = append(c.Paths, re)
		}
	}
	if len(c.Paths) == 0 {
		d.errs.Add(d.file, line(""), "", "confidence entry has no paths")
	}
	c.TargetRules = d.strs(m, "target_rules", line("target_rules"), "")
	return c
}

// decodeAdjust decodes a [[rules.adjust]] entry: an allowlist's content
// criteria and the confidence they give.
func (d *decoder) decodeAdjust(m map[string]any, rule string, line func(string) int) Adjust {
	d.normalize(m)
	var adj Adjust
	if s, ok := d.str(m, "confidence", line("confidence"), rule); ok {
		if c, ok := ParseConfidence(s); ok {
			adj.Confidence = c
		} else {
			d.errs.Add(d.file, line("confidence"), rule, "adjust confidence %q is not one of low, medium, high", s)
		}
	} else {
		d.errs.Add(d.file, line(""), rule, "adjust needs a confidence (low, medium or high)")
	}
	d.unknown(m, adjustKeys, line, rule, "adjust: ")
	criteria := map[string]any{}
	for k, v := range m {
		if k != "confidence" && contains(adjustKeys, k) {
			criteria[k] = v
		}
	}
	adj.Allowlist = d.decodeAllowlist(criteria, rule, line)
	return adj
}

// regexp compiles a rule's path pattern with the standard library: it
// runs on every path a rule with one is asked about, so it is compiled
// now; the standard library is linear-time too.
func (d *decoder) regexp(p string, line int, rule, what string) *regexp.Regexp {
	re, err := regexp.Compile(p)
	if err != nil {
		d.errs.Add(d.file, line, rule, "%s does not compile: %s", what, regexErr(err))
		return nil
	}
	return re
}

// pattern checks an allowlist pattern, which is compiled on first use
// (see Pattern).
func (d *decoder) pattern(p string, line int, rule, what string) *Pattern {
	pat, err := NewPattern(p)
	if err != nil {
		d.errs.Add(d.file, line, rule, "%s does not compile: %s", what, regexErr(err))
		return nil
	}
	return pat
}

func (d *decoder) unknown(m map[string]any, known []string, line func(string) int, rule, prefix string) {
	var bad []string
	for k := range m {
		if !contains(known, k) {
			bad = append(bad, k)
		}
	}
	sort.Strings(bad)
	for _, k := range bad {
		d.errs.Add(d.file, line(k), rule, "%sunknown key %q (known: %s)", prefix, k, strings.Join(known, ", "))
	}
}

func (d *decoder) str(m map[string]any, key string, line int, rule string) (string, bool) {
	v, ok := m[key]
	if !ok {
		return "", false
	}
	s, ok := v.(string)
	if !ok {
		d.errs.Add(d.file, line, rule, "%s must be a string, not %s", key, tomlType(v))
	}
	return s, ok
}

func (d *decoder) strs(m map[string]any, key string, line int, rule string) []string {
	v, ok := m[key]
	if !ok {
		return nil
	}
	arr, ok := v.([]any)
	if !ok {
		d.errs.Add(d.file, line, rule, "%s must be an array of strings, not %s", key, tomlType(v))
		return nil
	}
	out := make([]string, 0, len(arr))
	for i, e := range arr {
		s, ok := e.(string)
		if !ok {
			d.errs.Add(d.file, line, rule, "%s[%d] must be a string, not %s", key, i, tomlType(e))
			continue
		}
		out = append(out, s)
	}
	return out
}

func (d *decoder) float(m map[string]any, key string, line int, rule string) (float64, bool) {
	switch v := m[key].(type) {
	case nil:
		return 0, false
	case float64:
		return v, true
	case int64:
		return float64(v), true
	default:
		d.errs.Add(d.file, line, rule, "%s must be a number, not %s", key, tomlType(v))
		return 0, false
	}
}

func (d *decoder) integer(m map[string]any, key string, line int, rule string) (int64, bool) {
	switch v := m[key].(type) {
	case nil:
		return 0, false
	case int64:
		return v, true
	default:
		d.errs.Add(d.file, line, rule, "%s must be an integer, not %s", key, tomlType(v))
		return 0, false
	}
}

func (d *decoder) boolean(m map[string]any, key string, line int, rule string) (bool, bool) {
	switch v := m[key].(type) {
	case nil:
		return false, false
	case bool:
		return v, true
	default:
		d.errs.Add(d.file, line, rule, "%s must be true or false, not %s", key, tomlType(v))
		return false, false
	}
}

// tableArray returns v as an array of tables: [[name]] sections decode to
// []map[string]any, an inline array of inline tables to []any.
func tableArray(v any) ([]map[string]any, bool) {
	switch v := v.(type) {
	case []map[string]any:
		return v, true
	case []any:
		out := make([]map[string]any, 0, len(v))
		for _, e := range v {
			m, ok := e.(map[string]any)
			if !ok {
				return nil, false
			}
			out = append(out, m)
		}
		return out, true
	}
	return nil, false
}

func tomlType(v any) string {
	switch v.(type) {
	case string:
		return "a string"
	case int64:
		return "an integer"
	case float64:
		return "a number"
	case bool:
		return "a boolean"
	case []any:
		return "an array"
	case map[string]any:
		return "a table"
	case []map[string]any:
		return "an array of tables"
	default:
		return fmt.Sprintf("%T", v)
	}
}

// asciiLower folds ASCII letters only: the detector matches keywords byte
// by byte ignoring ASCII case, and Unicode folding could change a
// keyword's bytes so it never matched its own spelling.
func asciiLower(s string) string {
	b := []byte(s)
	for i, c := range b {
		if 'A' <= c && c <= 'Z' {
			b[i] = c + 'a' - 'A'
		}
	}
	return string(b)
}
