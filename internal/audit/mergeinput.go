package audit

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/leakhound/leakhound/detect"
	"github.com/leakhound/leakhound/rules"
)

// Schema names: what `leakhound audit --report-format json` writes, and
// what `leakhound audit merge` writes.
const (
	AuditSchema = "leakhound-audit/v1"
	MergeSchema = "leakhound-audit-merge/v1"
)

// errMergedReport marks an input that is a merged worklist, not one
// repository's audit (a merge's output left in the folder it reads).
var errMergedReport = errors.New("a merged worklist (" + MergeSchema + "), not an audit: skipped")

// auditInput is one audit report as the merge reads it: the header, and
// each secret as it will be folded in. It is all that is held of a file
// while it is read; the file's bytes are not.
type auditInput struct {
	version, repository, head, headRef string
	generatedAt                        time.Time
	incomplete                         bool
	secrets                            []inputSecret
}

// inputSecret is one secret of one audit report.
type inputSecret struct {
	id, ruleID, description string
	severity                rules.Severity
	confidence              rules.Confidence
	tags                    []string
	secret                  string // as the report shows it: whole or a preview
	repo                    RepoSecret
}

// readInput reads one audit report (docs/audit.md, schema v1) from r,
// decoding one secret at a time. Its errors describe the problem by field
// and byte offset and never quote the input: an input holds secrets.
func readInput(r io.Reader) (*auditInput, error) {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return nil, err
	}
	in := &auditInput{}
	seen := map[string]bool{}
	for dec.More() {
		key, err := dec.Token()
		if err != nil {
			return nil, jsonProblem(dec, err)
		}
		k, _ := key.(string)
		if seen[k] {
			return nil, fmt.Errorf("field %q appears twice", k)
		}
		seen[k] = true
		if err := in.field(dec, k); err != nil {
			return nil, err
		}
	}
	if err := expectDelim(dec, '}'); err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, fmt.Errorf("data after the report's end, at byte %d", dec.InputOffset())
	}
	for _, k := range []string{"schema", "repository", "head", "incomplete", "secrets"} { // required in v1
		if !seen[k] {
			return nil, fmt.Errorf("required field %q is missing", k)
		}
	}
	return in, nil
}

// field decodes the value of the top-level field k.
func (in *auditInput) field(dec *json.Decoder, k string) error {
	var err error
	switch k {
	case "schema":
		var s string
		if err = decode(dec, k, &s); err == nil {
			err = checkSchema(s)
		}
	case "leakhound_version":
		err = decode(dec, k, &in.version)
	case "repository":
		err = decode(dec, k, &in.repository)
	case "head":
		var h jsonHead
		err = decode(dec, k, &h)
		in.head, in.headRef = h.Commit, h.Ref
	case "generated_at":
		var s string
		if err = decode(dec, k, &s); err == nil {
			in.generatedAt, err = parseDate(k, s)
		}
	case "incomplete":
		err = decode(dec, k, &in.incomplete)
	case "secrets":
		err = in.readSecrets(dec)
	default: // summary, and fields later versions add
		var skip json.RawMessage
		err = decode(dec, k, &skip)
	}
	return err
}

func checkSchema(s string) error {
	switch {
	case s == AuditSchema:
		return nil
	case strings.HasPrefix(s, "leakhound-audit-merge/"):
		return errMergedReport
	}
	if isSchemaName(s) {
		return fmt.Errorf("unknown schema %q (want %s)", s, AuditSchema)
	}
	return fmt.Errorf("unknown schema (want %s)", AuditSchema)
}

// isSchemaName reports whether s looks like a schema name (name/vN, at
// most 48 bytes); anything else is not repeated in a message.
func isSchemaName(s string) bool {
	name, v, ok := strings.Cut(s, "/v")
	if !ok || name == "" || v == "" || len(s) > 48 {
		return false
	}
	return strings.Trim(name, "abcdefghijklmnopqrstuvwxyz-") == "" && strings.Trim(v, "0123456789") == ""
}

