package report

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/kmsguard/kmsguard/internal/controls"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// sarifWriter writes SARIF 2.1.0. Each control that produced a finding is a
// rule; each FAIL finding is a result of kind "fail" with a level from its
// severity; each UNKNOWN finding is a result of kind "open" (the tool could
// not decide) with level "none", as SARIF requires for non-fail kinds. PASS
// and NOT_APPLICABLE results (kinds "pass" and "notApplicable") are written
// only with Options.ShowPassed. Suppressed findings carry a SARIF
// suppression. Resources are logical locations named by their ARN.
type sarifWriter struct{ opts Options }

const (
	sarifSchema  = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/os/schemas/sarif-schema-2.1.0.json"
	sarifVersion = "2.1.0"
	toolURI      = "https://github.com/kmsguard/kmsguard"
)

type sarifLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []sarifRun `json:"runs"`
}

type sarifRun struct {
	Tool        sarifTool         `json:"tool"`
	Invocations []sarifInvocation `json:"invocations,omitempty"`
	Results     []sarifResult     `json:"results"`
}

type sarifTool struct {
	Driver sarifDriver `json:"driver"`
}

type sarifDriver struct {
	Name           string      `json:"name"`
	Version        string      `json:"version,omitempty"`
	InformationURI string      `json:"informationUri"`
	Rules          []sarifRule `json:"rules"`
}

type sarifText struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown,omitempty"`
}

type sarifRule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name,omitempty"`
	ShortDescription     sarifText      `json:"shortDescription"`
	FullDescription      *sarifText     `json:"fullDescription,omitempty"`
	Help                 *sarifText     `json:"help,omitempty"`
	HelpURI              string         `json:"helpUri,omitempty"`
	DefaultConfiguration sarifRuleConf  `json:"defaultConfiguration"`
	Properties           map[string]any `json:"properties,omitempty"`
}

type sarifRuleConf struct {
	Level string `json:"level"`
}

type sarifInvocation struct {
	ExecutionSuccessful        bool                `json:"executionSuccessful"`
	StartTimeUTC               string              `json:"startTimeUtc,omitempty"`
	EndTimeUTC                 string              `json:"endTimeUtc,omitempty"`
	ToolExecutionNotifications []sarifNotification `json:"toolExecutionNotifications,omitempty"`
}

type sarifNotification struct {
	Level   string    `json:"level"`
	Message sarifText `json:"message"`
}

type sarifResult struct {
	RuleID              string             `json:"ruleId"`
	RuleIndex           int                `json:"ruleIndex"`
	Kind                string             `json:"kind"`
	Level               string             `json:"level"`
	Message             sarifText          `json:"message"`
	Locations           []sarifLocation    `json:"locations"`
	PartialFingerprints map[string]string  `json:"partialFingerprints"`
	Suppressions        []sarifSuppression `json:"suppressions,omitempty"`
	Properties          map[string]any     `json:"properties"`
}

type sarifLocation struct {
	LogicalLocations []sarifLogicalLocation `json:"logicalLocations"`
}

