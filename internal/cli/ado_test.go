package cli

import (
	"encoding/json"
	"maps"
	"strings"
	"testing"
)

// adoPipeline is the environment of an Azure Pipelines job, with the
// values the SARIF Multitool's emit-run was seen to stamp from them.
func adoPipeline() map[string]string {
	return map[string]string{
		"TF_BUILD":             "True",
		"SYSTEM_COLLECTIONURI": "https://dev.azure.com/contoso/",
		"SYSTEM_TEAMPROJECTID": "3651F6F0-74E5-48D7-8FF9-D62AE2464B1A",
		"SYSTEM_DEFINITIONID":  "42",
		"BUILD_DEFINITIONNAME": "secrets scan",
		"SYSTEM_PHASEID":       "4f1c6c4e-0b8d-4a8c-9d4c-3a3c2b1f0e11",
		"SYSTEM_PHASENAME":     "Scan",
		"BUILD_SOURCEBRANCH":   "refs/heads/main",
		"BUILD_BUILDID":        "1234",
	}
}

const adoWantID = "azuredevops/pipeline/build/contoso/3651f6f0-74e5-48d7-8ff9-d62ae2464b1a/42/4f1c6c4e-0b8d-4a8c-9d4c-3a3c2b1f0e11/refs/heads/main/1234"

// TestADOAutomation: in an Azure pipeline a SARIF run carries the
// pipeline's identity in the form Advanced Security for Azure DevOps
// parses; outside one, none; with variables missing or malformed, none
// and an error naming them.
func TestADOAutomation(t *testing.T) {
	for _, c := range []struct {
		name    string
		change  map[string]string // "" unsets
		wantID  string
		wantErr string
	}{
		{"dev.azure.com", nil, adoWantID, ""},
		{"visualstudio.com, job variables", map[string]string{"SYSTEM_COLLECTIONURI": "https://contoso.visualstudio.com/", "SYSTEM_PHASEID": "", "SYSTEM_PHASENAME": "",
			"SYSTEM_JOBID": "4F1C6C4E-0B8D-4A8C-9D4C-3A3C2B1F0E11", "SYSTEM_JOBNAME": "Job"}, adoWantID, ""},
		{"release pipeline", map[string]string{"SYSTEM_COLLECTIONURI": "https://vsrm.dev.azure.com/contoso", "SYSTEM_DEFINITIONID": "", "BUILD_DEFINITIONID": "42"}, adoWantID, ""},
		{"not a pipeline", map[string]string{"TF_BUILD": ""}, "", ""},
		{"TF_BUILD false", map[string]string{"TF_BUILD": "False"}, "", ""},
		{"no phase", map[string]string{"SYSTEM_PHASEID": ""}, "", "SYSTEM_PHASEID or SYSTEM_JOBID is not set"},
		{"phase not a GUID", map[string]string{"SYSTEM_PHASEID": "scan"}, "", `SYSTEM_PHASEID "scan" is not a GUID`},
		{"empty GUID", map[string]string{"SYSTEM_TEAMPROJECTID": "00000000-0000-0000-0000-000000000000"}, "", "SYSTEM_TEAMPROJECTID"},
		{"definition 0", map[string]string{"SYSTEM_DEFINITIONID": "0"}, "", "SYSTEM_DEFINITIONID"},
		{"definition -1", map[string]string{"SYSTEM_DEFINITIONID": "-1"}, strings.Replace(adoWantID, "/42/", "/-1/", 1), ""},
		{"build id -1", map[string]string{"BUILD_BUILDID": "-1"}, "", "BUILD_BUILDID"},
		{"Azure DevOps Server", map[string]string{"SYSTEM_COLLECTIONURI": "https://tfs.example.com/tfs/DefaultCollection/"}, "", "SYSTEM_COLLECTIONURI"},
	} {
		t.Run(c.name, func(t *testing.T) {
			vars := adoPipeline()
			maps.Copy(vars, c.change)
			a, err := adoAutomation(func(k string) string { return vars[k] })
			switch {
			case c.wantErr != "":
				if a != nil || err == nil || !strings.Contains(err.Error(), c.wantErr) {
					t.Errorf("got %+v, %v; want an error naming %s", a, err, c.wantErr)
				}
			case c.wantID == "":
				if a != nil || err != nil {
					t.Errorf("got %+v, %v; want nothing", a, err)
				}
			default:
				if err != nil || a == nil || a.ID != c.wantID {
					t.Fatalf("got %+v, %v; want id %s", a, err, c.wantID)
				}
				p := a.Properties
				if p["azuredevops/pipeline/build/buildDefinitionName"] != "secrets scan" || p["azuredevops/pipeline/build/phaseId"] != "4f1c6c4e-0b8d-4a8c-9d4c-3a3c2b1f0e11" ||
					p["azuredevops/pipeline/build/phaseName"] == "" || p["azuredevops/pipeline/build/buildDefinitionId"] == "" || len(p) != 4 {
					t.Errorf("properties %v", p)
				}
			}
		})
	}
}

// TestSARIFInAzurePipeline: a scan's SARIF carries the pipeline's identity
// in a pipeline, and a pipeline without it gets a warning that names the
// missing variable, and a file without automationDetails.
func TestSARIFInAzurePipeline(t *testing.T) {
	fx := newFixture(t)
	for _, c := range []struct {
		name, unset, wantID, wantWarn string
	}{
		{"complete", "", adoWantID, ""},
		{"no build id", "BUILD_BUILDID", "", "BUILD_BUILDID is not set"},
	} {
		t.Run(c.name, func(t *testing.T) {
			vars := adoPipeline()
			delete(vars, c.unset)
			r := runEnv(t, Env{Getenv: func(k string) string { return vars[k] }}, "dir", fx.dirty, "--config", fx.config, "--report-format", "sarif")
			if r.code != ExitFindings {
				t.Fatalf("%s\nwant exit 1", r)
			}
			validateSARIF(t, []byte(r.stdout))
			var doc struct {
				Runs []struct{ AutomationDetails struct{ ID string } }
			}
			if err := json.Unmarshal([]byte(r.stdout), &doc); err != nil {
				t.Fatal(err)
			}
			if id := doc.Runs[0].AutomationDetails.ID; id != c.wantID || c.wantWarn != "" && !strings.Contains(r.stderr, c.wantWarn) {
				t.Errorf("automationDetails.id %q, want %q; stderr:\n%s", id, c.wantID, r.stderr)
			}
		})
	}
}
