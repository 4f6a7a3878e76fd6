// Package sopscheck checks secrets kept as code with SOPS: that every value
// of a SOPS-managed file that SOPS's own settings say must be encrypted is
// encrypted, that files under a secrets folder are SOPS files at all, that
// every environment defines the keys production has, that each file is
// encrypted to the keys its .sops.yaml creation rule names, and that
// plaintext development secrets are not guessable. It reads files and
// reports problems as findings; it decrypts nothing and needs no key.
//
// Which environments must define production's keys, without configuration
// (an application deployed to staging reads the keys production's does):
//
//   - In a folder holding production.<ext>, the other *.<ext> files are
//     environments and default.<ext> their defaults.
//   - In a folder holding sensitive/ and nonsensitive/ subfolders, the
//     layout of the sopsorific write-up
//     (deployment_secrets/sensitive/production.yml, SOPS-encrypted, beside
//     deployment_secrets/nonsensitive/default.yml and
//     nonsensitive/<environment>.yml, plaintext), a file <environment>.<ext>
//     directly in either subfolder belongs to that environment and
//     default.<ext> in either to all of them, in any format Parse reads
//     (.yml and .yaml mix). An environment's configuration is its files in
//     both subfolders and the defaults, merged, as the application sees it
//     once deployed. Every key path of production's files, secret and
//     plaintext, must be in each other environment's configuration; a
//     missing one is reported at the environment's nonsensitive file (its
//     sensitive one if it has none), line 1, naming the key and where
//     production defines it, never a value. An environment with no
//     nonsensitive file has its own secrets and the defaults only; one with
//     no file at all is unknown, so a key every environment needs belongs
//     in default.<ext>. In a layout this comparison replaces the same-folder
//     one of each subfolder; files deeper down keep the same-folder one.
//
// Key paths are compared without list indexes (db.password; hosts for a
// list). A [[check.parity]] entry that names a production file, as its
// reference or among its environments, replaces the conventions for it,
// and a key an environment file lacks is reported once, whichever checks
// find it. A file of a layout that does not parse is an error naming it;
// its environment is not compared (a broken production or default file
// stops the layout's comparison).
package sopscheck

import (
	"bufio"
	"bytes"
	"fmt"
	"regexp"
	"sort"
	"strings"
	"sync"

	"go.yaml.in/yaml/v3"
)

// Value is one leaf of a secrets file: its key path, the value as written,
// and its 1-based line.
type Value struct {
	Path  []string
	Value string
	Line  int
	// Comment is the comment on or above the key (for SOPS's comment
	// selectors).
	Comment string
}

// Key is the value's dotted key path.
func (v Value) Key() string { return strings.Join(v.Path, ".") }

// Metadata is what a file's "sops" section says.
type Metadata struct {
	Present bool
	// Selectors, as SOPS names them.
	UnencryptedSuffix, EncryptedSuffix             string
	UnencryptedRegex, EncryptedRegex               string
	UnencryptedCommentRegex, EncryptedCommentRegex string
	// Keys the file is encrypted to.
	KMS, Age, PGP, GCPKMS, AzureKV, Vault []string
}

// File is a parsed secrets file.
type File struct {
	Format string // yaml, json, env, ini
	Values []Value
	Meta   Metadata
}

// encrypted is SOPS ciphertext's form, compiled on first use rather than
// at every process start.
var encrypted = sync.OnceValue(func() *regexp.Regexp { return regexp.MustCompile(`^ENC\[[A-Z0-9_]+,data:`) })

// IsEncrypted reports whether a value is SOPS ciphertext.
func IsEncrypted(s string) bool { return encrypted().MatchString(s) }

// Parse reads a secrets file in the format its name says (.yaml/.yml,
// .json, .env, .ini); other names are not secrets files (ok false).
func Parse(name string, data []byte) (*File, bool, error) {
	lower := strings.ToLower(name)
	switch {
	case strings.HasSuffix(lower, ".yaml"), strings.HasSuffix(lower, ".yml"):
		f, err := parseYAML(data, "yaml")
		return f, true, err
	case strings.HasSuffix(lower, ".json"):
		f, err := parseYAML(data, "json") // JSON is YAML, with lines
		return f, true, err
	case strings.HasSuffix(lower, ".env"), strings.HasPrefix(lower[strings.LastIndexByte(lower, '/')+1:], ".env"):
		return parseEnv(data), true, nil
	case strings.HasSuffix(lower, ".ini"):
		return parseINI(data), true, nil
	}
	return nil, false, nil
}

