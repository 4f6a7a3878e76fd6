package rules

import (
	"bufio"
	"bytes"
	"strings"
)

// lineIndex maps decoded TOML back to line numbers, which the TOML
// library does not expose for keys inside arrays of tables. It records
// where each [[rules]] table starts and on which line each key of that
// table is written. It is a best-effort scan: a wrong guess only
// degrades a message, never a decision.
type lineIndex struct {
	ruleStart []int                     // line of the i-th [[rules]] header
	keys      []map[string]int          // per rule: key → line
	top       map[string]map[string]int // table name ("" for root) → key → line
	tables    map[string]int            // table header → first line
}

func newLineIndex(data []byte) *lineIndex {
	ix := &lineIndex{top: map[string]map[string]int{"": {}}, tables: map[string]int{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 64*1024), 16*1024*1024)
	table, inRule := "", -1
	var multi string // the delimiter of an open multi-line string
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if multi != "" {
			if strings.Count(line, multi)%2 == 1 {
				multi = ""
			}
			continue
		}
		switch {
		case strings.HasPrefix(line, "[["):
			table = strings.TrimSpace(strings.Trim(line, "[] \t"))
			if i := strings.IndexByte(table, '#'); i >= 0 {
				table = strings.TrimSpace(table[:i])
			}
			if table == "rules" {
				ix.ruleStart = append(ix.ruleStart, n)
				ix.keys = append(ix.keys, map[string]int{})
				inRule = len(ix.ruleStart) - 1
			}
			if _, ok := ix.tables[table]; !ok {
				ix.tables[table] = n
			}
		case strings.HasPrefix(line, "["):
			table = strings.TrimSpace(strings.Trim(line, "[] \t"))
			if !strings.HasPrefix(table, "rules.") {
				inRule = -1
			}
			if _, ok := ix.tables[table]; !ok {
				ix.tables[table] = n
			}
		default:
			eq := strings.IndexByte(line, '=')
			if eq <= 0 || strings.HasPrefix(line, "#") {
				continue
			}
			key := strings.Trim(strings.TrimSpace(line[:eq]), `"'`)
			if inRule >= 0 && (table == "rules" || strings.HasPrefix(table, "rules.")) {
				qual := key
				if table != "rules" {
					qual = strings.TrimPrefix(table, "rules.") + "." + key
				}
				if _, ok := ix.keys[inRule][qual]; !ok {
					ix.keys[inRule][qual] = n
				}
			} else {
				if ix.top[table] == nil {
					ix.top[table] = map[string]int{}
				}
				if _, ok := ix.top[table][key]; !ok {
					ix.top[table][key] = n
				}
			}
			rest := line[eq+1:]
			for _, d := range []string{"'''", `"""`} {
				if strings.Count(rest, d)%2 == 1 {
					multi = d
				}
			}
		}
	}
	return ix
}

// rule returns the line of key in the i-th rule, or the rule's header line.
func (ix *lineIndex) rule(i int, key string) int {
	if i < 0 || i >= len(ix.ruleStart) {
		return 0
	}
	if key != "" {
		if n, ok := ix.keys[i][key]; ok {
			return n
		}
	}
	return ix.ruleStart[i]
}

// key returns the line of key in a top-level table, or the table's header.
func (ix *lineIndex) key(table, key string) int {
	if n, ok := ix.top[table][key]; ok {
		return n
	}
	return ix.tables[table]
}
