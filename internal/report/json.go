package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"time"

	"github.com/kmsguard/kmsguard/internal/controls"
)

// JSONSchemaVersion is the version of the JSON report envelope documented in
// docs/report-json.md. It changes only when a field changes meaning; new
// fields do not change it.
const JSONSchemaVersion = "1"

type jsonWriter struct{}

type jsonTool struct {
	Name    string `json:"name"`
	Version string `json:"version,omitempty"`
}

type jsonReport struct {
	SchemaVersion string     `json:"schema_version"`
	Tool          jsonTool   `json:"tool"`
	GeneratedAt   time.Time  `json:"generated_at"`
	StartedAt     *time.Time `json:"started_at,omitempty"`
	Accounts      []string   `json:"accounts"`
	Regions       []string   `json:"regions"`
	Summary       Summary    `json:"summary"`
	Problems      []string   `json:"problems"`
	Notices       []string   `json:"notices,omitempty"`
	// Findings are streamed after the envelope, one at a time, so a large
	// scan is never held in memory twice.
}

// jsonFinding is a Finding with its control's metadata inline.
type jsonFinding struct {
	controls.Finding
	Control *controls.Control `json:"control"`
}

func (jsonWriter) Write(w io.Writer, s Scan) error {
	r := jsonReport{
		SchemaVersion: JSONSchemaVersion,
		Tool:          jsonTool{Name: "kmsguard", Version: s.ToolVersion},
		GeneratedAt:   s.generatedAt(),
		Accounts:      nonNil(s.Accounts),
		Regions:       nonNil(s.Regions),
		Summary:       Summarize(s.Findings),
		Problems:      nonNil(s.Problems),
		Notices:       s.Notices,
	}
	if !s.StartedAt.IsZero() {
		t := s.StartedAt.UTC()
		r.StartedAt = &t
	}
	head, err := json.MarshalIndent(r, "", "  ")
	if err != nil {
		return err
	}
	bw := printer{bufio.NewWriter(w)}
	// Reopen the envelope's closing brace to append the findings array.
	bw.write(bytes.TrimSuffix(head, []byte("\n}")))
	findings := sortedFindings(s.Findings)
	if len(findings) == 0 {
		bw.print(",\n  \"findings\": []\n}\n")
		return bw.Flush()
	}
	bw.print(",\n  \"findings\": [")
	for i, f := range findings {
		b, err := json.MarshalIndent(jsonFinding{Finding: f, Control: controlOf(f)}, "    ", "  ")
		if err != nil {
			return err
		}
		if i > 0 {
			bw.print(",")
		}
		bw.print("\n    ")
		bw.write(b)
	}
	bw.print("\n  ]\n}\n")
	return bw.Flush() // bufio errors are sticky: Flush reports any earlier one
}

// nonNil makes empty lists print as [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
