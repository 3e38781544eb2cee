package detect

import (
	"strconv"
	"strings"
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/cloudtrail"
	"github.com/kmsguard/kmsguard/internal/policy"
)

// Correlation fields: computed for group-by and value_count when the
// record does not carry them.
const (
	// PrincipalField is the identity that holds the permissions: the role
	// (sessionContext.sessionIssuer.arn) for an assumed-role session, else
	// userIdentity.arn. Sessions of one role have different ARNs (the
	// session name is chosen per AssumeRole); the role does not.
	PrincipalField = "kmsguard.actor.principal"
	// KeyARNField is the KMS key of the event as an ARN: the
	// AWS::KMS::Key resource, else requestParameters.keyId when it is an
	// ARN, else arn:PARTITION:kms:awsRegion:recipientAccountId:key/keyId
	// for a bare key id. Aliases are not resolved.
	KeyARNField = "kmsguard.key.arn"
)

// correlationField returns the text of a record field for grouping and
// value counting: dotted paths, array elements by index
// (resources.0.ARN), and the correlation fields above. Objects and arrays
// are compared as compact JSON. Missing, null and empty values are absent.
func correlationField(rec *cloudtrail.Record, path string) (string, bool) {
	if v, ok := fieldAt(rec, path); ok && v != nil {
		s, ok := textOf(v)
		return s, ok && s != ""
	}
	var s string
	switch path {
	case PrincipalField:
		s = rec.String("userIdentity.arn")
		if strings.EqualFold(rec.String("userIdentity.type"), "AssumedRole") {
			if issuer := rec.String("userIdentity.sessionContext.sessionIssuer.arn"); issuer != "" {
				s = issuer
			}
		}
	case KeyARNField:
		s = keyARNOf(rec)
	}
	return s, s != ""
}

func keyARNOf(rec *cloudtrail.Record) string {
	if arns := keyARNs(rec); len(arns) > 0 {
		return arns[0]
	}
	id := rec.String("requestParameters.keyId")
	region, acct := rec.String("awsRegion"), rec.String("recipientAccountId")
	if !isUUID(id) && !strings.HasPrefix(id, "mrk-") || region == "" || !policy.IsAccountID(acct) {
		return ""
	}
	partition := "aws"
	if p := strings.SplitN(rec.String("userIdentity.arn"), ":", 3); len(p) == 3 && p[0] == "arn" && p[1] != "" {
		partition = p[1]
	}
	return "arn:" + partition + ":kms:" + region + ":" + acct + ":key/" + id
}

// correlationAlert builds the alert of one qualifying window: the
// correlation's metadata, the group-by values (details group.<field>), the
// window's time range and count, every contributing event id, and the
// actors and keys collected from the events. EventID, EventTime and the
// actor are those of the first event; the ID is stable for the rule, the
// group and that first event.
func correlationAlert(k *Correlation, g *group, win []entry, n int64) alert.Alert {
	first, last := win[0], win[len(win)-1]
	a := alert.Alert{
		RuleID:      k.ID,
		RuleTitle:   k.Title,
		Severity:    k.Level,
		Tags:        k.Tags,
		Description: k.Description,
		EventID:     first.EventID,
		EventTime:   first.Time,
		AccountID:   first.Account,
		Region:      first.Region,
		Outcome:     "success",
		Actor:       alert.Actor{ARN: first.Actor},
		Details: map[string]string{
			"correlation_type": string(k.Type),
			"window_start":     first.Time.Format(time.RFC3339),
			"window_end":       last.Time.Format(time.RFC3339),
			"timespan":         k.TimespanText(),
			"event_count":      strconv.Itoa(len(win)),
			"condition":        k.Condition.String(),
			"matched":          strconv.FormatInt(n, 10),
		},
	}
	fields := map[string]any{}
	for i, f := range k.GroupBy {
		a.Details["group."+f] = g.values[i]
		setPath(fields, f, g.values[i])
	}
	var names, actors []string
	for _, e := range win {
		a.EventIDs = append(a.EventIDs, e.EventID)
		names = appendUnique(names, e.Name)
		actors = appendUnique(actors, e.Actor)
		for _, key := range e.Keys {
			a.KeyARNs = appendUnique(a.KeyARNs, key)
		}
	}
	a.EventName = strings.Join(names, ",")
	if len(actors) > 0 {
		a.Details["actor_arns"] = strings.Join(actors, ",")
	}
	if k.Type == ValueCount {
		var vals []string
		for _, e := range win {
			vals = appendUnique(vals, e.Value)
		}
		a.Details["values"] = strings.Join(vals, ",")
	}
	a.Guide = RenderTemplate(k.Guide, &cloudtrail.Record{Fields: fields})
	a.ID = AlertID(k.ID, g.key+"\x00"+first.EventID)
	return a
}

func appendUnique(list []string, s string) []string {
	if s == "" {
		return list
	}
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}

// setPath stores v at a dotted path in nested maps, so that guide
// templates can name group-by fields as they name record fields.
func setPath(m map[string]any, path string, v string) {
	steps := strings.Split(path, ".")
	for _, s := range steps[:len(steps)-1] {
		next, ok := m[s].(map[string]any)
		if !ok {
			next = map[string]any{}
			m[s] = next
		}
		m = next
	}
	m[steps[len(steps)-1]] = v
}