// readSecrets decodes the secrets array one entry at a time.
func (in *auditInput) readSecrets(dec *json.Decoder) error {
	if err := expectDelim(dec, '['); err != nil {
		return fmt.Errorf("secrets: %w", err)
	}
	ids := map[string]int{}
	for i := 0; dec.More(); i++ {
		var j jsonSecret
		if err := decode(dec, "secrets", &j); err != nil {
			return err
		}
		s, err := toInputSecret(&j)
		if err != nil {
			return fmt.Errorf("secrets[%d]: %w", i, err)
		}
		if first, dup := ids[s.id]; dup {
			return fmt.Errorf("secrets[%d]: the same id as secrets[%d]", i, first)
		}
		ids[s.id] = i
		in.secrets = append(in.secrets, s)
	}
	return expectDelim(dec, ']')
}

// toInputSecret checks one decoded entry and converts it.
func toInputSecret(j *jsonSecret) (inputSecret, error) {
	s := inputSecret{id: j.ID, ruleID: j.RuleID, description: j.Description, tags: j.Tags, secret: j.Secret}
	switch {
	case j.ID == "":
		return s, errors.New(`required field "id" is missing`)
	case j.RuleID == "":
		return s, errors.New(`required field "rule_id" is missing`)
	}
	var ok bool
	if s.severity, ok = rules.ParseSeverity(j.Severity); !ok {
		return s, fmt.Errorf("unknown severity in %q", "severity")
	}
	s.confidence, _ = rules.ParseConfidence(j.Confidence) // "unknown": not set
	if j.Status != "present" && j.Status != "removed" && j.Status != "not-in-head" {
		return s, errors.New(`field "status" is missing or unknown`)
	}
	if j.StillPresent != (j.Status == "present") {
		return s, errors.New(`fields "status" and "still_present" disagree`)
	}
	rs := RepoSecret{Status: j.Status, StillPresent: j.StillPresent, HeadPlaces: j.HeadLocations, Occurrences: j.Occurrences,
		Refs: j.Refs, DaysExposed: j.DaysExposed, ReusedAt: j.ReusedAt}
	var err error
	if rs.Introduced, err = fromJSONLocation("introduced", j.Introduced); err != nil {
		return s, err
	}
	if j.Removed != nil {
		c, err := fromJSONCommit("removed", *j.Removed)
		if err != nil {
			return s, err
		}
		rs.Removed = &c
	}
	for _, l := range j.Locations {
		loc, err := fromJSONLocation("locations", l)
		if err != nil {
			return s, err
		}
		rs.Locations = append(rs.Locations, loc)
	}
	s.repo = rs
	return s, nil
}

func fromJSONCommit(field string, c jsonCommit) (Commit, error) {
	d, err := parseDate(field+".date", c.Date)
	return Commit{ID: c.Commit, Author: c.Author, Email: c.Email, Date: d, Message: c.Message}, err
}

func fromJSONLocation(field string, l jsonLocation) (Location, error) {
	c, err := fromJSONCommit(field, l.jsonCommit)
	return Location{Commit: c, Place: Place{Path: l.Path, Line: l.Line}}, err
}

// parseDate reads an RFC 3339 date; "" is no date.
func parseDate(field, s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return t, fmt.Errorf("field %q is not an RFC 3339 date", field)
	}
	return t, nil
}

// carriesValue reports whether shown, as a report shows a secret, is the
// whole value: it is when it hashes to the secret's id. A masked preview
// never does (short of a hash collision), so a value is never invented.
func (s *inputSecret) carriesValue() bool {
	return s.secret != "" && detect.SecretHash(s.ruleID, s.secret) == s.id
}

func decode(dec *json.Decoder, field string, v any) error {
	if err := dec.Decode(v); err != nil {
		var te *json.UnmarshalTypeError
		if errors.As(err, &te) {
			// te.Value may quote a number from the input: not repeated.
			if te.Field != "" && te.Field != field {
				field += "." + te.Field
			}
			return fmt.Errorf("field %q: wrong type at byte %d", field, te.Offset)
		}
		return jsonProblem(dec, err)
	}
	return nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return jsonProblem(dec, err)
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("not an audit report: want %q at byte %d", string(want), dec.InputOffset())
	}
	return nil
}

// jsonProblem describes a decoding error by kind and offset only: a
// syntax error's message may quote a character of the input.
func jsonProblem(dec *json.Decoder, err error) error {
	var se *json.SyntaxError
	switch {
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF):
		return fmt.Errorf("truncated: the JSON ends at byte %d before the report does", dec.InputOffset())
	case errors.As(err, &se):
		return fmt.Errorf("invalid JSON at byte %d", se.Offset)
	}
	return fmt.Errorf("reading JSON: %w", err)
}