func parseYAML(data []byte, format string) (*File, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("not valid %s: %w", strings.ToUpper(format), err)
	}
	f := &File{Format: format}
	if len(doc.Content) == 0 {
		return f, nil
	}
	root := doc.Content[0]
	if root.Kind != yaml.MappingNode {
		return f, nil
	}
	for i := 0; i+1 < len(root.Content); i += 2 {
		k, v := root.Content[i], root.Content[i+1]
		if k.Value == "sops" && v.Kind == yaml.MappingNode {
			f.Meta = yamlMeta(v)
			continue
		}
		walkYAML(v, []string{k.Value}, comment(k), &f.Values)
	}
	return f, nil
}

func comment(n *yaml.Node) string {
	return strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(n.HeadComment+" "+n.LineComment), "#"))
}

func walkYAML(n *yaml.Node, path []string, com string, out *[]Value) {
	switch n.Kind {
	case yaml.MappingNode:
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			walkYAML(n.Content[i+1], append(append([]string(nil), path...), k.Value), comment(k), out)
		}
	case yaml.SequenceNode:
		for i, c := range n.Content {
			walkYAML(c, append(append([]string(nil), path...), fmt.Sprint(i)), com, out)
		}
	case yaml.ScalarNode:
		*out = append(*out, Value{Path: path, Value: n.Value, Line: n.Line, Comment: com})
	case yaml.AliasNode:
		if n.Alias != nil {
			walkYAML(n.Alias, path, com, out)
		}
	}
}

func yamlMeta(n *yaml.Node) Metadata {
	m := Metadata{Present: true}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i].Value, n.Content[i+1]
		switch k {
		case "unencrypted_suffix":
			m.UnencryptedSuffix = v.Value
		case "encrypted_suffix":
			m.EncryptedSuffix = v.Value
		case "unencrypted_regex":
			m.UnencryptedRegex = v.Value
		case "encrypted_regex":
			m.EncryptedRegex = v.Value
		case "unencrypted_comment_regex":
			m.UnencryptedCommentRegex = v.Value
		case "encrypted_comment_regex":
			m.EncryptedCommentRegex = v.Value
		case "kms":
			m.KMS = listField(v, "arn")
		case "age":
			m.Age = listField(v, "recipient")
		case "pgp":
			m.PGP = listField(v, "fp")
		case "gcp_kms":
			m.GCPKMS = listField(v, "resource_id")
		case "azure_kv":
			m.AzureKV = listField(v, "vault_url")
		case "hc_vault":
			m.Vault = listField(v, "vault_address")
		}
	}
	return m
}

// listField collects field from a sequence of mappings.
func listField(n *yaml.Node, field string) []string {
	var out []string
	for _, item := range n.Content {
		if item.Kind != yaml.MappingNode {
			continue
		}
		for i := 0; i+1 < len(item.Content); i += 2 {
			if item.Content[i].Value == field && item.Content[i+1].Value != "" {
				out = append(out, strings.TrimSpace(item.Content[i+1].Value))
			}
		}
	}
	return out
}

// parseEnv reads KEY=VALUE lines; SOPS keeps its metadata in sops_*
// keys (sops_age__list_0__map_recipient=..., sops_unencrypted_suffix=...).
func parseEnv(data []byte) *File {
	f := &File{Format: "env"}
	flat := map[string]string{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		line = strings.TrimPrefix(line, "export ")
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.Trim(strings.TrimSpace(v), `"'`)
		if strings.HasPrefix(k, "sops_") {
			flat[strings.TrimPrefix(k, "sops_")] = v
			continue
		}
		f.Values = append(f.Values, Value{Path: []string{k}, Value: v, Line: n})
	}
	f.Meta = flatMeta(flat)
	return f
}

// parseINI reads [section] key = value; SOPS keeps its metadata in a
// [sops] section, flattened as in dotenv files.
func parseINI(data []byte) *File {
	f := &File{Format: "ini"}
	flat := map[string]string{}
	section := ""
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64<<10), 16<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		switch {
		case line == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, ";"):
			continue
		case strings.HasPrefix(line, "[") && strings.HasSuffix(line, "]"):
			section = strings.TrimSpace(line[1 : len(line)-1])
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		k, v = strings.TrimSpace(k), strings.TrimSpace(v)
		if section == "sops" {
			flat[k] = v
			continue
		}
		f.Values = append(f.Values, Value{Path: []string{section, k}, Value: v, Line: n})
	}
	f.Meta = flatMeta(flat)
	return f
}

