package report

import (
	_ "embed"
	"fmt"
	"html/template"
	"io"
	"strings"

	"github.com/kmsguard/kmsguard/internal/controls"
)

// htmlWriter writes one self-contained HTML page: inline CSS and SVG, no
// scripts, no external assets. Filters work through CSS :target anchors.
type htmlWriter struct{ opts Options }

//go:embed report.html.tmpl
var htmlTemplateText string

type htmlBar struct {
	Label, Class, Title string
	Value, Width, Y     int
}

type htmlControlBar struct {
	ID, Title                   string
	Y                           int
	FailW, UnknownW, PassW, NaW int
	UnknownX, PassX, NaX        int
	Label                       string
	Fail, Unknown, Pass, Na     int
}

type htmlFinding struct {
	controls.Finding
	Anchor      string
	SevClass    string
	StatusLabel string
	Ctl         *controls.Control
	CLI         []string
}

type htmlPage struct {
	Scan       Scan
	Generated  string
	Summary    Summary
	Statuses   []htmlBar
	SevBars    []htmlBar
	SevHeight  int
	CtlBars    []htmlControlBar
	CtlHeight  int
	Rows       []htmlFinding
	Details    []htmlFinding
	FailTotal  int
	ShowPassed bool
	FilterSev  []string
}

func (h htmlWriter) Write(w io.Writer, s Scan) error {
	tmpl, err := template.New("report").Funcs(template.FuncMap{
		"upper": strings.ToUpper,
		"inc":   func(i int) int { return i + 1 },
	}).Parse(htmlTemplateText)
	if err != nil {
		return fmt.Errorf("html template: %w", err)
	}
	return tmpl.Execute(w, h.page(s))
}

func (h htmlWriter) page(s Scan) htmlPage {
	sum := Summarize(s.Findings)
	p := htmlPage{Scan: s, Summary: sum, ShowPassed: h.opts.ShowPassed, Generated: s.generatedAt().Format("2006-01-02 15:04:05 MST")}
	for _, st := range statusOrder() {
		p.Statuses = append(p.Statuses, htmlBar{Label: string(st), Class: "st-" + string(st), Value: sum.ByStatus[st]})
	}
	const barMax = 360
	maxSev := 1
	for _, l := range levelsDesc()[:5] {
		maxSev = max(maxSev, sum.Failing[l])
		p.FailTotal += sum.Failing[l]
	}
	for i, l := range levelsDesc()[:5] {
		n := sum.Failing[l]
		p.SevBars = append(p.SevBars, htmlBar{Label: l.String(), Class: "sev-" + l.String(), Value: n, Width: n * barMax / maxSev, Y: i * 28})
		p.FilterSev = append(p.FilterSev, l.String())
	}
	p.SevHeight = len(p.SevBars) * 28
	maxCtl := 1
	ids := make([]string, 0, len(sum.ByControl))
	for _, c := range controlsOf(s.Findings) {
		cs := sum.ByControl[c.ID]
		maxCtl = max(maxCtl, cs.Fail+cs.Unknown+cs.Pass+cs.NotApp)
		ids = append(ids, c.ID)
	}
	for i, id := range ids {
		cs := sum.ByControl[id]
		scale := func(n int) int { return n * barMax / maxCtl }
		b := htmlControlBar{
			ID: id, Title: cs.Title, Y: i * 28,
			FailW: scale(cs.Fail), UnknownW: scale(cs.Unknown), PassW: scale(cs.Pass), NaW: scale(cs.NotApp),
			Fail: cs.Fail, Unknown: cs.Unknown, Pass: cs.Pass, Na: cs.NotApp,
		}
		b.UnknownX = b.FailW
		b.PassX = b.UnknownX + b.UnknownW
		b.NaX = b.PassX + b.PassW
		var parts []string
		for _, c := range []struct {
			n    int
			name string
		}{{cs.Fail, "fail"}, {cs.Unknown, "unknown"}, {cs.Pass, "pass"}, {cs.NotApp, "n/a"}} {
			if c.n > 0 {
				parts = append(parts, fmt.Sprintf("%d %s", c.n, c.name))
			}
		}
		b.Label = strings.Join(parts, ", ")
		p.CtlBars = append(p.CtlBars, b)
	}
	p.CtlHeight = len(p.CtlBars) * 28
	for _, f := range sortedFindings(s.Findings) {
		hf := htmlFinding{Finding: f, Anchor: "f-" + findingHash(f), SevClass: "sev-" + f.Severity.String(), StatusLabel: string(f.Status), Ctl: controlOf(f)}
		if f.Suppressed != nil {
			hf.StatusLabel = "SUPPRESSED"
		}
		hf.CLI = fillPlaceholders(hf.Ctl.Remediation.CLI, f)
		p.Rows = append(p.Rows, hf)
		if f.Suppressed == nil && (f.Status == controls.StatusFail || f.Status == controls.StatusUnknown) {
			p.Details = append(p.Details, hf)
		}
	}
	return p
}

// fillPlaceholders puts the finding's own identifiers into remediation
// commands, so a reader can copy them as they are.
func fillPlaceholders(cmds []string, f controls.Finding) []string {
	repl := []string{"<account>", f.AccountID, "<account-id>", f.AccountID}
	switch f.ResourceType {
	case "AWS::KMS::Key":
		repl = append(repl, "<key-id>", resourceName(f.ResourceID), "<key-arn>", f.ResourceID)
	case "AWS::IAM::Policy", "AWS::IAM::ManagedPolicy":
		repl = append(repl, "<policy-arn>", f.ResourceID)
	case "AWS::IAM::Role":
		repl = append(repl, "<role>", resourceName(f.ResourceID))
	case "AWS::IAM::User":
		repl = append(repl, "<user>", resourceName(f.ResourceID))
	}
	if f.Region != "" {
		repl = append(repl, "<region>", f.Region)
	}
	r := strings.NewReplacer(repl...)
	out := make([]string, len(cmds))
	for i, c := range cmds {
		out[i] = r.Replace(c)
	}
	return out
}
