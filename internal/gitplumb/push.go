package gitplumb

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"strings"
	"unicode"
)

// PushUpdate is one ref a push updates, as git tells a pre-push hook on
// its standard input (githooks(5), "pre-push"):
//
//	<local ref> SP <local object name> SP <remote ref> SP <remote object name> LF
//
// The local object name is all zeros when the push deletes the remote
// ref, the remote one when the remote ref does not exist yet.
type PushUpdate struct {
	LocalRef, LocalID, RemoteRef, RemoteID string
}

// Deletes reports whether the update deletes the remote ref.
func (u PushUpdate) Deletes() bool { return IsZero(u.LocalID) }

// Limits on what ParsePushUpdates accepts: git writes one short line per
// ref pushed.
const (
	maxPushLine  = 16 << 10
	maxPushLines = 1 << 20
)

// ParsePushUpdates reads a pre-push hook's standard input. Both object
// names must be full hexadecimal ids; the local ref, which git writes as
// the user gave it, may hold spaces (HEAD@{1 day ago}), so the line is
// split from the right. Errors quote at most the start of a line: the
// input holds ref names and ids, never file content.
func ParsePushUpdates(r io.Reader) ([]PushUpdate, error) {
	sc := bufio.NewScanner(r)
	sc.Buffer(make([]byte, 0, 4096), maxPushLine)
	var out []PushUpdate
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimRight(sc.Text(), "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		if len(out) >= maxPushLines {
			return nil, fmt.Errorf("pre-push input: more than %d lines", maxPushLines)
		}
		f := strings.Fields(line)
		if len(f) < 4 {
			return nil, fmt.Errorf("pre-push input line %d: want <local ref> <local id> <remote ref> <remote id>, got %q", n, Truncate(line, 100))
		}
		k := len(f)
		u := PushUpdate{LocalRef: strings.Join(f[:k-3], " "), LocalID: f[k-3], RemoteRef: f[k-2], RemoteID: f[k-1]}
		if !validID(u.LocalID) || !validID(u.RemoteID) {
			return nil, fmt.Errorf("pre-push input line %d: %q: object names must be full hexadecimal ids", n, Truncate(line, 100))
		}
		out = append(out, u)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("pre-push input: %w", err)
	}
	return out, nil
}

// PushRevs returns the rev-list arguments that select the commits the
// updates send that the remote does not have yet: every local commit,
// then --not every remote commit this repository has. For a new remote
// ref (or a remote commit not fetched here, so unknown) there is no such
// commit, and what is on any remote-tracking branch counts as already
// pushed: --not --remotes. Deletions send nothing. Every argument is an
// id git resolved or one of those two options, never text from the
// input. notes say, without any secret, what was not scanned and why.
// args is empty when nothing is to be scanned.
func (g *Git) PushRevs(ctx context.Context, updates []PushUpdate) (args, notes []string, err error) {
	locals, remotes, err := pushedIDs(updates)
	if err != nil || len(locals) == 0 {
		return nil, nil, err
	}
	revs := make([]string, 0, len(locals)+len(remotes))
	revs = append(append(revs, locals...), remotes...)
	ids, err := g.ResolveCommits(ctx, revs)
	if err != nil {
		return nil, nil, err
	}
	pos, notes, allRemotes := pushTips(updates, ids[:len(locals)])
	neg, remoteNotes, unknown := pushBases(remotes, ids[len(locals):])
	notes = append(notes, remoteNotes...)
	if len(pos) == 0 {
		return nil, notes, nil
	}
	return revListArgs(pos, neg, allRemotes || unknown), notes, nil
}

// pushedIDs returns the local ids the updates send (none for a deletion)
// and the remote ids they replace (none for a new remote ref), checked
// to be full hexadecimal ids.
func pushedIDs(updates []PushUpdate) (locals, remotes []string, err error) {
	for _, u := range updates {
		if u.Deletes() {
			continue
		}
		if !validID(u.LocalID) || !validID(u.RemoteID) {
			return nil, nil, fmt.Errorf("push of %q: invalid object id", Truncate(u.LocalRef, 100))
		}
		locals = append(locals, u.LocalID)
		if !IsZero(u.RemoteID) {
			remotes = append(remotes, u.RemoteID)
		}
	}
	return locals, remotes, nil
}

// pushTips returns the commits the updates that send something name,
// once each, given ids, what their local ids resolved to; notes for those
// that name no commit; and allRemotes when one creates a remote ref.
func pushTips(updates []PushUpdate, ids []string) (pos, notes []string, allRemotes bool) {
	seen := map[string]bool{}
	i := 0
	for _, u := range updates {
		if u.Deletes() {
			continue
		}
		local := ids[i]
		i++
		switch {
		case local == "":
			notes = append(notes, fmt.Sprintf("%s (%s) is not a commit, so it has no history to scan", Truncate(u.LocalRef, 100), u.LocalID))
		case !seen[local]:
			seen[local] = true
			pos = append(pos, local)
		}
		if IsZero(u.RemoteID) {
			allRemotes = true
		}
	}
	return pos, notes, allRemotes
}