// flatMeta reads SOPS's flattened metadata (dotenv and INI):
// "age__list_0__map_recipient", "kms__list_0__map_arn", "version", ...
func flatMeta(flat map[string]string) Metadata {
	if len(flat) == 0 {
		return Metadata{}
	}
	m := Metadata{Present: true, UnencryptedSuffix: flat["unencrypted_suffix"], EncryptedSuffix: flat["encrypted_suffix"],
		UnencryptedRegex: flat["unencrypted_regex"], EncryptedRegex: flat["encrypted_regex"],
		UnencryptedCommentRegex: flat["unencrypted_comment_regex"], EncryptedCommentRegex: flat["encrypted_comment_regex"]}
	keys := make([]string, 0, len(flat))
	for k := range flat {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		v := flat[k]
		switch {
		case strings.HasPrefix(k, "kms__") && strings.HasSuffix(k, "__map_arn"):
			m.KMS = append(m.KMS, v)
		case strings.HasPrefix(k, "age__") && strings.HasSuffix(k, "__map_recipient"):
			m.Age = append(m.Age, v)
		case strings.HasPrefix(k, "pgp__") && strings.HasSuffix(k, "__map_fp"):
			m.PGP = append(m.PGP, v)
		case strings.HasPrefix(k, "gcp_kms__") && strings.HasSuffix(k, "__map_resource_id"):
			m.GCPKMS = append(m.GCPKMS, v)
		}
	}
	return m
}

// MustEncrypt reports whether SOPS, with the file's own settings, encrypts
// the value at v's key path: by default everything except keys ending in
// "_unencrypted"; with encrypted_suffix or encrypted_regex only the
// subtrees under matching keys; unencrypted_regex leaves matching
// subtrees alone; the comment selectors do the same by the comment above
// a key.
func (m Metadata) MustEncrypt(v Value) (bool, error) {
	sel, err := m.Selectors()
	if err != nil {
		return false, err
	}
	return sel.MustEncrypt(v), nil
}

// Selectors are a file's SOPS settings, compiled once for all its values.
type Selectors struct {
	unSuffix, encSuffix                string
	encRe, unRe, encComment, unComment *regexp.Regexp
}

// Selectors compiles m's settings; a regex that does not compile is an
// error naming it.
func (m Metadata) Selectors() (*Selectors, error) {
	sel := &Selectors{unSuffix: m.UnencryptedSuffix, encSuffix: m.EncryptedSuffix}
	if sel.unSuffix == "" && m.EncryptedSuffix == "" && m.UnencryptedRegex == "" && m.EncryptedRegex == "" &&
		m.UnencryptedCommentRegex == "" && m.EncryptedCommentRegex == "" {
		sel.unSuffix = "_unencrypted"
	}
	for _, x := range []struct {
		src string
		dst **regexp.Regexp
	}{{m.EncryptedRegex, &sel.encRe}, {m.UnencryptedRegex, &sel.unRe}, {m.EncryptedCommentRegex, &sel.encComment}, {m.UnencryptedCommentRegex, &sel.unComment}} {
		if x.src == "" {
			continue
		}
		re, err := regexp.Compile(x.src)
		if err != nil {
			return nil, fmt.Errorf("sops metadata: regex %q does not compile: %w", x.src, err)
		}
		*x.dst = re
	}
	return sel, nil
}

// MustEncrypt is Metadata.MustEncrypt with the settings compiled.
func (sel *Selectors) MustEncrypt(v Value) bool {
	for _, k := range v.Path {
		switch {
		case sel.unSuffix != "" && strings.HasSuffix(k, sel.unSuffix):
			return false
		case sel.unRe != nil && sel.unRe.MatchString(k):
			return false
		case sel.encSuffix != "" && strings.HasSuffix(k, sel.encSuffix):
			return true
		case sel.encRe != nil && sel.encRe.MatchString(k):
			return true
		}
	}
	switch {
	case sel.unComment != nil && sel.unComment.MatchString(v.Comment):
		return false
	case sel.encComment != nil:
		return sel.encComment.MatchString(v.Comment)
	case sel.encSuffix != "" || sel.encRe != nil:
		return false // only the selected subtrees are encrypted
	}
	return true
}
