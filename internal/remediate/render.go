package remediate

import (
	"encoding/json"
	"fmt"
	"io"
	"strings"
)

// WriteText renders the plan (and, after Apply, the results) for people.
func WriteText(w io.Writer, p Plan) error {
	var b strings.Builder
	counts := map[Status]int{}
	for _, a := range p.Actions {
		counts[a.Status]++
	}
	fmt.Fprintf(&b, "Remediation plan: %d action(s): %d planned, %d already done, %d refused, %d manual\n",
		len(p.Actions), counts[StatusPlanned], counts[StatusAlreadyDone], counts[StatusRefused], counts[StatusManual])
	for _, a := range p.Actions {
		b.WriteString("\n")
		title := string(a.Kind)
		if len(a.Edits) > 0 {
			title += " (" + joinEdits(a.Edits) + ")"
		}
		fmt.Fprintf(&b, "[%d] %s  %s\n", a.ID, title, a.KeyARN)
		fmt.Fprintf(&b, "    status: %s\n", a.Status)
		for _, is := range a.Fixes {
			fmt.Fprintf(&b, "    fixes:  %s\n", describeIssue(is))
		}
		if a.Reason != "" {
			fmt.Fprintf(&b, "    why:    %s\n", a.Reason)
		}
		for _, c := range a.Calls {
			fmt.Fprintf(&b, "    call:   %s\n", describeCall(c))
		}
		if a.Diff != "" {
			b.WriteString("    diff:\n")
			for _, line := range strings.Split(strings.TrimSuffix(a.Diff, "\n"), "\n") {
				b.WriteString("      " + line + "\n")
			}
		}
		if r := a.Result; r != nil {
			fmt.Fprintf(&b, "    result: %s: %s\n", r.Status, r.Detail)
		}
	}
	if len(p.Skipped) > 0 {
		b.WriteString("\nNot remediated:\n")
		for _, s := range p.Skipped {
			b.WriteString("  - " + s + "\n")
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// WriteJSON renders the plan as one JSON document (fields are only ever
// added; see docs/remediate.md).
func WriteJSON(w io.Writer, p Plan) error {
	doc := struct {
		SchemaVersion string   `json:"schema_version"`
		Actions       []Action `json:"actions"`
		Skipped       []string `json:"skipped"`
	}{SchemaVersion: "1", Actions: p.Actions, Skipped: p.Skipped}
	if doc.Actions == nil {
		doc.Actions = []Action{}
	}
	if doc.Skipped == nil {
		doc.Skipped = []string{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(doc)
}

func joinEdits(es []Edit) string {
	s := make([]string, len(es))
	for i, e := range es {
		s[i] = string(e)
	}
	return strings.Join(s, ", ")
}

func describeIssue(is Issue) string {
	if is.Source == "alert" {
		return fmt.Sprintf("alert %s %s (%s)", is.AlertID, is.EventName, is.RuleID)
	}
	return fmt.Sprintf("%s: %s", is.ControlID, is.Reason)
}

// describeCall renders a call as its AWS CLI equivalent, so a reviewer can
// read (or run) exactly what will be sent.
func describeCall(c Call) string {
	s := c.Operation + " KeyId=" + c.KeyID
	switch {
	case c.GrantID != "":
		s += " GrantId=" + c.GrantID
	case c.RotationPeriodInDays != 0:
		s += fmt.Sprintf(" RotationPeriodInDays=%d", c.RotationPeriodInDays)
	case c.Operation == "PutKeyPolicy":
		s += " PolicyName=" + c.PolicyName + " Policy=<the planned policy, see the diff> BypassPolicyLockoutSafetyCheck=false"
	}
	return s
}
