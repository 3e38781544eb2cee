package report

import (
	"bufio"
	"encoding/json"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
)

// alertTable prints alerts in event-time order, two or three lines each.
type alertTable struct{ opts Options }

func (t alertTable) WriteAlerts(w io.Writer, r AlertRun) error {
	tw := tableWriter(t)
	bw := printer{bufio.NewWriter(w)}
	for i, a := range sortedAlerts(r.Alerts) {
		if i > 0 {
			bw.print("\n")
		}
		bw.printf("%s  %s  %s  %s\n", a.EventTime.UTC().Format(time.RFC3339),
			tw.paint(levelColor(a.Severity), fmt.Sprintf("%-13s", strings.ToUpper(a.Severity.String()))), a.RuleTitle, tw.paint(ansiDim, "("+a.RuleID+")"))
		what := a.EventName
		if len(a.KeyARNs) > 0 {
			what += " on " + strings.Join(a.KeyARNs, ", ")
		}
		who := actorName(a.Actor)
		if a.SourceIP != "" {
			who += " from " + a.SourceIP
		}
		outcome := a.Outcome
		if a.ErrorCode != "" {
			outcome += " " + a.ErrorCode
		}
		bw.printf("    %s by %s [%s] in %s/%s, event %s\n", what, who, outcome, a.AccountID, a.Region, a.EventID)
		if len(a.Details) > 0 {
			bw.printf("    %s\n", keyValues(a.Details))
		}
		if len(a.EventIDs) > 1 {
			bw.printf("    %d events: %s\n", len(a.EventIDs), strings.Join(a.EventIDs, ", "))
		}
		if t.opts.Verbose {
			actor := map[string]string{"type": a.Actor.Type, "access_key": a.Actor.AccessKeyID,
				"session_issuer": a.Actor.SessionIssuerARN, "invoked_by": a.Actor.InvokedBy}
			for k, v := range actor {
				if v == "" {
					delete(actor, k)
				}
			}
			actor["mfa"] = fmt.Sprint(a.Actor.MFAAuthenticated)
			bw.printf("    actor: %s\n", keyValues(actor))
			if a.UserAgent != "" {
				bw.printf("    user agent: %s\n", oneLine(a.UserAgent))
			}
			if len(a.RequestParameters) > 0 {
				b, _ := json.Marshal(a.RequestParameters) // maps marshal with sorted keys
				bw.printf("    request: %s\n", b)
			}
			if len(a.Enrichment) > 0 {
				bw.printf("    context: %s\n", keyValues(a.Enrichment))
			}
			if a.Guide != "" {
				for _, line := range strings.Split(strings.TrimSpace(a.Guide), "\n") {
					bw.printf("    | %s\n", line)
				}
			}
		}
	}
	if len(r.Alerts) == 0 {
		bw.print("No alerts.\n")
	}
	s := SummarizeAlerts(r)
	var parts []string
	for _, l := range levelsDesc() {
		if n := s.BySeverity[l]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, l))
		}
	}
	bw.printf("\n%s from %d events in %s", plural(s.Alerts, "alert"), s.Events, plural(s.Files, "file"))
	if len(parts) > 0 {
		bw.printf(": %s", strings.Join(parts, ", "))
	}
	bw.print(".\n")
	if s.Errors > 0 {
		bw.printf("%s\n", tw.paint(ansiYellow, fmt.Sprintf("%d input error(s); those records were skipped.", s.Errors)))
	}
	return bw.Flush()
}

// keyValues prints a map as sorted key=value pairs.
func keyValues(m map[string]string) string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		parts[i] = k + "=" + oneLine(m[k])
	}
	return strings.Join(parts, " ")
}

// alertJSON writes one JSON document: the run summary and every alert with
// the alert package's documented field names.
type alertJSON struct{}

type alertJSONReport struct {
	SchemaVersion string        `json:"schema_version"`
	Tool          jsonTool      `json:"tool"`
	GeneratedAt   time.Time     `json:"generated_at"`
	Summary       AlertSummary  `json:"summary"`
	Problems      []string      `json:"problems"`
	Alerts        []alert.Alert `json:"alerts"`
}

func (alertJSON) WriteAlerts(w io.Writer, r AlertRun) error {
	rep := alertJSONReport{
		SchemaVersion: JSONSchemaVersion,
		Tool:          jsonTool{Name: "kmsguard", Version: r.ToolVersion},
		GeneratedAt:   r.generatedAt(),
		Summary:       SummarizeAlerts(r),
		Problems:      nonNil(r.Problems),
		Alerts:        sortedAlerts(r.Alerts),
	}
	if rep.Alerts == nil {
		rep.Alerts = []alert.Alert{}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(rep)
}
