package detect

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"strings"
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/cloudtrail"
)

// NewAlert builds the alert for a match on rec: rule metadata, the event's
// identity and outcome, the actor, the KMS key ARNs and request parameters,
// the rule's details, and the guide rendered from the event.
func NewAlert(m Match, rec *cloudtrail.Record) alert.Alert {
	r := m.Rule
	a := alert.Alert{
		RuleID:      r.ID,
		RuleTitle:   r.Title,
		Severity:    r.Level,
		Tags:        r.Tags,
		Description: r.Description,
		Guide:       RenderTemplate(r.Guide, rec),
		EventID:     rec.String("eventID"),
		EventSource: rec.String("eventSource"),
		EventName:   rec.String("eventName"),
		AccountID:   rec.String("recipientAccountId"),
		Region:      rec.String("awsRegion"),
		ErrorCode:   rec.String("errorCode"),
		SourceIP:    rec.String("sourceIPAddress"),
		UserAgent:   rec.String("userAgent"),
		Outcome:     "success",
		Actor: alert.Actor{
			Type:             rec.String("userIdentity.type"),
			ARN:              rec.String("userIdentity.arn"),
			PrincipalID:      rec.String("userIdentity.principalId"),
			AccountID:        rec.String("userIdentity.accountId"),
			AccessKeyID:      rec.String("userIdentity.accessKeyId"),
			UserName:         rec.String("userIdentity.userName"),
			SessionIssuerARN: rec.String("userIdentity.sessionContext.sessionIssuer.arn"),
			InvokedBy:        rec.String("userIdentity.invokedBy"),
		},
	}
	if a.AccountID == "" {
		a.AccountID = rec.String("userIdentity.accountId")
	}
	if t, err := time.Parse(time.RFC3339, rec.String("eventTime")); err == nil {
		a.EventTime = t.UTC()
	}
	if hasField(rec, "errorCode") || hasField(rec, "errorMessage") {
		a.Outcome = "failure"
	}
	if v, ok := rec.Field("userIdentity.sessionContext.attributes.mfaAuthenticated"); ok {
		switch v := v.(type) {
		case string:
			a.Actor.MFAAuthenticated = strings.EqualFold(v, "true")
		case bool:
			a.Actor.MFAAuthenticated = v
		}
	}
	if p, ok := rec.Fields["requestParameters"].(map[string]any); ok {
		a.RequestParameters = p
	}
	a.KeyARNs = keyARNs(rec)
	for _, d := range r.Details {
		if v, ok := rec.Field(d.Field); ok && v != nil {
			if s, ok := textOf(v); ok {
				if a.Details == nil {
					a.Details = map[string]string{}
				}
				a.Details[d.Name] = s
			}
		}
	}
	a.ID = AlertID(r.ID, a.EventID)
	return a
}

// AlertID is the dedup key of an alert: stable for one rule and one
// CloudTrail eventID, so a redelivered record never alerts twice.
func AlertID(ruleID, eventID string) string {
	sum := sha256.Sum256([]byte(ruleID + "\x00" + eventID))
	return hex.EncodeToString(sum[:16])
}

func hasField(rec *cloudtrail.Record, path string) bool {
	v, ok := rec.Field(path)
	return ok && v != nil
}

// keyARNs collects KMS key ARNs from resources[] entries of type
// AWS::KMS::Key and from the request and response fields that hold a key
// ARN (keyId, keyMetadata.arn, the S3 SSE-KMS key id).
func keyARNs(rec *cloudtrail.Record) []string {
	var out []string
	add := func(s string) {
		if s == "" {
			return
		}
		for _, x := range out {
			if x == s {
				return
			}
		}
		out = append(out, s)
	}
	if res, ok := rec.Fields["resources"].([]any); ok {
		for _, r := range res {
			m, _ := r.(map[string]any)
			if t, _ := m["type"].(string); t == "AWS::KMS::Key" {
				arn, _ := m["ARN"].(string)
				if arn == "" {
					arn, _ = m["arn"].(string)
				}
				add(arn)
			}
		}
	}
	for _, p := range []string{"requestParameters.keyId", "responseElements.keyId", "responseElements.keyMetadata.arn",
		"requestParameters.x-amz-server-side-encryption-aws-kms-key-id"} {
		if k := rec.String(p); strings.HasPrefix(k, "arn:") && strings.Contains(k, ":key/") {
			add(k)
		}
	}
	return out
}

// textOf renders a field value for a detail or a template: strings as they
// are, numbers and booleans as JSON, objects and arrays as compact JSON.
func textOf(v any) (string, bool) {
	if s, ok := stringForm(v); ok {
		return s, true
	}
	switch v.(type) {
	case map[string]any, []any:
		b, err := json.Marshal(v)
		if err != nil {
			return "", false
		}
		return string(b), true
	}
	return "", false
}

// RenderTemplate fills a guide template from the record. A placeholder is a
// dotted field path in double braces, {{requestParameters.keyId}}; several
// paths may be given with |, the first present one wins:
// {{requestParameters.keyId|resources.0.ARN}}. A placeholder whose fields
// are all missing is left as <path>, so the reader sees what to fill in.
// Values with characters a shell would interpret are single-quoted, so a
// hostile field cannot turn a suggested command into another one.
func RenderTemplate(tmpl string, rec *cloudtrail.Record) string {
	if !strings.Contains(tmpl, "{{") {
		return tmpl
	}
	var b strings.Builder
	for {
		open := strings.Index(tmpl, "{{")
		if open < 0 {
			break
		}
		end := strings.Index(tmpl[open:], "}}")
		if end < 0 {
			break
		}
		b.WriteString(tmpl[:open])
		expr := strings.TrimSpace(tmpl[open+2 : open+end])
		b.WriteString(fillPlaceholder(expr, rec))
		tmpl = tmpl[open+end+2:]
	}
	b.WriteString(tmpl)
	return b.String()
}

func fillPlaceholder(expr string, rec *cloudtrail.Record) string {
	for _, path := range strings.Split(expr, "|") {
		path = strings.TrimSpace(path)
		if v, ok := fieldAt(rec, path); ok && v != nil {
			if s, ok := textOf(v); ok && s != "" {
				return shellSafe(s)
			}
		}
	}
	first, _, _ := strings.Cut(expr, "|")
	return "<" + strings.TrimSpace(first) + ">"
}

// shellSafe returns s single-quoted when it holds a character a POSIX
// shell would interpret (spaces alone only split words and are left as
// they are). Guides hold commands to copy and paste, and event fields (a
// keyId in a denied request, an error message) can be chosen by an
// attacker.
func shellSafe(s string) string {
	if !strings.ContainsAny(s, ";&|$`'\"<>()\n\r\\{}*?[]!#~") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}

// fieldAt is Record.Field that also steps into arrays by index
// ("resources.0.ARN").
func fieldAt(rec *cloudtrail.Record, path string) (any, bool) {
	var cur any = rec.Fields
	for _, step := range strings.Split(path, ".") {
		switch c := cur.(type) {
		case map[string]any:
			next, ok := c[step]
			if !ok {
				return nil, false
			}
			cur = next
		case []any:
			i := 0
			for _, ch := range step {
				if ch < '0' || ch > '9' || i > 1<<20 {
					return nil, false
				}
				i = i*10 + int(ch-'0')
			}
			if step == "" || i >= len(c) {
				return nil, false
			}
			cur = c[i]
		default:
			return nil, false
		}
	}
	return cur, true
}
