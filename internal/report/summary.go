package report

import (
	"cmp"
	"slices"

	"github.com/kmsguard/kmsguard/internal/controls"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// Summary counts a scan's findings. Failing counts exclude suppressed
// findings, which are counted apart.
type Summary struct {
	Total      int                       `json:"total"`
	ByStatus   map[controls.Status]int   `json:"by_status"`
	Failing    map[severity.Level]int    `json:"failing_by_severity"` // unsuppressed FAIL
	ByControl  map[string]ControlSummary `json:"by_control"`
	Suppressed int                       `json:"suppressed"`
}

// ControlSummary counts one control's results.
type ControlSummary struct {
	Title    string         `json:"title"`
	Severity severity.Level `json:"severity"`
	Fail     int            `json:"fail"` // unsuppressed
	Unknown  int            `json:"unknown"`
	Pass     int            `json:"pass"`
	NotApp   int            `json:"not_applicable"`
	// Suppressed counts accepted findings of any status, counted nowhere else.
	Suppressed int `json:"suppressed"`
}

// Summarize counts the findings of a scan.
func Summarize(findings []controls.Finding) Summary {
	s := Summary{
		ByStatus:  map[controls.Status]int{},
		Failing:   map[severity.Level]int{},
		ByControl: map[string]ControlSummary{},
	}
	for _, st := range statusOrder() {
		s.ByStatus[st] = 0
	}
	for _, l := range levelsDesc()[:5] {
		s.Failing[l] = 0
	}
	for _, f := range findings {
		s.Total++
		s.ByStatus[f.Status]++
		c := s.ByControl[f.ControlID]
		c.Title, c.Severity = f.Title, f.Severity
		switch {
		case f.Suppressed != nil:
			s.Suppressed++
			c.Suppressed++
		case f.Status == controls.StatusFail:
			s.Failing[f.Severity]++
			c.Fail++
		case f.Status == controls.StatusUnknown:
			c.Unknown++
		case f.Status == controls.StatusPass:
			c.Pass++
		case f.Status == controls.StatusNotApplicable:
			c.NotApp++
		}
		s.ByControl[f.ControlID] = c
	}
	return s
}

// statusOrder is the order statuses are listed in: what needs action first.
func statusOrder() []controls.Status {
	return []controls.Status{controls.StatusFail, controls.StatusUnknown, controls.StatusPass, controls.StatusNotApplicable}
}

// levelsDesc lists the severities from critical down.
func levelsDesc() []severity.Level {
	return []severity.Level{severity.Critical, severity.High, severity.Medium, severity.Low, severity.Informational, severity.Unknown}
}

func statusRank(s controls.Status) int {
	order := statusOrder()
	for i, x := range order {
		if x == s {
			return i
		}
	}
	return len(order)
}

// sortedFindings returns a copy sorted for reading: severity descending,
// then status (FAIL first), control, account, region, resource.
func sortedFindings(in []controls.Finding) []controls.Finding {
	out := slices.Clone(in)
	slices.SortStableFunc(out, func(a, b controls.Finding) int {
		return cmp.Or(
			cmp.Compare(b.Severity, a.Severity),
			cmp.Compare(statusRank(a.Status), statusRank(b.Status)),
			cmp.Compare(a.ControlID, b.ControlID),
			cmp.Compare(a.AccountID, b.AccountID),
			cmp.Compare(a.Region, b.Region),
			cmp.Compare(a.ResourceID, b.ResourceID),
			cmp.Compare(a.Reason, b.Reason),
		)
	})
	return out
}

// controlsOf returns the distinct controls behind the findings, by ID. A
// finding without catalogue metadata gets a control built from its own
// fields, so every writer can rely on one being there.
func controlsOf(findings []controls.Finding) []*controls.Control {
	seen := map[string]*controls.Control{}
	for _, f := range findings {
		if _, ok := seen[f.ControlID]; !ok {
			seen[f.ControlID] = controlOf(f)
		}
	}
	out := make([]*controls.Control, 0, len(seen))
	for _, c := range seen {
		out = append(out, c)
	}
	slices.SortFunc(out, func(a, b *controls.Control) int { return cmp.Compare(a.ID, b.ID) })
	return out
}

func controlOf(f controls.Finding) *controls.Control {
	if f.Control != nil {
		return f.Control
	}
	return &controls.Control{ID: f.ControlID, Title: f.Title, Severity: f.Severity, ResourceType: f.ResourceType}
}

// Summary counts the scan's findings.
func (s Scan) Summary() Summary { return Summarize(s.Findings) }
