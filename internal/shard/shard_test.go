package shard

import (
	"fmt"
	"strings"
	"testing"
)

func TestParse(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want Spec
		err  string
	}{
		{"0/1", Spec{0, 1}, ""},
		{"2/3", Spec{2, 3}, ""},
		{" 1 / 4 ", Spec{1, 4}, ""},
		{"3/3", Spec{}, "0..2"},
		{"-1/3", Spec{}, "0..2"},
		{"0/0", Spec{}, "at least 1"},
		{"1/-2", Spec{}, "at least 1"},
		{"1", Spec{}, "want I/N"},
		{"", Spec{}, "want I/N"},
		{"a/b", Spec{}, "whole numbers"},
		{"1/2/3", Spec{}, "whole numbers"},
		{"1.0/2", Spec{}, "whole numbers"},
	} {
		t.Run(tc.in, func(t *testing.T) {
			got, err := Parse(tc.in)
			if tc.err == "" {
				if err != nil || got != tc.want {
					t.Errorf("Parse(%q) = %v, %v; want %v", tc.in, got, err, tc.want)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Parse(%q) error %v, want one saying %q", tc.in, err, tc.err)
			}
		})
	}
}

func TestRead(t *testing.T) {
	l, err := Read(strings.NewReader("# repositories\n\nsrc/api\n  src/web/  \nsrc/./api\n" +
		"git@github.com:org/x.git\nhttps://example.invalid/org/y/ # a comment\n\t# indented comment\nsrc/web\n"))
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range l.Entries {
		names = append(names, fmt.Sprintf("%d:%s", e.Line, e.Name))
	}
	want := "3:src/api 4:src/web 6:git@github.com:org/x.git 7:https://example.invalid/org/y"
	if got := strings.Join(names, " "); got != want {
		t.Errorf("entries %s\nwant    %s", got, want)
	}
	if len(l.Duplicates) != 2 || l.Duplicates[0].Line != 5 || l.Duplicates[0].First != 3 || l.Duplicates[1].Line != 9 || l.Duplicates[1].First != 4 {
		t.Errorf("duplicates %+v, want line 5 of 3 and line 9 of 4", l.Duplicates)
	}
}

func TestIsURL(t *testing.T) {
	for in, want := range map[string]bool{
		"https://github.com/a/b": true, "ssh://git@host/a": true, "git@github.com:a/b.git": true,
		"file:///srv/a.git": true, "src/a": false, "/srv/a.git": false, "./a@b:c": false, "a": false,
		"dir/x://y": false,
	} {
		if got := IsURL(in); got != want {
			t.Errorf("IsURL(%q) = %v, want %v", in, got, want)
		}
	}
}

func names(n int) []string {
	var out []string
	for i := range n {
		out = append(out, fmt.Sprintf("https://git.example.invalid/org-%d/repo-%d.git", i%7, i))
	}
	return out
}

// TestShardsPartition: for every N, each entry is in exactly one shard,
// the shards are roughly even, and an entry's shard depends on nothing
// but its text and N (adding entries moves no other).
func TestShardsPartition(t *testing.T) {
	all := names(2000)
	l, err := Read(strings.NewReader(strings.Join(all, "\n")))
	if err != nil {
		t.Fatal(err)
	}
	for _, n := range []int{1, 2, 3, 7, 16, 100} {
		seen := map[string]int{}
		for i := range n {
			got := l.Select(Spec{i, n})
			if len(got) < len(all)/n/3 || len(got) > len(all)/n*2 {
				t.Errorf("N=%d: shard %d has %d of %d entries", n, i, len(got), len(all))
			}
			for _, e := range got {
				seen[e.Name]++
			}
		}
		for _, name := range all {
			if seen[name] != 1 {
				t.Fatalf("N=%d: %s is in %d shards", n, name, seen[name])
			}
		}
	}
	// Growing N by one moves about 1/(N+1) of the entries, no more.
	moved := 0
	for _, name := range all {
		if Of(name, 10) != Of(name, 11) {
			moved++
		}
	}
	if moved > len(all)/11*3/2 {
		t.Errorf("10 to 11 shards moved %d of %d entries", moved, len(all))
	}
}

// TestShardsStable pins assignments: they must never change between
// releases, or a re-run after an upgrade would audit other repositories
// in each shard.
func TestShardsStable(t *testing.T) {
	for _, tc := range []struct {
		name  string
		n     int
		shard int
	}{
		{"a", 3, 1}, {"b", 3, 0}, {"src/api", 4, 3}, {"org-a/api", 16, 10},
		{"https://github.com/leakhound/leakhound", 8, 4},
	} {
		if got := Of(tc.name, tc.n); got != tc.shard {
			t.Errorf("Of(%q, %d) = %d, want %d", tc.name, tc.n, got, tc.shard)
		}
	}
}

func TestReportName(t *testing.T) {
	seen := map[string]string{}
	for _, name := range []string{"org-a/api", "org-b/api", "api", "git@github.com:org/api.git", "https://h/x/api.git",
		"/srv/repos/api.git", "..", "/", "a b/c:d*e?f"} {
		got := ReportName(name, ".json")
		if got != ReportName(name, ".json") {
			t.Errorf("ReportName(%q) differs between calls", name)
		}
		if prev, ok := seen[got]; ok {
			t.Errorf("%q and %q share the report name %s", prev, name, got)
		}
		seen[got] = name
		if strings.ContainsAny(got, `/\:*?" <>|`) || strings.HasPrefix(got, ".") || !strings.HasSuffix(got, ".json") {
			t.Errorf("ReportName(%q) = %q: not a safe file name", name, got)
		}
	}
	if got := ReportName("org-a/api.git", ".json"); !strings.HasPrefix(got, "api-") {
		t.Errorf("ReportName(org-a/api.git) = %s, want it named api-<hash>", got)
	}
}
