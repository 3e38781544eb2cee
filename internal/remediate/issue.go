package remediate

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"strings"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/controls"
)

// Issue is one thing to fix: a failing finding or an alert, on one key.
type Issue struct {
	Source      string `json:"source"` // "finding" or "alert"
	ControlID   string `json:"control_id,omitempty"`
	RuleID      string `json:"rule_id,omitempty"`
	AlertID     string `json:"alert_id,omitempty"`
	EventName   string `json:"event_name,omitempty"`
	ResourceID  string `json:"resource_id"` // the key ARN (or the resource the finding names)
	AccountID   string `json:"account_id,omitempty"`
	Region      string `json:"region,omitempty"`
	Reason      string `json:"reason,omitempty"`
	Remediation string `json:"-"` // the control's remediation summary, for manual actions
}

// Inputs are the issues to plan for and what was left out, and why.
type Inputs struct {
	Issues  []Issue
	Skipped []string // one line each: findings not FAIL, suppressed, failed calls
}

// reportFinding is a finding of the scan JSON report (docs/report-json.md).
type reportFinding struct {
	controls.Finding
	Control *struct {
		Remediation controls.Remediation `json:"remediation"`
	} `json:"control"`
}

// ReadFindings reads a `kmsguard scan --format json` report. name is used
// in errors.
func ReadFindings(r io.Reader, name string) (Inputs, error) {
	var rep struct {
		SchemaVersion string           `json:"schema_version"`
		Findings      *[]reportFinding `json:"findings"`
	}
	if err := decodeStrictTop(r, &rep); err != nil {
		return Inputs{}, fmt.Errorf("%s: %w", name, err)
	}
	if rep.Findings == nil {
		return Inputs{}, fmt.Errorf("%s: not a kmsguard scan JSON report: no \"findings\" array", name)
	}
	fs := make([]controls.Finding, 0, len(*rep.Findings))
	for i, f := range *rep.Findings {
		if f.ControlID == "" || f.ResourceID == "" {
			return Inputs{}, fmt.Errorf("%s: findings[%d]: control_id and resource_id are required", name, i)
		}
		if f.Control != nil {
			f.Finding.Control = &controls.Control{ID: f.ControlID, Remediation: f.Control.Remediation}
		}
		fs = append(fs, f.Finding)
	}
	return FromFindings(fs), nil
}

// FromFindings selects the failing, unsuppressed findings.
func FromFindings(fs []controls.Finding) Inputs {
	var in Inputs
	for _, f := range fs {
		switch {
		case f.Status != controls.StatusFail:
			continue // PASS, NOT_APPLICABLE and UNKNOWN have nothing to fix; counted below
		case f.Suppressed != nil:
			in.Skipped = append(in.Skipped, fmt.Sprintf("%s %s: suppressed (%s)", f.ControlID, f.ResourceID, f.Suppressed.Reason))
			continue
		}
		is := Issue{Source: "finding", ControlID: f.ControlID, ResourceID: f.ResourceID, AccountID: f.AccountID,
			Region: f.Region, Reason: f.Reason}
		if f.Control != nil {
			is.Remediation = f.Control.Remediation.Summary
		}
		in.Issues = append(in.Issues, is)
	}
	if n := countNotFailing(fs); n > 0 {
		in.Skipped = append(in.Skipped, fmt.Sprintf("%d finding(s) not FAIL (PASS, UNKNOWN, NOT_APPLICABLE): nothing to remediate", n))
	}
	return in
}

func countNotFailing(fs []controls.Finding) int {
	n := 0
	for _, f := range fs {
		if f.Status != controls.StatusFail {
			n++
		}
	}
	return n
}

// ReadAlerts reads `kmsguard detect --format json` output: an envelope with
// an "alerts" array. Each successful alert becomes one issue per key.
func ReadAlerts(r io.Reader, name string) (Inputs, error) {
	var env struct {
		Alerts *[]alert.Alert `json:"alerts"`
	}
	if err := decodeStrictTop(r, &env); err != nil {
		return Inputs{}, fmt.Errorf("%s: %w", name, err)
	}
	if env.Alerts == nil {
		return Inputs{}, fmt.Errorf("%s: not a kmsguard detect JSON document: no \"alerts\" array", name)
	}
	var in Inputs
	for i, a := range *env.Alerts {
		where := fmt.Sprintf("alert %s (%s, %s)", cmpOr(a.ID, fmt.Sprintf("#%d", i)), a.RuleID, a.EventName)
		if a.Outcome != "" && a.Outcome != "success" {
			in.Skipped = append(in.Skipped, where+": the call failed, so nothing changed")
			continue
		}
		base := Issue{Source: "alert", RuleID: a.RuleID, AlertID: a.ID, EventName: a.EventName,
			AccountID: a.AccountID, Region: a.Region, Reason: a.RuleTitle, Remediation: firstLine(a.Guide)}
		if len(a.KeyARNs) == 0 {
			base.ResourceID = "(no key in the alert)"
			in.Issues = append(in.Issues, base)
			continue
		}
		for _, k := range a.KeyARNs {
			is := base
			is.ResourceID = cmpOr(k, "(empty key ARN in the alert)")
			in.Issues = append(in.Issues, is)
		}
	}
	return in, nil
}

// decodeStrictTop decodes one JSON document and rejects trailing data.
func decodeStrictTop(r io.Reader, v any) error {
	data, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	dec := json.NewDecoder(bytes.NewReader(data))
	if err := dec.Decode(v); err != nil {
		var se *json.SyntaxError
		var te *json.UnmarshalTypeError
		switch {
		case errors.As(err, &se):
			return fmt.Errorf("invalid JSON at offset %d: %v", se.Offset, err)
		case errors.As(err, &te):
			field := strings.ReplaceAll(te.Field, ".Finding.", ".")
			if field == "" {
				field = "the top level"
			}
			return fmt.Errorf("at %s (offset %d): %s where %s was expected", field, te.Offset, te.Value, te.Type)
		}
		return fmt.Errorf("invalid JSON: %v", err)
	}
	if dec.More() {
		return fmt.Errorf("trailing data after the JSON document at offset %d", dec.InputOffset())
	}
	return nil
}

func firstLine(s string) string {
	s, _, _ = strings.Cut(strings.TrimSpace(s), "\n")
	return s
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}
