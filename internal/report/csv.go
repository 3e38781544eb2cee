package report

import (
	"encoding/csv"
	"io"
	"strings"
)

type csvWriter struct{}

func csvHeader() []string {
	return []string{"account_id", "region", "control_id", "title", "severity", "status", "resource_type", "resource_id",
		"reason", "evidence", "suppressed_reason", "suppressed_expires", "security_hub_control", "remediation"}
}

// Write prints one RFC 4180 row per finding; evidence lines are joined with
// newlines inside the quoted field.
func (csvWriter) Write(w io.Writer, s Scan) error {
	cw := csv.NewWriter(w)
	if err := cw.Write(csvHeader()); err != nil {
		return err
	}
	for _, f := range sortedFindings(s.Findings) {
		c := controlOf(f)
		var supReason, supExpires string
		if f.Suppressed != nil {
			supReason, supExpires = f.Suppressed.Reason, f.Suppressed.Expires
		}
		row := []string{f.AccountID, f.Region, f.ControlID, f.Title, f.Severity.String(), string(f.Status), f.ResourceType, f.ResourceID,
			f.Reason, strings.Join(f.Evidence, "\n"), supReason, supExpires, strings.Join(c.Mappings.SecurityHub, " "), c.Remediation.Summary}
		if err := cw.Write(row); err != nil {
			return err
		}
	}
	cw.Flush()
	return cw.Error()
}
