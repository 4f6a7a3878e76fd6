package rules

import (
	"fmt"
	"sort"
	"strings"
)

// Error is one problem in a configuration, with where it is.
type Error struct {
	File string
	Line int    // 1-based; 0 when unknown
	Rule string // rule id, when the problem is inside a rule
	Msg  string
}

func (e *Error) Error() string {
	var b strings.Builder
	b.WriteString(e.File)
	if e.Line > 0 {
		fmt.Fprintf(&b, ":%d", e.Line)
	}
	b.WriteString(": ")
	if e.Rule != "" {
		fmt.Fprintf(&b, "rule %q: ", e.Rule)
	}
	b.WriteString(e.Msg)
	return b.String()
}

// ErrorList collects every problem found in a configuration so that a user
// sees them all at once. Its zero value is ready to use.
type ErrorList []*Error

// Add appends a problem.
func (l *ErrorList) Add(file string, line int, rule, format string, args ...any) {
	*l = append(*l, &Error{File: file, Line: line, Rule: rule, Msg: fmt.Sprintf(format, args...)})
}

// Sort orders the list by file, then line.
func (l ErrorList) Sort() {
	sort.SliceStable(l, func(i, j int) bool {
		if l[i].File != l[j].File {
			return l[i].File < l[j].File
		}
		return l[i].Line < l[j].Line
	})
}

func (l ErrorList) Error() string {
	switch len(l) {
	case 0:
		return "no errors"
	case 1:
		return l[0].Error()
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%d problems in configuration:", len(l))
	for _, e := range l {
		b.WriteString("\n  ")
		b.WriteString(e.Error())
	}
	return b.String()
}

// Err returns l as an error, or nil if l is empty.
func (l ErrorList) Err() error {
	if len(l) == 0 {
		return nil
	}
	l.Sort()
	return l
}
