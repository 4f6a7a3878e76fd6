package report

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"regexp"
	"strings"
	"sync"
	"unicode"
	"unicode/utf8"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/rules"
	"github.com/owenrumney/go-sarif/v2/sarif"
)

// GitHub code scanning's documented limits on an uploaded SARIF file
// (docs.github.com, "SARIF results exceed one or more limits" and "SARIF
// support for code scanning"): beyond them an upload is rejected.
const (
	sarifMaxResults     = 25000    // results per run (only the top 5,000 are shown)
	sarifMaxRules       = 25000    // rules per run
	sarifMaxTagsPerRule = 20       // tags per rule (only 10 are shown)
	sarifMaxGzipBytes   = 10 << 20 // the gzip-compressed file
	sarifFingerprintKey = "leakhound/v1"
	sarifInformationURI = "https://github.com/leakhound/leakhound"
	sarifSRCROOT        = "%SRCROOT%"
	sarifSecurityTag    = "security"
	sarifSecretsTag     = "secret"
	sarifToolName       = "leakhound"
	// sarifUnknownVersion stands for a version nobody gave.
	sarifUnknownVersion = "0.0.0-unknown"
)

// SARIF writes one SARIF 2.1.0 run for GitHub code scanning and other
// SARIF viewers: the rules the results use (with how to rotate that kind
// of credential), and one result per finding located by a repository-
// relative URI and a region, with a partial fingerprint that depends on
// the rule, path and secret but not on line numbers, so alerts survive
// unrelated edits. Messages never hold the whole secret; the region's
// snippet holds the match, masked by --redact. For a git scan whose origin
// is known, the run's versionControlProvenance names it (repository URI
// without credentials, HEAD's commit and branch); each history result
// names its own commit in its properties. Options.Automation becomes the
// run's automationDetails. Over GitHub's limits it keeps the first results
// in report order and says so through Options.Warn.
//
// Besides the schema and GitHub's rules, the output meets the rules of
// Microsoft's SARIF Multitool for SARIF itself and for GitHub Advanced
// Security for Azure DevOps (rule names distinct from ids, a numeric
// version, the driver's fullName); the pipeline identity that service
// also requires is the caller's to give, as Options.Automation.
type SARIF struct{}

// sarifLimits are the limits Write applies; tests shrink them.
var sarifLimits = struct{ results, rules, tags, gzipBytes int }{sarifMaxResults, sarifMaxRules, sarifMaxTagsPerRule, sarifMaxGzipBytes}

// Write implements Reporter.
func (SARIF) Write(w io.Writer, fs []detect.Finding, opt Options) error {
	warn := opt.Warn
	if warn == nil {
		warn = func(string) {}
	}
	if len(fs) > sarifLimits.results {
		warn(fmt.Sprintf("SARIF: %d findings exceed GitHub's %d results per run; the first %d in report order are written", len(fs), sarifLimits.results, sarifLimits.results))
		fs = fs[:sarifLimits.results]
	}
	n := len(fs)
	for {
		doc, err := sarifDocument(fs[:n], opt, warn)
		if err != nil {
			return err
		}
		if n == 0 || gzipSize(doc) <= sarifLimits.gzipBytes {
			if n < len(fs) {
				warn(fmt.Sprintf("SARIF: the file would exceed GitHub's %d bytes compressed; the first %d of %d results are written", sarifLimits.gzipBytes, n, len(fs)))
			}
			_, err = w.Write(doc)
			return err
		}
		n = n * 9 / 10
	}
}

func gzipSize(doc []byte) int {
	var b bytes.Buffer
	zw := gzip.NewWriter(&b)
	zw.Write(doc)
	zw.Close()
	return b.Len()
}

