package report

import (
	"bufio"
	"fmt"
	"io"
	"strings"

	"github.com/kmsguard/kmsguard/internal/controls"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// tableWriter prints findings for a person at a terminal: grouped by
// severity, one line each, a summary at the end.
type tableWriter struct{ opts Options }

const (
	ansiReset  = "\x1b[0m"
	ansiBold   = "\x1b[1m"
	ansiRed    = "\x1b[31m"
	ansiGreen  = "\x1b[32m"
	ansiYellow = "\x1b[33m"
	ansiCyan   = "\x1b[36m"
	ansiDim    = "\x1b[2m"
)

// printer writes text through a bufio.Writer, whose write errors are sticky
// and surface from Flush, so single writes need no error checks.
type printer struct{ *bufio.Writer }

func (p printer) printf(format string, args ...any) { _, _ = fmt.Fprintf(p.Writer, format, args...) }

func (p printer) print(s string) { _, _ = p.WriteString(s) }

func (p printer) write(b []byte) { _, _ = p.Write(b) }

func (t tableWriter) paint(code, s string) string {
	if !t.opts.Color || code == "" {
		return s
	}
	return code + s + ansiReset
}

func levelColor(l severity.Level) string {
	switch l {
	case severity.Critical:
		return ansiBold + ansiRed
	case severity.High:
		return ansiRed
	case severity.Medium:
		return ansiYellow
	case severity.Low:
		return ansiCyan
	}
	return ansiDim
}

func statusColor(s controls.Status, suppressed bool) string {
	switch {
	case suppressed:
		return ansiDim
	case s == controls.StatusFail:
		return ansiRed
	case s == controls.StatusUnknown:
		return ansiYellow
	case s == controls.StatusPass:
		return ansiGreen
	}
	return ansiDim
}

// shown reports whether a finding gets a row: failing and unknown ones
// always, passing, not-applicable and suppressed ones on request.
func (t tableWriter) shown(f controls.Finding) bool {
	if f.Suppressed != nil || f.Status == controls.StatusPass || f.Status == controls.StatusNotApplicable {
		return t.opts.ShowPassed
	}
	return true
}

func (t tableWriter) Write(w io.Writer, s Scan) error {
	bw := printer{bufio.NewWriter(w)}
	var rows []controls.Finding
	for _, f := range sortedFindings(s.Findings) {
		if t.shown(f) {
			rows = append(rows, f)
		}
	}
	ctlWidth, resWidth := len("CONTROL"), len("RESOURCE")
	for _, f := range rows {
		ctlWidth = max(ctlWidth, len(f.ControlID))
		resWidth = max(resWidth, len(f.ResourceID))
	}
	const statusWidth = len("NOT_APPLICABLE")
	for i := 0; i < len(rows); {
		level := rows[i].Severity
		j := i
		for j < len(rows) && rows[j].Severity == level {
			j++
		}
		if i > 0 {
			bw.print("\n")
		}
		bw.printf("%s (%d)\n", t.paint(levelColor(level), strings.ToUpper(level.String())), j-i)
		bw.printf("  %-*s  %-*s  %-*s  %s\n", statusWidth, "STATUS", ctlWidth, "CONTROL", resWidth, "RESOURCE", "REASON")
		for _, f := range rows[i:j] {
			status := string(f.Status)
			if f.Suppressed != nil {
				status = "SUPPRESSED"
			}
			bw.printf("  %s  %-*s  %-*s  %s\n",
				t.paint(statusColor(f.Status, f.Suppressed != nil), fmt.Sprintf("%-*s", statusWidth, status)),
				ctlWidth, f.ControlID, resWidth, f.ResourceID, oneLine(f.Reason))
			if f.Suppressed != nil {
				bw.printf("  %*s  suppressed: %s%s\n", statusWidth, "", oneLine(f.Suppressed.Reason), expiry(f.Suppressed))
			}
			if t.opts.Verbose {
				for _, e := range f.Evidence {
					bw.printf("  %*s  %s\n", statusWidth, "", t.paint(ansiDim, "- "+oneLine(e)))
				}
			}
		}
		i = j
	}
	if len(rows) == 0 {
		bw.print("No failing or unknown findings.\n")
	}
	bw.print("\n" + summaryLine(s) + "\n")
	if len(s.Problems) > 0 {
		bw.printf("%s\n", t.paint(ansiYellow, fmt.Sprintf("%d part(s) of the account could not be read; affected checks are UNKNOWN:", len(s.Problems))))
		shown, more := capList(s.Problems)
		for _, p := range shown {
			bw.printf("  - %s\n", oneLine(p))
		}
		if more > 0 {
			bw.printf("  ... and %d more (all are listed in --format json)\n", more)
		}
	}
	for _, n := range s.Notices {
		bw.printf("%s\n", t.paint(ansiYellow, "note: "+oneLine(n)))
	}
	return bw.Flush()
}

func expiry(s *controls.Suppression) string {
	if s.Expires == "" {
		return ""
	}
	return " (until " + s.Expires + ")"
}

// summaryLine counts findings per status and failing findings per severity.
func summaryLine(s Scan) string {
	sum := Summarize(s.Findings)
	var b strings.Builder
	fmt.Fprintf(&b, "%d findings in %s, %s: ", sum.Total, plural(len(s.Accounts), "account"), plural(len(s.Regions), "region"))
	var parts []string
	for _, st := range statusOrder() {
		parts = append(parts, fmt.Sprintf("%d %s", sum.ByStatus[st], st))
	}
	b.WriteString(strings.Join(parts, ", "))
	if sum.Suppressed > 0 {
		fmt.Fprintf(&b, " (%d suppressed)", sum.Suppressed)
	}
	parts = parts[:0]
	for _, l := range levelsDesc() {
		if n := sum.Failing[l]; n > 0 {
			parts = append(parts, fmt.Sprintf("%d %s", n, l))
		}
	}
	if len(parts) > 0 {
		b.WriteString(". Failing: " + strings.Join(parts, ", "))
	}
	b.WriteString(".")
	return b.String()
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}

// oneLine keeps a table row on one line whatever the text holds.
func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}
