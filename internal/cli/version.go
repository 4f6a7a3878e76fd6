package cli

import (
	"runtime/debug"
	"time"
)

// develVersion is the version of a build that says nothing of where it
// came from (go run, go test, go build -buildvcs=false outside a module
// version): a pre-release of 0.0.0, so that it still reads as a version.
const develVersion = "v0.0.0-devel"

// toolVersion is leakhound's version, the same in `leakhound version`,
// SARIF and the audit's JSON: Version when set at build time, else what
// Go stamped into the binary.
func toolVersion() string {
	if Version != "" {
		return Version
	}
	info, _ := debug.ReadBuildInfo()
	return buildVersion(info)
}

// buildVersion is the version Go's build information gives, written as Go
// writes module versions: the module's version when Go knows one (a tag,
// "v1.2.3", for go install ...@v1.2.3 or a build at a tagged commit; since
// Go 1.24 also a pseudo-version for any git checkout), else a
// pseudo-version made from the commit ("v0.0.0-20261204185234-15f82df1a2b3"),
// with "+dirty" when the work tree had changes; develVersion when the
// binary names no commit.
func buildVersion(info *debug.BuildInfo) string {
	if info == nil {
		return develVersion
	}
	if v := info.Main.Version; v != "" && v != "(devel)" {
		return v
	}
	vcs := map[string]string{}
	for _, s := range info.Settings {
		vcs[s.Key] = s.Value
	}
	rev := vcs["vcs.revision"]
	if rev == "" {
		return develVersion
	}
	rev = rev[:min(len(rev), 12)]
	v := "v0.0.0-rev-" + rev // no time: still a version, still the commit
	if t, err := time.Parse(time.RFC3339, vcs["vcs.time"]); err == nil {
		v = "v0.0.0-" + t.UTC().Format("20060102150405") + "-" + rev
	}
	if vcs["vcs.modified"] == "true" {
		v += "+dirty"
	}
	return v
}
