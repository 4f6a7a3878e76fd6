package cli

import (
	"fmt"
	"net/url"
	"strconv"
	"strings"

	"github.com/leakhound/leakhound/report"
)

// adoBuild starts every automationDetails.id that GitHub Advanced
// Security for Azure DevOps accepts, and the names of the properties that
// name the pipeline's definition and phase.
const adoBuild = "azuredevops/pipeline/build/"

// adoAutomation is the identity of the Azure Pipelines job leakhound runs
// in, which GitHub Advanced Security for Azure DevOps requires of every
// SARIF run it ingests: an automationDetails.id
// "azuredevops/pipeline/build/<org>/<project id>/<definition id>/<phase id>/<branch>/<build id>"
// and four properties naming the definition and the phase (the SARIF
// Multitool's rules GHAzDO1014, GHAzDO1019 and GHAzDO1020). It is read from
// the pipeline's predefined variables as the multitool's own emit-run
// stamps them, so that the identity Azure DevOps' publishing task would
// stamp is the one already there. Outside a pipeline (TF_BUILD not "True")
// it is nil; in one whose variables are missing or malformed it is nil,
// with an error naming them.
func adoAutomation(getenv func(string) string) (*report.Automation, error) {
	if !strings.EqualFold(strings.TrimSpace(getenv("TF_BUILD")), "true") {
		return nil, nil
	}
	v := adoVars{getenv: getenv}
	org := v.org("SYSTEM_COLLECTIONURI")
	project := v.guid("SYSTEM_TEAMPROJECTID")
	def := v.integer(true, "SYSTEM_DEFINITIONID", "BUILD_DEFINITIONID")
	defName := v.text("BUILD_DEFINITIONNAME")
	phase := v.guid("SYSTEM_PHASEID", "SYSTEM_JOBID")
	phaseName := v.text("SYSTEM_PHASENAME", "SYSTEM_JOBNAME")
	branch := v.text("BUILD_SOURCEBRANCH")
	build := v.integer(false, "BUILD_BUILDID")
	if len(v.problems) > 0 {
		return nil, fmt.Errorf("TF_BUILD is set, but %s", strings.Join(v.problems, "; "))
	}
	return &report.Automation{
		ID: adoBuild + strings.Join([]string{org, project, def, phase, branch, build}, "/"),
		Properties: map[string]string{
			adoBuild + "buildDefinitionId":   def,
			adoBuild + "buildDefinitionName": defName,
			adoBuild + "phaseId":             phase,
			adoBuild + "phaseName":           phaseName,
		},
	}, nil
}

// adoVars reads pipeline variables, each from the first of its names that
// is set, and collects what is wrong with them.
type adoVars struct {
	getenv   func(string) string
	problems []string
}

func (v *adoVars) text(names ...string) string {
	for _, n := range names {
		if s := strings.TrimSpace(v.getenv(n)); s != "" {
			return s
		}
	}
	v.problems = append(v.problems, strings.Join(names, " or ")+" is not set")
	return ""
}

// guid reads a GUID in its canonical 8-4-4-4-12 form, written lower-case;
// the all-zero GUID names nothing.
func (v *adoVars) guid(names ...string) string {
	s := strings.ToLower(v.text(names...))
	if s == "" {
		return ""
	}
	ok := len(s) == 36 && strings.Trim(s, "0-") != ""
	for i := 0; ok && i < len(s); i++ {
		if i == 8 || i == 13 || i == 18 || i == 23 {
			ok = s[i] == '-'
		} else {
			ok = s[i] >= '0' && s[i] <= '9' || s[i] >= 'a' && s[i] <= 'f'
		}
	}
	if !ok {
		v.problems = append(v.problems, fmt.Sprintf("%s %q is not a GUID", names[0], s))
		return ""
	}
	return s
}

// integer reads a positive integer (or -1, when sentinel allows it: a
// definition id Azure DevOps does not know).
func (v *adoVars) integer(sentinel bool, names ...string) string {
	s := v.text(names...)
	if s == "" {
		return ""
	}
	if n, err := strconv.Atoi(s); err != nil || n <= 0 && !(sentinel && n == -1) {
		v.problems = append(v.problems, fmt.Sprintf("%s %q is not a positive integer", names[0], s))
		return ""
	}
	return s
}

// org reads the organization from the collection's URI:
// https://dev.azure.com/<org>/ or https://<org>.visualstudio.com/ (or
// their vsrm. forms, in release pipelines). Azure DevOps Server has no
// Advanced Security, hence no form of its own here.
func (v *adoVars) org(name string) string {
	s := v.text(name)
	if s == "" {
		return ""
	}
	u, err := url.Parse(s)
	if err == nil {
		host := strings.ToLower(u.Hostname())
		first, _, _ := strings.Cut(strings.Trim(u.Path, "/"), "/")
		switch {
		case (host == "dev.azure.com" || host == "vsrm.dev.azure.com") && first != "":
			return first
		case strings.HasSuffix(host, ".vsrm.visualstudio.com"):
			return strings.TrimSuffix(host, ".vsrm.visualstudio.com")
		case strings.HasSuffix(host, ".visualstudio.com"):
			return strings.TrimSuffix(host, ".visualstudio.com")
		}
	}
	v.problems = append(v.problems, fmt.Sprintf("%s %q is not an Azure DevOps Services organization's URI", name, s))
	return ""
}
