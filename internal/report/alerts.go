package report

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// AlertRun is what a detection report shows: the alerts and the counts of
// the run that produced them.
type AlertRun struct {
	Alerts      []alert.Alert
	StartedAt   time.Time
	FinishedAt  time.Time
	ToolVersion string
	Files       int      // files (or objects, messages) read
	Events      int      // CloudTrail records decoded
	Skipped     int      // digest and Insight files, and records outside --since/--until
	Errors      int      // unreadable files, corrupt gzip, non-JSON lines
	Problems    []string // one line per error: file, line or offset, why
}

// AlertWriter renders the alerts of one run.
type AlertWriter interface {
	WriteAlerts(w io.Writer, r AlertRun) error
}

// AlertFormats returns the detection report format names.
func AlertFormats() []string { return []string{"table", "json", "ecs", "ocsf"} }

// NewAlertWriter returns the writer for a detection report format.
func NewAlertWriter(format string, opts Options) (AlertWriter, error) {
	switch strings.ToLower(format) {
	case "table":
		return alertTable{opts: opts}, nil
	case "json":
		return alertJSON{}, nil
	case "ecs":
		return alertECS{}, nil
	case "ocsf":
		return alertOCSF{}, nil
	}
	return nil, fmt.Errorf("unknown alert format %q: want one of %s", format, strings.Join(AlertFormats(), ", "))
}

// AlertsExceedThreshold reports whether any alert is at or above level.
func AlertsExceedThreshold(alerts []alert.Alert, level severity.Level) bool {
	for _, a := range alerts {
		if a.Severity >= level {
			return true
		}
	}
	return false
}

// AlertSummary counts alerts per rule and per severity.
type AlertSummary struct {
	Files      int                    `json:"files"`
	Events     int                    `json:"events"`
	Skipped    int                    `json:"skipped"`
	Errors     int                    `json:"errors"`
	Alerts     int                    `json:"alerts"`
	BySeverity map[severity.Level]int `json:"by_severity"`
	ByRule     map[string]int         `json:"by_rule"` // rule id -> alerts
}

// SummarizeAlerts counts the alerts of a run.
func SummarizeAlerts(r AlertRun) AlertSummary {
	s := AlertSummary{Files: r.Files, Events: r.Events, Skipped: r.Skipped, Errors: r.Errors, Alerts: len(r.Alerts),
		BySeverity: map[severity.Level]int{}, ByRule: map[string]int{}}
	for _, l := range levelsDesc()[:5] {
		s.BySeverity[l] = 0
	}
	for _, a := range r.Alerts {
		s.BySeverity[a.Severity]++
		s.ByRule[a.RuleID]++
	}
	return s
}

// WriteAlertSummary prints the run summary `kmsguard detect` sends to
// stderr: files, events, skipped, errors, and alerts per rule.
func WriteAlertSummary(w io.Writer, r AlertRun) error {
	s := SummarizeAlerts(r)
	var b strings.Builder
	fmt.Fprintf(&b, "%s, %s, %d skipped, %s: %s", plural(s.Files, "file"), plural(s.Events, "event"), s.Skipped, plural(s.Errors, "error"), plural(s.Alerts, "alert"))
	var parts []string
	for _, l := range levelsDesc() {
		if n := s.BySeverity[l]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, l))
		}
	}
	if len(parts) > 0 {
		b.WriteString(" (" + strings.Join(parts, ", ") + ")")
	}
	b.WriteString("\n")
	titles := map[string]string{}
	for _, a := range r.Alerts {
		titles[a.RuleID] = a.RuleTitle
	}
	rules := make([]string, 0, len(s.ByRule))
	for id := range s.ByRule {
		rules = append(rules, id)
	}
	slices.SortFunc(rules, func(x, y string) int { return cmp.Or(cmp.Compare(s.ByRule[y], s.ByRule[x]), cmp.Compare(x, y)) })
	width := 0
	for _, id := range rules {
		width = max(width, len(id))
	}
	for _, id := range rules {
		fmt.Fprintf(&b, "  %5d  %-*s  %s\n", s.ByRule[id], width, id, titles[id])
	}
	shown, more := capList(r.Problems)
	for _, p := range shown {
		fmt.Fprintf(&b, "  error: %s\n", oneLine(p))
	}
	if more > 0 {
		fmt.Fprintf(&b, "  ... and %d more errors (all are listed in --format json)\n", more)
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// maxListed is how many problems the text formats list before summing up
// the rest; the JSON formats list all.
const maxListed = 20

func capList(list []string) ([]string, int) {
	if len(list) <= maxListed {
		return list, 0
	}
	return list[:maxListed], len(list) - maxListed
}

// sortedAlerts orders alerts by event time, then rule and event id.
func sortedAlerts(in []alert.Alert) []alert.Alert {
	out := slices.Clone(in)
	slices.SortStableFunc(out, func(a, b alert.Alert) int {
		return cmp.Or(a.EventTime.Compare(b.EventTime), cmp.Compare(a.RuleID, b.RuleID), cmp.Compare(a.EventID, b.EventID), cmp.Compare(a.ID, b.ID))
	})
	return out
}

func (r AlertRun) generatedAt() time.Time {
	if !r.FinishedAt.IsZero() {
		return r.FinishedAt.UTC()
	}
	return r.StartedAt.UTC()
}

// actorName is the most specific name CloudTrail gives the caller.
func actorName(a alert.Actor) string {
	switch {
	case a.ARN != "":
		return a.ARN
	case a.InvokedBy != "":
		return a.InvokedBy
	case a.PrincipalID != "":
		return a.PrincipalID
	}
	return "unknown caller"
}
