package report

import (
	"bufio"
	"bytes"
	"encoding/json"
	"io"
	"time"

	"github.com/kmsguard/kmsguard/internal/controls"
)

// JSONSchemaVersion is the version of the detect JSON envelope documented
// in docs/report-json.md. It changes only when a field changes meaning or
// disappears; new fields do not change it.
const JSONSchemaVersion = "1"

// ScanJSONSchemaVersion is the version of the scan JSON report documented in
// docs/report-json.md, under the same rule. Version 2 lists each control's
// catalogue entry once, under "controls", where version 1 repeated it in
// every finding (two thirds of a large report).
const ScanJSONSchemaVersion = "2"

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
	// Controls are the catalogue entries of the controls that produced a
	// finding, by id; a finding's control_id names its entry.
	Controls map[string]*controls.Control `json:"controls"`
	// Findings are streamed after the envelope, one at a time, so a large
	// scan is never held in memory twice.
}

func (jsonWriter) Write(w io.Writer, s Scan) error {
	findings := sortedFindings(s.Findings)
	r := jsonReport{
		SchemaVersion: ScanJSONSchemaVersion,
		Tool:          jsonTool{Name: "kmsguard", Version: s.ToolVersion},
		GeneratedAt:   s.generatedAt(),
		Accounts:      nonNil(s.Accounts),
		Regions:       nonNil(s.Regions),
		Summary:       Summarize(s.Findings),
		Problems:      nonNil(s.Problems),
		Notices:       s.Notices,
		Controls:      findingControls(findings),
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
	if len(findings) == 0 {
		bw.print(",\n  \"findings\": []\n}\n")
		return bw.Flush()
	}
	bw.print(",\n  \"findings\": [")
	for i, f := range findings {
		b, err := json.MarshalIndent(f, "    ", "  ")
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

// findingControls are the controls of the findings by id (the first
// finding's entry when findings of one id disagree).
func findingControls(fs []controls.Finding) map[string]*controls.Control {
	out := map[string]*controls.Control{}
	for _, f := range fs {
		if _, ok := out[f.ControlID]; !ok {
			out[f.ControlID] = controlOf(f)
		}
	}
	return out
}

// nonNil makes empty lists print as [] rather than null.
func nonNil(s []string) []string {
	if s == nil {
		return []string{}
	}
	return s
}