// sarifDocument renders fs as an indented SARIF document.
func sarifDocument(fs []detect.Finding, opt Options, warn func(string)) ([]byte, error) {
	rep, err := sarif.New(sarif.Version210, true)
	if err != nil {
		return nil, err
	}
	run := sarifRun(opt)
	ruleIndex := sarifRules(run, fs, warn)
	run.Results = []*sarif.Result{}
	for i := range fs {
		f := &fs[i]
		idx, ok := ruleIndex[f.RuleID]
		if !ok {
			continue
		}
		run.Results = append(run.Results, sarifResult(f, idx, opt))
	}
	run.VersionControlProvenance = sarifProvenance(opt.Repository)
	run.Invocations = []*sarif.Invocation{sarifInvocation(opt.Incomplete)}
	rep.AddRun(run)
	var b bytes.Buffer
	enc := json.NewEncoder(&b)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(rep); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// sarifRun is a run of leakhound, as the tool version and automation
// details in opt name it, with no rules and no results yet.
func sarifRun(opt Options) *sarif.Run {
	run := sarif.NewRunWithInformationURI(sarifToolName, sarifInformationURI)
	full, version, semantic := sarifVersions(opt.ToolVersion)
	run.Tool.Driver.FullName = &full
	run.Tool.Driver.Version = &version
	if semantic != "" {
		run.Tool.Driver.SemanticVersion = &semantic
	}
	run.AutomationDetails = sarifAutomation(opt.Automation)
	run.Tool.Driver.Rules = []*sarif.ReportingDescriptor{}
	run.OriginalUriBaseIDs = map[string]*sarif.ArtifactLocation{}
	return run
}

// sarifRules adds to run the rules of fs, in the order of their first
// findings, up to GitHub's limit, and returns each one's index.
func sarifRules(run *sarif.Run, fs []detect.Finding, warn func(string)) map[string]uint {
	ruleIndex := map[string]uint{}
	for i := range fs {
		f := &fs[i]
		if _, ok := ruleIndex[f.RuleID]; ok {
			continue
		}
		if len(ruleIndex) == sarifLimits.rules {
			warn(fmt.Sprintf("SARIF: more than GitHub's %d rules per run; results of further rules are left out", sarifLimits.rules))
			break
		}
		ruleIndex[f.RuleID] = uint(len(run.Tool.Driver.Rules))
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRule(f, warn))
	}
	return ruleIndex
}

// sarifProvenance is the run's versionControlProvenance: the repository
// scanned, or nil when none is known.
func sarifProvenance(r *Repository) []*sarif.VersionControlDetails {
	if r == nil || r.URI == "" {
		return nil
	}
	// mappedTo (§3.23.9): the repository's root is %SRCROOT%, the
	// base of every result's URI (the multitool's SARIF2007).
	root := sarifSRCROOT
	vcp := &sarif.VersionControlDetails{RepositoryURI: &r.URI, MappedTo: &sarif.ArtifactLocation{URIBaseId: &root}}
	if r.Revision != "" {
		vcp.RevisionID = &r.Revision
	}
	if r.Branch != "" {
		vcp.Branch = &r.Branch
	}
	return []*sarif.VersionControlDetails{vcp}
}

// sarifInvocation says whether the scan completed, and if not
// (incomplete names what is missing), why.
func sarifInvocation(incomplete string) *sarif.Invocation {
	inv := sarif.NewInvocation().WithExecutionSuccess(incomplete == "")
	if incomplete != "" {
		inv.ToolExecutionNotifications = []*sarif.Notification{
			sarif.NewNotification().WithLevel("error").WithTextMessage("incomplete scan: " + incomplete),
		}
	}
	return inv
}

func sarifRule(f *detect.Finding, warn func(string)) *sarif.ReportingDescriptor {
	desc := f.Description
	if desc == "" {
		desc = f.RuleID
	}
	rotate, link := rotationHelp(f)
	helpText := fmt.Sprintf("%s. %s If it is not a secret, add a leakhound:allow comment on its line or its fingerprint to .leakhoundignore.", desc, rotate)
	helpMD := fmt.Sprintf("**%s**\n\n%s\n\nIf it is not a secret, add a `leakhound:allow` comment on its line, or its fingerprint to `.leakhoundignore`.", desc, rotate)
	if link != "" {
		helpText += " See " + link
		helpMD += fmt.Sprintf("\n\nSee [the provider's documentation](%s).", link)
	}
	tags := []string{sarifSecurityTag, sarifSecretsTag}
	for _, t := range f.Tags {
		if t != sarifSecurityTag && t != sarifSecretsTag {
			tags = append(tags, t)
		}
	}
	if len(tags) > sarifLimits.tags {
		warn(fmt.Sprintf("SARIF: rule %s has %d tags, over GitHub's %d; the first %d are written", f.RuleID, len(tags), sarifLimits.tags, sarifLimits.tags))
		tags = tags[:sarifLimits.tags]
	}
	name := ruleName(f.RuleID)
	return &sarif.ReportingDescriptor{
		ID:                   f.RuleID,
		Name:                 &name,
		ShortDescription:     &sarif.MultiformatMessageString{Text: &desc},
		FullDescription:      &sarif.MultiformatMessageString{Text: &helpText},
		Help:                 &sarif.MultiformatMessageString{Text: &helpText, Markdown: &helpMD},
		DefaultConfiguration: &sarif.ReportingConfiguration{Level: sarifLevel(f)},
		Properties: sarif.Properties{
			"tags":              tags,
			"security-severity": securitySeverity(f),
			"precision":         sarifPrecision(f),
		},
	}
}

