package report

import (
	"cmp"
	"encoding/json"
	"io"
	"net/netip"
	"strconv"
	"strings"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// ECSVersion is the Elastic Common Schema version the ecs writer follows.
const ECSVersion = "8.11.0"

// alertECS writes one Elastic Common Schema document per alert per line
// (NDJSON, ready for the _bulk API or Filebeat). See docs/report-json.md for
// the field list; fields outside ECS live under aws.* (as Elastic's AWS
// integration names them) and kmsguard.*.
type alertECS struct{}

// ecsSeverity is event.severity and event.risk_score: Elastic's default
// risk scores for rule severities.
func ecsSeverity(l severity.Level) int {
	switch l {
	case severity.Critical:
		return 99
	case severity.High:
		return 73
	case severity.Medium:
		return 47
	case severity.Low:
		return 21
	case severity.Informational:
		return 1
	}
	return 0
}

func (alertECS) WriteAlerts(w io.Writer, r AlertRun) error {
	enc := json.NewEncoder(w)
	created := r.generatedAt().Format(timeRFC3339Millis)
	for _, a := range sortedAlerts(r.Alerts) {
		if err := enc.Encode(ecsDocument(a, created)); err != nil {
			return err
		}
	}
	return nil
}

// obj is a JSON object whose empty members are dropped, so documents carry
// only the fields an alert has.
type obj map[string]any

func (o obj) set(key string, v any) obj {
	switch x := v.(type) {
	case string:
		if x == "" {
			return o
		}
	case []string:
		if len(x) == 0 {
			return o
		}
	case obj:
		if len(x) == 0 {
			return o
		}
	case []obj:
		if len(x) == 0 {
			return o
		}
	case map[string]string:
		if len(x) == 0 {
			return o
		}
	case nil:
		return o
	}
	o[key] = v
	return o
}

func ecsDocument(a alert.Alert, created string) obj {
	doc := obj{}
	doc.set("@timestamp", a.EventTime.UTC().Format(timeRFC3339Millis))
	doc.set("message", alertMessage(a))
	doc.set("tags", a.Tags)
	doc.set("ecs", obj{"version": ECSVersion})
	sev := ecsSeverity(a.Severity)
	doc.set("event", obj{"kind": "alert", "severity": sev, "risk_score": float64(sev), "created": created, "module": "kmsguard", "dataset": "kmsguard.alert"}.
		set("id", a.EventID).set("action", a.EventName).set("provider", a.EventSource).set("outcome", a.Outcome))
	doc.set("rule", obj{"ruleset": "kmsguard"}.set("id", a.RuleID).set("name", a.RuleTitle).set("description", a.Description))
	doc.set("threat", ecsThreat(a.Tags))
	doc.set("cloud", obj{"provider": "aws"}.set("region", a.Region).set("account", obj{}.set("id", a.AccountID)).
		set("service", obj{}.set("name", serviceName(a.EventSource))))
	if addr, err := netip.ParseAddr(a.SourceIP); err == nil {
		doc.set("source", obj{"ip": addr.String(), "address": a.SourceIP})
		doc.set("related", obj{"ip": []string{addr.String()}})
	} else {
		doc.set("source", obj{}.set("address", a.SourceIP))
	}
	doc.set("user_agent", obj{}.set("original", a.UserAgent))
	user := obj{}.set("name", cmp.Or(a.Actor.UserName, sessionName(a.Actor))).set("id", a.Actor.PrincipalID)
	doc.set("user", user)
	identity := obj{}.set("arn", a.Actor.ARN).set("type", a.Actor.Type).set("access_key_id", a.Actor.AccessKeyID).
		set("invoked_by", a.Actor.InvokedBy)
	if a.Actor.Type == "AssumedRole" || a.Actor.Type == "FederatedUser" || a.Actor.SessionIssuerARN != "" || a.Actor.MFAAuthenticated {
		identity.set("session_context", obj{"mfa_authenticated": strconv.FormatBool(a.Actor.MFAAuthenticated)}.
			set("session_issuer", obj{}.set("arn", a.Actor.SessionIssuerARN)))
	}
	trail := obj{}.set("user_identity", identity).set("error_code", a.ErrorCode)
	trail.set("recipient_account_id", a.AccountID)
	if len(a.RequestParameters) > 0 {
		b, _ := json.Marshal(a.RequestParameters)
		trail.set("request_parameters", string(b))
		trail.set("flattened", obj{"request_parameters": a.RequestParameters})
	}
	doc.set("aws", obj{}.set("cloudtrail", trail).set("kms", obj{}.set("key_arns", a.KeyARNs)))
	doc.set("kmsguard", obj{}.set("alert_id", a.ID).set("details", a.Details).set("enrichment", a.Enrichment).
		set("event_ids", a.EventIDs).set("guide", a.Guide).set("severity", a.Severity.String()))
	return doc
}

// ecsThreat maps Sigma's ATT&CK tags to ECS threat.* fields.
func ecsThreat(tags []string) obj {
	at := parseAttackTags(tags)
	if len(at.Tactics) == 0 && len(at.Techniques) == 0 {
		return nil
	}
	th := obj{"framework": "MITRE ATT&CK"}
	if len(at.Tactics) > 0 {
		var ids, names, refs []string
		for _, t := range at.Tactics {
			ids = append(ids, t.ID)
			names = append(names, t.Name)
			refs = append(refs, "https://attack.mitre.org/tactics/"+t.ID+"/")
		}
		th.set("tactic", obj{"id": ids, "name": names, "reference": refs})
	}
	if len(at.Techniques) > 0 {
		var refs []string
		for _, t := range at.Techniques {
			refs = append(refs, "https://attack.mitre.org/techniques/"+t+"/")
		}
		tech := obj{"id": at.Techniques, "reference": refs}
		if len(at.Subtechniques) > 0 {
			tech.set("subtechnique", obj{"id": at.Subtechniques})
		}
		th.set("technique", tech)
	}
	return th
}

// sessionName is the role session name of an assumed-role ARN
// (arn:aws:sts::111122223333:assumed-role/Role/session), which CloudTrail
// gives no field of its own.
func sessionName(a alert.Actor) string {
	if a.Type != "AssumedRole" || !strings.Contains(a.ARN, ":assumed-role/") {
		return ""
	}
	return a.ARN[strings.LastIndex(a.ARN, "/")+1:]
}

// serviceName is "kms" for "kms.amazonaws.com".
func serviceName(eventSource string) string {
	name, _, _ := strings.Cut(eventSource, ".")
	return name
}

// alertMessage is one sentence a person reads in a list of alerts.
func alertMessage(a alert.Alert) string {
	var b strings.Builder
	b.WriteString(a.RuleTitle + ": " + a.EventName)
	if len(a.KeyARNs) > 0 {
		b.WriteString(" on " + strings.Join(a.KeyARNs, ", "))
	}
	b.WriteString(" by " + actorName(a.Actor))
	if a.SourceIP != "" {
		b.WriteString(" from " + a.SourceIP)
	}
	if a.Outcome == "failure" {
		b.WriteString(" (failed")
		if a.ErrorCode != "" {
			b.WriteString(": " + a.ErrorCode)
		}
		b.WriteString(")")
	}
	return b.String()
}
