package rules

import (
	"bufio"
	"bytes"
	"strconv"
	"strings"
)

// lineIndex maps decoded TOML back to line numbers, which the TOML
// library does not expose for keys inside arrays of tables. It records
// where each [[rules]] table starts and on which line each key is written,
// as a dotted path: relative to its rule for keys inside a rule
// ("allowlist.regexes", "allowlists.1.paths"), from the root otherwise
// ("extend.path", "allowlists.0.regexes"). The N-th entry of an array of
// tables is addressed by its index. It is a best-effort scan of input the
// TOML parser has already accepted: a wrong guess only degrades a
// message, never a decision.
type lineIndex struct {
	ruleStart []int            // line of the i-th [[rules]] header
	rules     []map[string]int // per rule: dotted path → line
	top       map[string]int   // dotted path from the root → line
}

func newLineIndex(data []byte) *lineIndex {
	b := &lineIndexer{ix: &lineIndex{top: map[string]int{}}, inRule: -1, counts: map[string]int{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	var st lexState // open multi-line string or bracket
	for n := 1; sc.Scan(); n++ {
		text := sc.Text()
		if st.open != "" || st.depth > 0 {
			st = st.scan(text) // inside a value that spans lines
			continue
		}
		line := strings.TrimSpace(text)
		if !strings.HasPrefix(line, "[") {
			segs, rest, ok := parseKey(line)
			if !ok || !strings.HasPrefix(rest, "=") {
				continue
			}
			b.key(segs, n)
			st = st.scan(rest[1:])
			continue
		}
		b.header(line, n)
	}
	return b.ix
}

// lineIndexer is what newLineIndex knows of the table it is in while it
// reads the lines.
type lineIndexer struct {
	ix     *lineIndex
	table  string         // current table's path (relative to the rule inside one)
	inRule int            // index of the rule the current table belongs to, or -1
	counts map[string]int // entries seen per array of tables, root level
	sub    map[string]int // entries seen per array of tables, current rule
}

// key records the key segs, defined on line n, and the tables a dotted
// key defines with it.
func (b *lineIndexer) key(segs []string, n int) {
	m := b.ix.top
	if b.inRule >= 0 {
		m = b.ix.rules[b.inRule]
	}
	path := b.table
	for _, seg := range segs { // a dotted key defines its tables too
		if path != "" {
			path += "."
		}
		path += seg
		setFirst(m, path, n)
	}
}

// header records the table or array-of-tables header line on line n and
// makes it the current table.
func (b *lineIndexer) header(line string, n int) {
	ix := b.ix
	array := strings.HasPrefix(line, "[[")
	segs, _, ok := parseKey(strings.TrimLeft(line, "["))
	if !ok {
		return
	}
	name := strings.Join(segs, ".")
	switch {
	case array && name == "rules":
		ix.ruleStart = append(ix.ruleStart, n)
		ix.rules = append(ix.rules, map[string]int{})
		b.inRule, b.table, b.sub = len(ix.ruleStart)-1, "", map[string]int{}
	case b.inRule >= 0 && len(segs) > 1 && segs[0] == "rules":
		rel := strings.Join(segs[1:], ".")
		setFirst(ix.rules[b.inRule], rel, n)
		b.table = rel
		if array {
			b.table = rel + "." + strconv.Itoa(b.sub[rel])
			b.sub[rel]++
			setFirst(ix.rules[b.inRule], b.table, n)
		}
	default:
		b.inRule, b.table = -1, name
		setFirst(ix.top, b.table, n)
		if array {
			b.table += "." + strconv.Itoa(b.counts[name])
			b.counts[name]++
			setFirst(ix.top, b.table, n)
		}
	}
}

func setFirst(m map[string]int, key string, line int) {
	if _, ok := m[key]; !ok {
		m[key] = line
	}
}

// rule returns the line of the dotted path key in the i-th rule, or of its
// closest enclosing table or key that was found, or the rule's header line.
func (ix *lineIndex) rule(i int, key string) int {
	if i < 0 || i >= len(ix.ruleStart) {
		return 0
	}
	if n := lookup(ix.rules[i], key); n > 0 {
		return n
	}
	return ix.ruleStart[i]
}

// key returns the line of key in a top-level table (table "" is the root),
// or of its closest enclosing table or key.
func (ix *lineIndex) key(table, key string) int {
	if table != "" && key != "" {
		key = table + "." + key
	} else if table != "" {
		key = table
	}
	return lookup(ix.top, key)
}

// lookup finds path in m, dropping trailing segments until one is found.
func lookup(m map[string]int, path string) int {
	// A gitleaks config spells some keys in camelCase (normalize).
	if _, ok := m[path]; !ok {
		i := strings.LastIndexByte(path, '.')
		for _, k := range gitleaksKeys {
			if path[i+1:] == k.snake {
				if n, ok := m[path[:i+1]+k.camel]; ok {
					return n
				}
			}
		}
	}
	for path != "" {
		if n, ok := m[path]; ok {
			return n
		}
		i := strings.LastIndexByte(path, '.')
		if i < 0 {
			break
		}
		path = path[:i]
	}
	return 0
}

// parseKey reads a TOML key (bare, quoted or dotted) at the start of s and
// returns its segments and the rest of s after it and any blanks.
func parseKey(s string) (segs []string, rest string, ok bool) {
	for {
		s = strings.TrimLeft(s, " \t")
		var seg string
		switch {
		case strings.HasPrefix(s, `"`):
			end := closeBasic(s, 1)
			if end < 0 {
				return nil, "", false
			}
			seg, s = s[1:end], s[end+1:]
			if u, err := strconv.Unquote(`"` + seg + `"`); err == nil {
				seg = u
			}
		case strings.HasPrefix(s, "'"):
			end := strings.IndexByte(s[1:], '\'')
			if end < 0 {
				return nil, "", false
			}
			seg, s = s[1:end+1], s[end+2:]
		default:
			i := 0
			for i < len(s) && isBare(s[i]) {
				i++
			}
			if i == 0 {
				return nil, "", false
			}
			seg, s = s[:i], s[i:]
		}
		segs = append(segs, seg)
		s = strings.TrimLeft(s, " \t")
		if !strings.HasPrefix(s, ".") {
			return segs, s, true
		}
		s = s[1:]
	}
}

func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// closeBasic returns the index of the '"' closing a basic string whose
// content starts at s[i], or -1.
func closeBasic(s string, i int) int {
	for ; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

// lexState is what is still open at the end of a line: a multi-line string
// (its delimiter) or brackets and braces of a value that spans lines.
type lexState struct {
	open  string
	depth int
}

// scan advances st over one line of value text.
func (st lexState) scan(s string) lexState {
	for i := 0; i < len(s); {
		switch st.open {
		case "'''", `"""`:
			q := st.open[0]
			j := i
			for j < len(s) && !strings.HasPrefix(s[j:], st.open) {
				if q == '"' && s[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(s) {
				return st
			}
			for j < len(s) && s[j] == q { // up to two quotes may end the content
				j++
			}
			st.open, i = "", j
			continue
		}
		switch c := s[i]; c {
		case '#':
			return st
		case '[', '{':
			st.depth++
		case ']', '}':
			if st.depth > 0 {
				st.depth--
			}
		case '\'', '"':
			if d := strings.Repeat(string(c), 3); strings.HasPrefix(s[i:], d) {
				st.open = d
				i += 3
				continue
			}
			var end int
			if c == '"' {
				end = closeBasic(s, i+1)
			} else if end = strings.IndexByte(s[i+1:], '\''); end >= 0 {
				end += i + 1
			}
			if end < 0 {
				return st
			}
			i = end
		}
		i++
	}
	return st
}