// sarifPrecision is GitHub's rule precision (very-high, high, medium, low),
// from the confidence of the rule's first finding.
func sarifPrecision(f *detect.Finding) string {
	switch f.Confidence {
	case rules.ConfidenceMedium:
		return "medium"
	case rules.ConfidenceLow:
		return "low"
	}
	return "high"
}

// ruleName turns "aws-access-key-id" into "AwsAccessKeyId", SARIF's
// convention for a rule's name: words a person reads, where the id is an
// opaque key (§3.49.3, §3.49.7). A name that is the id but for case, as a
// one-word id gives ("jwt", "Jwt"), is one the multitool rejects
// (SARIF1001: leave such a name out), and Advanced Security for Azure
// DevOps requires a name (GHAzDO2012); so such a name says what the rule
// reports: "LeakedJwt".
func ruleName(id string) string {
	var b strings.Builder
	for _, part := range strings.FieldsFunc(id, func(r rune) bool { return r == '-' || r == '_' || r == '.' }) {
		r, n := utf8.DecodeRuneInString(part)
		b.WriteRune(unicode.ToUpper(r))
		b.WriteString(part[n:])
	}
	if name := b.String(); name != "" && !strings.EqualFold(name, id) {
		return name
	}
	return "Leaked" + b.String()
}

// semVer is SemVer 2.0.0's grammar (semver.org, its suggested expression),
// compiled when a SARIF report is first written, not at every start.
var semVer = sync.OnceValue(func() *regexp.Regexp {
	return regexp.MustCompile(`^(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*)(?:\.(?:0|[1-9]\d*|\d*[a-zA-Z-][0-9a-zA-Z-]*))*))?(?:\+([0-9a-zA-Z-]+(?:\.[0-9a-zA-Z-]+)*))?$`)
})

// sarifVersions writes the driver's version fields from a Go module
// version ("v1.2.3", "v0.0.0-20261204185234-15f82df1a2b3+dirty"):
// fullName (§3.19.8) as `leakhound version` prints it; version (§3.19.13)
// without the "v", so that it starts with a digit and versions compare
// (the multitool's SARIF2005), a version that does not ("dev") being
// written as a pre-release of 0.0.0; semanticVersion (§3.19.14), the same
// string when it is SemVer, as every Go module version is without its "v".
func sarifVersions(v string) (full, version, semantic string) {
	if v == "" {
		v = sarifUnknownVersion
	}
	full = sarifToolName + " " + v
	version = strings.TrimPrefix(v, "v")
	if version == "" || version[0] < '0' || version[0] > '9' {
		version = "0.0.0-" + version
	}
	if semVer().MatchString(version) {
		semantic = version
	}
	return full, version, semantic
}

// sarifAutomation writes a run's automationDetails (§3.17), nil when the
// caller has none: an id of our own would override the category GitHub's
// upload-sarif gives a run that has none, and clash with the pipeline
// identity Azure DevOps stamps on one.
func sarifAutomation(a *Automation) *sarif.RunAutomationDetails {
	if a == nil || a.ID == "" {
		return nil
	}
	id := a.ID
	d := &sarif.RunAutomationDetails{ID: &id}
	if len(a.Properties) > 0 {
		d.Properties = sarif.Properties{}
		for k, v := range a.Properties {
			d.Properties[k] = v
		}
	}
	return d
}

func sarifLevel(f *detect.Finding) string {
	switch f.Severity.String() {
	case "critical", "high":
		return "error"
	case "medium":
		return "warning"
	}
	return "note"
}

// securitySeverity is GitHub's 0.0-10.0 score, a string: over 9.0 is
// critical, 7.0-8.9 high, 4.0-6.9 medium, 0.1-3.9 low.
func securitySeverity(f *detect.Finding) string {
	switch f.Severity.String() {
	case "critical":
		return "9.5"
	case "high":
		return "8.0"
	case "medium":
		return "5.5"
	case "low":
		return "3.0"
	}
	return "1.0"
}