// pushBases returns the remote's commits that are here, once each, given
// ids, what remotes resolved to; and, with a note, unknown when one is
// not here.
func pushBases(remotes, ids []string) (neg, notes []string, unknown bool) {
	seen := map[string]bool{}
	for j, id := range ids {
		switch {
		case id == "":
			notes = append(notes, fmt.Sprintf("the remote's %s is not in this repository (fetch to narrow the scan): "+
				"every commit on no remote-tracking branch is scanned", remotes[j]))
			unknown = true
		case !seen[id]:
			seen[id] = true
			neg = append(neg, id)
		}
	}
	return neg, notes, unknown
}

// revListArgs selects pos --not neg, and --not what any remote-tracking
// branch holds too when allRemotes.
func revListArgs(pos, neg []string, allRemotes bool) []string {
	args := pos
	if len(neg) > 0 || allRemotes {
		args = append(args, "--not")
		args = append(args, neg...)
		if allRemotes {
			args = append(args, "--remotes")
		}
	}
	return args
}

// ResolveCommits returns, for each rev (a ref name, an id, an expression
// such as origin/main~2), the id of the commit it names, or "" when it
// names none here: unknown, or an object that is not a commit or a tag of
// one. Revs are written to `git cat-file --batch-check` on its standard
// input, never as arguments, so none can be taken for an option; a rev
// that starts with '-' or holds a control character is refused anyway. In
// a partial clone git stops at the first id it does not have (it may not
// fetch); each rev is then asked alone with `git rev-parse --verify`.
func (g *Git) ResolveCommits(ctx context.Context, revs []string) ([]string, error) {
	for _, r := range revs {
		if err := checkRev(r); err != nil {
			return nil, err
		}
	}
	if len(revs) == 0 {
		return nil, nil
	}
	ids, err := g.resolveBatch(ctx, revs)
	if err == nil {
		return ids, nil
	}
	ids = make([]string, len(revs))
	for i, r := range revs {
		if ids[i], err = g.resolveOne(ctx, r); err != nil {
			return nil, err
		}
	}
	return ids, nil
}

// checkRev refuses what could be read as an option or a second request.
func checkRev(r string) error {
	switch {
	case r == "":
		return errors.New("empty revision")
	case strings.HasPrefix(r, "-"):
		return fmt.Errorf("revision %q must not start with '-'", Truncate(r, 100))
	case len(r) > 4096:
		return fmt.Errorf("revision %q is too long", Truncate(r, 100))
	case strings.IndexFunc(r, unicode.IsControl) >= 0:
		return fmt.Errorf("revision %q holds a control character", Truncate(r, 100))
	}
	return nil
}

func (g *Git) resolveBatch(ctx context.Context, revs []string) ([]string, error) {
	cmd := g.Command(ctx, "cat-file", "--batch-check=%(objectname) %(objecttype)")
	var in strings.Builder
	for _, r := range revs {
		in.WriteString(r)
		in.WriteString("^{commit}\n")
	}
	cmd.Stdin = strings.NewReader(in.String())
	var stderr Stderr
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	if err != nil {
		return nil, fmt.Errorf("git cat-file --batch-check: %w", stderr.Wrap(err))
	}
	lines := strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
	if len(lines) != len(revs) {
		return nil, fmt.Errorf("git cat-file --batch-check: %d answers to %d requests", len(lines), len(revs))
	}
	ids := make([]string, len(revs))
	for i, l := range lines {
		if id, typ, ok := strings.Cut(l, " "); ok && typ == "commit" && validID(id) {
			ids[i] = id
		}
	}
	return ids, nil
}

func (g *Git) resolveOne(ctx context.Context, rev string) (string, error) {
	cmd := g.Command(ctx, "rev-parse", "-q", "--verify", rev+"^{commit}")
	var stderr Stderr
	cmd.Stderr = &stderr
	out, err := cmd.Output()
	var ee *exec.ExitError
	if errors.As(err, &ee) {
		return "", nil // not here (or not fetched into a partial clone)
	}
	if err != nil {
		return "", fmt.Errorf("git rev-parse: %w", stderr.Wrap(err))
	}
	id := strings.TrimSpace(string(out))
	if !validID(id) {
		return "", fmt.Errorf("git rev-parse: unexpected output %q", Truncate(id, 100))
	}
	return id, nil
}

// IsID reports whether s is a full hexadecimal object id (SHA-1 or
// SHA-256, lower case, as git prints them).
func IsID(s string) bool { return validID(s) }