type sarifLogicalLocation struct {
	Name               string `json:"name,omitempty"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type sarifSuppression struct {
	Kind          string `json:"kind"`
	Status        string `json:"status"`
	Justification string `json:"justification,omitempty"`
}

// sarifLevel maps a severity onto SARIF's three problem levels.
func sarifLevel(l severity.Level) string {
	switch {
	case l >= severity.High:
		return "error"
	case l == severity.Medium:
		return "warning"
	}
	return "note"
}

// securitySeverity is the CVSS-like score GitHub code scanning reads from
// the "security-severity" rule property.
func securitySeverity(l severity.Level) string {
	switch l {
	case severity.Critical:
		return "9.5"
	case severity.High:
		return "8.0"
	case severity.Medium:
		return "5.5"
	case severity.Low:
		return "3.0"
	}
	return "0.0"
}

func sarifKind(s controls.Status) string {
	switch s {
	case controls.StatusFail:
		return "fail"
	case controls.StatusUnknown:
		return "open"
	case controls.StatusPass:
		return "pass"
	}
	return "notApplicable"
}

func (sw sarifWriter) Write(w io.Writer, s Scan) error {
	ctls := controlsOf(s.Findings)
	index := map[string]int{}
	run := sarifRun{
		Tool:    sarifTool{Driver: sarifDriver{Name: "kmsguard", Version: s.ToolVersion, InformationURI: toolURI, Rules: []sarifRule{}}},
		Results: []sarifResult{},
	}
	for i, c := range ctls {
		index[c.ID] = i
		run.Tool.Driver.Rules = append(run.Tool.Driver.Rules, sarifRuleOf(c))
	}
	inv := sarifInvocation{ExecutionSuccessful: len(s.Problems) == 0}
	if !s.StartedAt.IsZero() {
		inv.StartTimeUTC = s.StartedAt.UTC().Format(timeRFC3339Millis)
	}
	if !s.FinishedAt.IsZero() {
		inv.EndTimeUTC = s.FinishedAt.UTC().Format(timeRFC3339Millis)
	}
	for _, p := range s.Problems {
		inv.ToolExecutionNotifications = append(inv.ToolExecutionNotifications, sarifNotification{Level: "warning", Message: sarifText{Text: p}})
	}
	run.Invocations = []sarifInvocation{inv}
	for _, f := range sortedFindings(s.Findings) {
		kind := sarifKind(f.Status)
		if (kind == "pass" || kind == "notApplicable") && !sw.opts.ShowPassed {
			continue
		}
		level := "none"
		if kind == "fail" {
			level = sarifLevel(f.Severity)
		}
		props := map[string]any{"status": f.Status, "severity": f.Severity, "accountId": f.AccountID, "resourceType": f.ResourceType}
		if f.Region != "" {
			props["region"] = f.Region
		}
		if len(f.Evidence) > 0 {
			props["evidence"] = f.Evidence
		}
		r := sarifResult{
			RuleID: f.ControlID, RuleIndex: index[f.ControlID], Kind: kind, Level: level,
			Message: sarifText{Text: f.Reason},
			Locations: []sarifLocation{{LogicalLocations: []sarifLogicalLocation{{
				Name: resourceName(f.ResourceID), FullyQualifiedName: f.ResourceID, Kind: "resource",
			}}}},
			PartialFingerprints: map[string]string{"kmsguardFinding/v1": findingHash(f)},
			Properties:          props,
		}
		if f.Suppressed != nil {
			r.Suppressions = []sarifSuppression{{Kind: "external", Status: "accepted", Justification: f.Suppressed.Reason + expiry(f.Suppressed)}}
		}
		run.Results = append(run.Results, r)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(sarifLog{Schema: sarifSchema, Version: sarifVersion, Runs: []sarifRun{run}})
}

func sarifRuleOf(c *controls.Control) sarifRule {
	r := sarifRule{
		ID:                   c.ID,
		Name:                 ruleName(c.Title),
		ShortDescription:     sarifText{Text: c.Title},
		DefaultConfiguration: sarifRuleConf{Level: sarifLevel(c.Severity)},
		Properties: map[string]any{
			"security-severity": securitySeverity(c.Severity),
			"tags":              append([]string{"security", "aws", "kms"}, mappingTags(c.Mappings)...),
		},
	}
	if c.Rationale != "" {
		r.FullDescription = &sarifText{Text: c.Rationale}
	}
	if text, md := remediationText(c.Remediation); text != "" {
		r.Help = &sarifText{Text: text, Markdown: md}
	}
	if len(c.References) > 0 {
		r.HelpURI = c.References[0]
	}
	return r
}

// remediationText renders a remediation as plain text and as Markdown.
func remediationText(rem controls.Remediation) (string, string) {
	var t, m strings.Builder
	if rem.Summary != "" {
		t.WriteString(rem.Summary + "\n")
		m.WriteString(rem.Summary + "\n")
	}
	if len(rem.Console) > 0 {
		t.WriteString("\nConsole:\n")
		m.WriteString("\n**Console**\n\n")
		for i, step := range rem.Console {
			fmt.Fprintf(&t, "%d. %s\n", i+1, step)
			fmt.Fprintf(&m, "%d. %s\n", i+1, step)
		}
	}
	if len(rem.CLI) > 0 {
		t.WriteString("\nAWS CLI:\n")
		m.WriteString("\n**AWS CLI**\n\n```sh\n")
		for _, cmd := range rem.CLI {
			t.WriteString("  " + cmd + "\n")
			m.WriteString(cmd + "\n")
		}
		m.WriteString("```\n")
	}
	return strings.TrimSpace(t.String()), strings.TrimSpace(m.String())
}

// mappingTags lists a control's framework identifiers as tags, e.g.
// "securityhub/KMS.4", "nist-800-53/SC-12".
func mappingTags(m controls.Mappings) []string {
	var tags []string
	add := func(prefix string, ids []string) {
		for _, id := range ids {
			tags = append(tags, prefix+"/"+id)
		}
	}
	add("securityhub", m.SecurityHub)
	add("aws-config", m.ConfigRules)
	add("guardrail", m.Guardrails)
	add("conformity", m.Conformity)
	add("cis", m.CIS)
	add("nist-800-53", m.NIST80053)
	add("pci-dss", m.PCIDSS)
	return tags
}

// ruleName turns a title into SARIF's suggested PascalCase rule name.
func ruleName(title string) string {
	var b strings.Builder
	for _, w := range strings.FieldsFunc(title, func(r rune) bool {
		return (r < 'a' || r > 'z') && (r < 'A' || r > 'Z') && (r < '0' || r > '9')
	}) {
		b.WriteString(strings.ToUpper(w[:1]) + w[1:])
	}
	return b.String()
}

// resourceName is the last path element of an ARN: key id, policy or role name.
func resourceName(arn string) string {
	if i := strings.LastIndexAny(arn, "/:"); i >= 0 && i < len(arn)-1 {
		return arn[i+1:]
	}
	return arn
}

// findingHash identifies a finding across runs: control, account, region
// and resource, not the reason text (which may change).
func findingHash(f controls.Finding) string {
	sum := sha256.Sum256([]byte(f.ControlID + "\x00" + f.AccountID + "\x00" + f.Region + "\x00" + f.ResourceID))
	return hex.EncodeToString(sum[:12])
}

const timeRFC3339Millis = "2006-01-02T15:04:05.000Z07:00"