// rotations says how to rotate each family of credential, by rule id
// prefix (the first match wins), with the provider's documentation.
var rotations = []struct{ prefixes, text, link string }{
	{"aws", "Deactivate the access key in IAM, create a new one, move every user of the old key to it, then delete the old key; check CloudTrail for use of the leaked key.",
		"https://docs.aws.amazon.com/IAM/latest/UserGuide/id_credentials_access-keys.html"},
	{"github", "Revoke the token in GitHub's settings (or ask an organization owner), create a replacement with the fewest scopes needed, and review the account's security log.",
		"https://docs.github.com/en/authentication/keeping-your-account-and-data-secure/managing-your-personal-access-tokens"},
	{"gitlab", "Revoke the token in GitLab (user, group or project access tokens), create a replacement, and review audit events.",
		"https://docs.gitlab.com/ee/user/profile/personal_access_tokens.html"},
	{"slack", "Revoke the token or webhook in the Slack app's settings and issue a new one; enable token rotation for the app.",
		"https://api.slack.com/authentication/rotation"},
	{"stripe", "Roll the key in the Stripe Dashboard (Developers, API keys), update every service that uses it, and check the logs for requests made with it.",
		"https://docs.stripe.com/keys"},
	{"gcp google", "Delete or regenerate the key in the Google Cloud console (APIs & Services, Credentials; or the service account's keys), and restrict the replacement.",
		"https://cloud.google.com/docs/authentication/api-keys"},
	{"private-key", "Treat the key pair as compromised: generate a new pair, replace the public key everywhere it is trusted (servers, certificates, deploy keys), and revoke any certificate for the old key.", ""},
}

const rotateGeneric = "Revoke or rotate the credential at its provider first, then remove it from the code: it stays in git history and in every clone, so deleting it from the file is not enough."

// rotationHelp says how to rotate the kind of credential f is.
func rotationHelp(f *detect.Finding) (text, link string) {
	for _, r := range rotations {
		for _, p := range strings.Fields(r.prefixes) {
			if strings.HasPrefix(f.RuleID, p) {
				return r.text, r.link
			}
		}
	}
	return rotateGeneric, ""
}

func sarifResult(f *detect.Finding, ruleIdx uint, opt Options) *sarif.Result {
	where := fmt.Sprintf("%s:%d", f.Path, f.StartLine)
	text := fmt.Sprintf("%s found in %s", f.Description, where)
	if f.Secret != "" {
		text = fmt.Sprintf("%s (%s) found in %s", f.Description, textMask(f.Secret, opt.Redact), where)
	}
	if f.Commit != "" {
		text += fmt.Sprintf(", introduced by commit %.12s", f.Commit)
	}
	uri := sarifURI(f.Path)
	base := sarifSRCROOT
	region := &sarif.Region{StartLine: intp(max(f.StartLine, 1)), StartColumn: intp(max(f.StartColumn, 1)),
		EndLine: intp(max(f.EndLine, f.StartLine, 1)), EndColumn: intp(max(f.EndColumn, 0) + 1)}
	if *region.EndLine == *region.StartLine && *region.EndColumn <= *region.StartColumn {
		*region.EndColumn = *region.StartColumn + 1
	}
	if f.Match != "" {
		snippet := maskInMatch(f.Match, f.Secret, opt.Redact)
		region.Snippet = &sarif.ArtifactContent{Text: &snippet}
	}
	ruleID := f.RuleID
	level := sarifLevel(f)
	r := &sarif.Result{
		RuleID:    &ruleID,
		RuleIndex: &ruleIdx,
		Level:     &level,
		Message:   sarif.Message{Text: &text},
		Locations: []*sarif.Location{{PhysicalLocation: &sarif.PhysicalLocation{
			ArtifactLocation: &sarif.ArtifactLocation{URI: &uri, URIBaseId: &base},
			Region:           region,
		}}},
		PartialFingerprints: map[string]interface{}{
			sarifFingerprintKey: f.Path + ":" + f.RuleID + ":" + detect.SecretHash(f.RuleID, f.Secret),
		},
	}
	props := sarif.Properties{"fingerprint": f.Fingerprint, "confidence": f.Confidence.String()}
	if f.Commit != "" {
		props["commit"] = f.Commit
		props["author"] = f.Author
		props["email"] = f.Email
		if !f.Date.IsZero() {
			props["date"] = f.Date.UTC().Format("2006-01-02T15:04:05Z")
		}
		props["commitMessage"] = f.Message
	}
	r.Properties = props
	return r
}

// sarifURI makes a repository-relative path a URI reference: each segment
// percent-encoded, '/' kept.
func sarifURI(path string) string {
	parts := strings.Split(path, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return strings.Join(parts, "/")
}

func intp(v int) *int { return &v }
