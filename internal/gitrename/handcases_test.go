package gitrename

import (
	"fmt"
	"strings"
)

func file(s string) entry              { return blobEntry(modeFile, []byte(s)) }
func symlink(s string) entry           { return blobEntry(modeSymlink, []byte(s)) }
func gitlink(id string) entry          { return entry{mode: modeGitlink, id: id} }
func withMode(e entry, m uint32) entry { e.mode = m; return e }

// lines returns n distinct lines of the same length, named after tag.
func lines(tag string, from, n int) string {
	var b strings.Builder
	for i := from; i < from+n; i++ {
		fmt.Fprintf(&b, "%-12s line %04d\n", tag, i)
	}
	return b.String()
}

// hand is a hand-made case: the old tree, the paths the new one drops and
// the paths it adds (or changes).
type hand struct {
	name  string
	m     string // -M value
	limit int
	old   map[string]entry
	del   []string
	add   map[string]entry
}

// handCases pins the details that random cases rarely reach: ties, the
// 100-candidate cut of exact renames, the rename limit's boundary, empty
// files, gitlinks, symlinks, the basename step's preference and the
// output order.
func handCases() []*gcase {
	common := lines("common", 0, 30)
	hs := []hand{{
		// Six sources score the same against the destination: the first
		// keeps its slot, later equal ones do not replace it.
		name: "ties-keep-the-first-source",
		old: map[string]entry{
			"t/s1": file(common + lines("only1", 0, 20)), "t/s2": file(common + lines("only2", 0, 20)),
			"t/s3": file(common + lines("only3", 0, 20)), "t/s4": file(common + lines("only4", 0, 20)),
			"t/s5": file(common + lines("only5", 0, 20)), "t/s6": file(common + lines("only6", 0, 20)),
		},
		del: []string{"t/s1", "t/s2", "t/s3", "t/s4", "t/s5", "t/s6"},
		add: map[string]entry{"u/d": file(common + lines("dst", 0, 20))},
	}, {
		// The same with a sixth source of the destination's basename: it
		// is strictly better (name_score) and wins although it comes last.
		name: "ties-prefer-the-same-basename",
		old: map[string]entry{
			"t/s1": file(common + lines("only1", 0, 20)), "t/s2": file(common + lines("only2", 0, 20)),
			"t/s3": file(common + lines("only3", 0, 20)), "t/s4": file(common + lines("only4", 0, 20)),
			"t/s5": file(common + lines("only5", 0, 20)), "v/d": file(common + lines("only6", 0, 20)),
		},
		del: []string{"t/s1", "t/s2", "t/s3", "t/s4", "t/s5", "v/d"},
		add: map[string]entry{"u/d": file(common + lines("dst", 0, 20))},
	}, {
		// Two destinations want the same source: the better pair wins,
		// the other destination takes its second choice.
		name: "greedy-assignment",
		old: map[string]entry{
			"a": file(common + lines("a", 0, 10)),
			"b": file(common + lines("b", 0, 25)),
		},
		del: []string{"a", "b"},
		add: map[string]entry{
			"x": file(common + lines("a", 0, 9)),
			"y": file(common + lines("a", 0, 8) + lines("y", 0, 2)),
		},
	}, {
		name:  "limit-equal-is-under",
		limit: 2,
		old:   map[string]entry{"a1": file(lines("a1", 0, 40)), "a2": file(lines("a2", 0, 40))},
		del:   []string{"a1", "a2"},
		add: map[string]entry{
			"b1": file(lines("a1", 0, 36) + lines("b1", 0, 4)),
			"b2": file(lines("a2", 0, 36) + lines("b2", 0, 4)),
		},
	}, {
		// 3 sources x 2 destinations left after the exact rename: over -l2.
		name:  "limit-over-keeps-exact",
		limit: 2,
		old: map[string]entry{
			"a1": file(lines("a1", 0, 40)), "a2": file(lines("a2", 0, 40)),
			"a3": file(lines("a3", 0, 40)), "a4": file(lines("a4", 0, 40)),
		},
		del: []string{"a1", "a2", "a3", "a4"},
		add: map[string]entry{
			"b1": file(lines("a1", 0, 36) + lines("b1", 0, 4)),
			"b2": file(lines("a2", 0, 36) + lines("b2", 0, 4)),
			"b3": file(lines("a3", 0, 40)),
		},
	}, {
		// The basename step runs before the limit is checked.
		name:  "limit-over-keeps-basename",
		limit: 1,
		old: map[string]entry{
			"x/k.go": file(lines("k", 0, 40)), "y/m.go": file(lines("m", 0, 40)), "y/n.go": file(lines("n", 0, 40)),
		},
		del: []string{"x/k.go", "y/m.go", "y/n.go"},
		add: map[string]entry{
			"z/k.go": file(lines("k", 0, 38) + lines("z", 0, 2)),
			"z/p.go": file(lines("m", 0, 38) + lines("p", 0, 2)),
			"z/q.go": file(lines("n", 0, 38) + lines("q", 0, 2)),
		},
	}, {
		name:  "limit-zero-is-unlimited",
		limit: -1,
		old:   map[string]entry{"a1": file(lines("a1", 0, 40)), "a2": file(lines("a2", 0, 40))},
		del:   []string{"a1", "a2"},
		add: map[string]entry{
			"b1": file(lines("a1", 0, 36) + lines("b1", 0, 4)),
			"b2": file(lines("a2", 0, 36) + lines("b2", 0, 4)),
		},
	}, {
		// Destination a/c/x.c is 80% like a/x.c and 95% like b/y.c: the
		// unique basename pairs it with a/x.c first.
		name: "basename-step-wins-over-a-better-match",
		old: map[string]entry{
			"a/x.c": file(lines("base", 0, 40) + lines("ax", 0, 10)),
			"b/y.c": file(lines("base", 0, 40) + lines("y", 0, 9) + lines("ax", 0, 1)),
		},
		del: []string{"a/x.c", "b/y.c"},
		add: map[string]entry{"a/c/x.c": file(lines("base", 0, 40) + lines("y", 0, 10))},
	}, {
		name: "empty-files",
		old:  map[string]entry{"e1": file(""), "a/e2": file(""), "b/keep": file(""), "f": file("x")},
		del:  []string{"e1", "a/e2", "f"},
		add:  map[string]entry{"c/e2": file(""), "d/x": file(""), "y": file(""), "g": file("")},
	}, {
		name: "gitlinks",
		old: map[string]entry{
			"sub1": gitlink(strings.Repeat("1", 40)), "sub2": gitlink(strings.Repeat("2", 40)),
			"sub3": gitlink(strings.Repeat("3", 40)), "f3": file(strings.Repeat("3", 40)),
		},
		del: []string{"sub1", "sub2", "sub3", "f3"},
		add: map[string]entry{
			"moved/sub1": gitlink(strings.Repeat("1", 40)), "x/sub2": gitlink(strings.Repeat("2", 40)),
			"y/sub2": gitlink(strings.Repeat("2", 40)), "sub4": gitlink(strings.Repeat("4", 40)),
			"g3": file(strings.Repeat("3", 40) + "\n"),
		},
	}, {
		// A symlink and a file with the same blob are never paired; a
		// symlink with an edited target is not renamed either.
		name: "symlinks",
		old: map[string]entry{
			"link": symlink("target.txt"), "reg": file("target.txt"),
			"l2": symlink("some/where/far/away"), "l3": symlink("kept.txt"),
		},
		del: []string{"link", "reg", "l2", "l3"},
		add: map[string]entry{
			"file": file("target.txt"), "newlink": symlink("target.txt"),
			"l2b": symlink("some/where/far/awax"), "d/l3": symlink("kept.txt"),
		},
	}, {
		name: "mode-changes",
		old: map[string]entry{
			"run.sh": withMode(file(lines("sh", 0, 20)), modeExec), "doc": file(lines("doc", 0, 20)),
		},
		del: []string{"run.sh", "doc"},
		add: map[string]entry{
			"bin/run.sh": file(lines("sh", 0, 20)),
			"doc2":       withMode(file(lines("doc", 0, 19)), modeExec),
		},
	}, {
		// Byte order around '/': '-' and '.' sort before it, '0' after.
		name: "output-order",
		old: map[string]entry{
			"a.b": file("1\n"), "a/b": file(lines("ab", 0, 9)), "a0": file("3\n"), "ab": file("4\n"),
			"a-": file(lines("a-", 0, 9)), "z": file(lines("z", 0, 9)),
		},
		del: []string{"a/b", "a0", "a-", "z"},
		add: map[string]entry{
			"a.b": file("1\n2\n"), "a/c": file(lines("ab", 0, 9)), "a-0": file("5\n"),
			"a/a": file(lines("z", 0, 8)), "b-": file(lines("a-", 0, 8) + "x\n"), "ab": symlink("4\n"),
		},
	}, {
		name: "file-becomes-folder",
		old:  map[string]entry{"a": file(lines("a", 0, 9)), "b/c": file(lines("c", 0, 9))},
		del:  []string{"a", "b/c"},
		add:  map[string]entry{"a/x": file(lines("a", 0, 9)), "b": file(lines("c", 0, 8))},
	}, {
		name: "exact-only",
		m:    "100%",
		old:  map[string]entry{"a": file(lines("a", 0, 9)), "b": file(lines("b", 0, 9))},
		del:  []string{"a", "b"},
		add:  map[string]entry{"c": file(lines("a", 0, 9)), "d": file(lines("b", 0, 8))},
	}}
	hs = append(hs,
		manyIdentical("exact-basename-after-100-candidates", 120), manyIdentical("exact-basename-within-100-candidates", 50),
		overDefaultLimit("limit-default-is-1000", 0), overDefaultLimit("limit-zero-is-unlimited-over-1000", -1))

	cases := make([]*gcase, len(hs))
	for i, h := range hs {
		c := &gcase{name: "hand-" + h.name, mArg: h.m, limit: h.limit, old: h.old, new: map[string]entry{}}
		for p, e := range h.old {
			c.new[p] = e
		}
		for _, p := range h.del {
			delete(c.new, p)
		}
		for p, e := range h.add {
			c.new[p] = e
		}
		cases[i] = c
	}
	return cases
}

// manyIdentical deletes 150 identical files and adds one more copy whose
// basename only the at-th source shares: git visits 100 candidates at most.
func manyIdentical(name string, at int) hand {
	h := hand{name: name, old: map[string]entry{}, add: map[string]entry{"z/target": file("same\n")}}
	for i := range 150 {
		p := fmt.Sprintf("s%03d/x%03d", i, i)
		if i == at {
			p = fmt.Sprintf("s%03d/target", i)
		}
		h.old[p] = file("same\n")
		h.del = append(h.del, p)
	}
	return h
}

// overDefaultLimit deletes 1001 files and adds 1001 edited copies under
// other names: 1001 x 1001 is over the default limit of 1000.
func overDefaultLimit(name string, limit int) hand {
	h := hand{name: name, limit: limit, old: map[string]entry{}, add: map[string]entry{}}
	for i := range 1001 {
		p := fmt.Sprintf("d/s%04d", i)
		h.old[p] = file(fmt.Sprintf("x %04d\nshared\n", i))
		h.del = append(h.del, p)
		h.add[fmt.Sprintf("a/t%04d", i)] = file(fmt.Sprintf("x %04d\nshared\nmore\n", i))
	}
	return h
}
