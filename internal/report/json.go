package report

import (
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
	SchemaVersion string        `json:"schema_version"`
	Tool          jsonTool      `json:"tool"`
	GeneratedAt   time.Time     `json:"generated_at"`
	StartedAt     *time.Time    `json:"started_at,omitempty"`
	Accounts      []string      `json:"accounts"`
	Regions       []string      `json:"regions"`
	Summary       Summary       `json:"summary"`
	Problems      []string      `json:"problems"`
	Findings      []jsonFinding `json:"findings"`
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
		Findings:      []jsonFinding{},
	}
	if !s.StartedAt.IsZero() {
		t := s.StartedAt.UTC()
		r.StartedAt = &t
	}
	for _, f := range sortedFindings(s.Findings) {
		r.Findings = append(r.Findings, jsonFinding{Finding: f, Control: controlOf(f)})
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(r)
}

// nonNil makes empty lists print as [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
