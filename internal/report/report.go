// Package report renders posture scan results and detection alerts in the
// formats kmsguard offers: one Writer interface per kind of result, one list
// of format names, one constructor switch. Writers are deterministic: the
// same input always produces the same bytes (findings are sorted, times come
// from the input, never from the clock).
package report

import (
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/kmsguard/kmsguard/internal/controls"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// Scan is everything a posture report shows: the findings and the context
// of the run that produced them.
type Scan struct {
	Findings    []controls.Finding
	Accounts    []string
	Regions     []string
	StartedAt   time.Time
	FinishedAt  time.Time
	ToolVersion string
	// Problems lists what could not be read (partial failures), one line
	// each, e.g. "kms/eu-west-1/keys/1234/grants.json: AccessDenied".
	Problems []string
	// Notices are things the reader should act on that do not make the scan
	// partial, one line each, e.g. suppressions that expired and no longer
	// apply.
	Notices []string
}

// Options tune the human-oriented formats; machine formats ignore most.
type Options struct {
	Color   bool // ANSI colour in the table (only for a terminal)
	Verbose bool // evidence lines in the table
	// ShowPassed adds PASS, NOT_APPLICABLE and suppressed rows to the table,
	// and PASS and NOT_APPLICABLE results to SARIF; they are always counted.
	ShowPassed bool
	// HomeRegion is where region-less (IAM) findings are imported into
	// Security Hub (ASFF); default us-east-1.
	HomeRegion string
}

// Writer renders one scan.
type Writer interface {
	Write(w io.Writer, s Scan) error
}

// Formats returns the posture report format names in the order help text
// shows them.
func Formats() []string {
	return []string{"table", "json", "csv", "sarif", "asff", "ocsf", "html"}
}

// New returns the writer for a posture report format.
func New(format string, opts Options) (Writer, error) {
	switch strings.ToLower(format) {
	case "table":
		return tableWriter{opts: opts}, nil
	case "json":
		return jsonWriter{}, nil
	case "csv":
		return csvWriter{}, nil
	case "sarif":
		return sarifWriter{opts: opts}, nil
	case "asff":
		return asffWriter{opts: opts}, nil
	case "ocsf":
		return ocsfWriter{}, nil
	case "html":
		return htmlWriter{opts: opts}, nil
	}
	return nil, fmt.Errorf("unknown report format %q: want one of %s", format, strings.Join(Formats(), ", "))
}

// ExceedsThreshold reports whether any unsuppressed FAIL finding is at or
// above level: the --fail-on check. UNKNOWN, PASS and suppressed findings
// never count.
func ExceedsThreshold(findings []controls.Finding, level severity.Level) bool {
	for _, f := range findings {
		if f.Status == controls.StatusFail && f.Suppressed == nil && f.Severity >= level {
			return true
		}
	}
	return false
}

// generatedAt is the report time: when the scan finished (or started).
func (s Scan) generatedAt() time.Time {
	if !s.FinishedAt.IsZero() {
		return s.FinishedAt.UTC()
	}
	return s.StartedAt.UTC()
}
