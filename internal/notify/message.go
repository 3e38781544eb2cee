package notify

import (
	"strings"
	"time"
	"unicode/utf8"

	"github.com/kmsguard/kmsguard/internal/alert"
)

// TemplateData is what every message template receives. The fields are a
// documented contract for users who override templates:
//
//	.Alert         the alert.Alert itself (all its JSON fields: .Alert.RuleID,
//	               .Alert.EventName, .Alert.KeyARNs, .Alert.Details, ...)
//	.Channel       the channel instance name, e.g. "slack-sec"
//	.Severity      the severity in upper case, e.g. "HIGH"
//	.Title         the rule title, or the rule ID when the title is empty
//	.Actor         who acted: ARN, else user name, else principal ID, else the
//	               invoking AWS service
//	.Keys          the KMS key ARNs (same as .Alert.KeyARNs)
//	.Where         "account 111122223333 / eu-west-1" (parts omitted when empty)
//	.EventTime     the event time in RFC 3339, UTC
//	.FirstCommand  the first response command from the rule's guide, if any
//
// Functions: join LIST SEP, upper S, lower S, truncate N S, default DEF S.
type TemplateData struct {
	Alert        alert.Alert
	Channel      string
	Severity     string
	Title        string
	Actor        string
	Keys         []string
	Where        string
	EventTime    string
	FirstCommand string
}

func newTemplateData(a alert.Alert, channel string) TemplateData {
	return TemplateData{
		Alert:        a,
		Channel:      channel,
		Severity:     strings.ToUpper(a.Severity.String()),
		Title:        ruleTitle(a),
		Actor:        actorName(a.Actor),
		Keys:         a.KeyARNs,
		Where:        where(a),
		EventTime:    eventTime(a),
		FirstCommand: firstCommand(a.Guide),
	}
}

func ruleTitle(a alert.Alert) string {
	if a.RuleTitle != "" {
		return a.RuleTitle
	}
	return a.RuleID
}

func actorName(ac alert.Actor) string {
	switch {
	case ac.ARN != "":
		return ac.ARN
	case ac.UserName != "":
		return ac.UserName
	case ac.PrincipalID != "":
		return ac.PrincipalID
	case ac.InvokedBy != "":
		return ac.InvokedBy
	default:
		return "unknown"
	}
}

func where(a alert.Alert) string {
	var parts []string
	if a.AccountID != "" {
		parts = append(parts, "account "+a.AccountID)
	}
	if a.Region != "" {
		parts = append(parts, a.Region)
	}
	return strings.Join(parts, " / ")
}

func eventTime(a alert.Alert) string {
	if a.EventTime.IsZero() {
		return ""
	}
	return a.EventTime.UTC().Format(time.RFC3339)
}

// firstCommand picks the first response command out of a rule's guide: the
// first line of the first fenced code block, else the first line that starts
// with "aws " (after an optional "$ ", "- " or backtick).
func firstCommand(guide string) string {
	inFence := false
	for _, line := range strings.Split(guide, "\n") {
		t := strings.TrimSpace(line)
		if strings.HasPrefix(t, "```") {
			if inFence {
				inFence = false
				continue
			}
			inFence = true
			continue
		}
		if inFence {
			if t != "" {
				return strings.TrimPrefix(t, "$ ")
			}
			continue
		}
		t = strings.TrimPrefix(t, "- ")
		t = strings.TrimPrefix(t, "$ ")
		t = strings.Trim(t, "`")
		if strings.HasPrefix(t, "aws ") {
			return t
		}
	}
	return ""
}

// truncate shortens s to at most n bytes on a rune boundary, marking the cut
// with "…" when there is room for it.
func truncate(n int, s string) string {
	if len(s) <= n {
		return s
	}
	const ell = "…"
	cut := n - len(ell)
	if cut < 0 {
		cut, n = n, 0
	}
	for cut > 0 && !utf8.RuneStart(s[cut]) {
		cut--
	}
	if n == 0 {
		return s[:cut]
	}
	return s[:cut] + ell
}
