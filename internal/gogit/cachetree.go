package gogit

import (
	"bytes"
	"strconv"
)

// cacheTree is the index's cache-tree extension ("TREE"): for each folder
// whose tree git knows without writing it, that tree's id and how many
// index entries it covers. Git keeps it up to date on every change to the
// index and drops a folder (and its parents) as soon as an entry under it
// changes; `git commit` writes exactly these trees. A folder whose cached
// tree is HEAD's tree for that folder therefore stages nothing, and
// neither side of it need be read: a commit that stages 10 files of a
// 10,000-file repository reads a dozen trees, not a thousand.
//
// go-git's decoder drops the invalid folders, and with them the shape of
// the extension, so parseIndex reads it.
type cacheTree map[string]cacheNode

type cacheNode struct {
	entries int
	id      string
}

// parse reads one folder's node and its subfolders', recording the
// valid ones under their full paths, and returns what follows them.
func (t cacheTree) parse(b []byte, parent string) ([]byte, error) {
	nul := bytes.IndexByte(b, 0)
	if nul < 0 {
		return nil, errCacheTree
	}
	name := string(b[:nul])
	b = b[nul+1:]
	sp := bytes.IndexByte(b, ' ')
	if sp < 0 {
		return nil, errCacheTree
	}
	entries, err := strconv.Atoi(string(b[:sp]))
	if err != nil {
		return nil, errCacheTree
	}
	b = b[sp+1:]
	nl := bytes.IndexByte(b, '\n')
	if nl < 0 {
		return nil, errCacheTree
	}
	subtrees, err := strconv.Atoi(string(b[:nl]))
	if err != nil || subtrees < 0 || subtrees > len(b) {
		return nil, errCacheTree
	}
	b = b[nl+1:]
	path := name
	if parent != "" {
		path = parent + "/" + name
	}
	if entries >= 0 {
		if len(b) < 20 {
			return nil, errCacheTree
		}
		t[path] = cacheNode{entries: entries, id: hexID(b[:20])}
		b = b[20:]
	}
	for i := 0; i < subtrees; i++ {
		if b, err = t.parse(b, path); err != nil {
			return nil, err
		}
	}
	return b, nil
}

var errCacheTree = fallbackf("index cache-tree does not parse")

func hexID(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 2*len(b))
	for i, c := range b {
		out[2*i], out[2*i+1] = digits[c>>4], digits[c&15]
	}
	return string(out)
}
