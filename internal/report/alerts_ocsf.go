package report

import (
	"encoding/json"
	"io"
	"net/netip"
	"strings"

	"github.com/kmsguard/kmsguard/internal/alert"
)

// alertOCSF writes one OCSF Detection Finding (class 2004) per alert as JSON
// Lines, with the cloud and datetime profiles. The CloudTrail call is the
// evidence: evidences[0] holds the actor (user, session), the API call
// (operation, service, error), the source endpoint and the request
// parameters (as data). time is when kmsguard made the finding (the run's
// end); finding_info.first_seen_time/last_seen_time is the event time.
type alertOCSF struct{}

type ocsfAnalytic struct {
	UID    string `json:"uid"`
	Name   string `json:"name"`
	Type   string `json:"type"`
	TypeID int    `json:"type_id"`
	Desc   string `json:"desc,omitempty"`
}

type ocsfNamed struct {
	UID  string `json:"uid"`
	Name string `json:"name,omitempty"`
	URL  string `json:"src_url,omitempty"`
}

type ocsfAttack struct {
	Tactic       *ocsfNamed  `json:"tactic,omitempty"`
	Technique    *ocsfNamed  `json:"technique,omitempty"`
	SubTechnique *ocsfNamed  `json:"sub_technique,omitempty"`
	Tactics      []ocsfNamed `json:"tactics,omitempty"`
}

type ocsfRelatedEvent struct {
	UID string `json:"uid"`
}

type ocsfDetectionInfo struct {
	UID           string             `json:"uid"`
	Title         string             `json:"title"`
	Desc          string             `json:"desc,omitempty"`
	Types         []string           `json:"types,omitempty"`
	Analytic      ocsfAnalytic       `json:"analytic"`
	Attacks       []ocsfAttack       `json:"attacks,omitempty"`
	FirstSeen     int64              `json:"first_seen_time"`
	FirstSeenDT   string             `json:"first_seen_time_dt"`
	LastSeen      int64              `json:"last_seen_time"`
	LastSeenDT    string             `json:"last_seen_time_dt"`
	Tags          []ocsfKeyValue     `json:"tags,omitempty"`
	RelatedEvents []ocsfRelatedEvent `json:"related_events,omitempty"`
}

type ocsfKeyValue struct {
	Name  string `json:"name"`
	Value string `json:"value"`
}

type ocsfDetectionFinding struct {
	ocsfClassification
	IsAlert     bool              `json:"is_alert"`
	Metadata    ocsfMetadata      `json:"metadata"`
	Cloud       ocsfCloud         `json:"cloud"`
	FindingInfo ocsfDetectionInfo `json:"finding_info"`
	Evidences   []map[string]any  `json:"evidences"`
	Resources   []ocsfResource    `json:"resources,omitempty"`
	Remediation *ocsfRemediation  `json:"remediation,omitempty"`
	Unmapped    map[string]any    `json:"unmapped,omitempty"`
}

func (alertOCSF) WriteAlerts(w io.Writer, r AlertRun) error {
	at := r.generatedAt()
	ms, dt := at.UnixMilli(), at.Format(timeRFC3339Millis)
	enc := json.NewEncoder(w)
	for _, a := range sortedAlerts(r.Alerts) {
		sevID, sevName := ocsfSeverity(a.Severity)
		evMS, evDT := a.EventTime.UnixMilli(), a.EventTime.UTC().Format(timeRFC3339Millis)
		ev := ocsfDetectionFinding{
			ocsfClassification: ocsfClassification{
				ActivityID: 1, ActivityName: "Create",
				CategoryUID: 2, CategoryName: "Findings",
				ClassUID: 2004, ClassName: "Detection Finding",
				TypeUID: 200401, TypeName: "Detection Finding: Create",
				SeverityID: sevID, Severity: sevName,
				StatusID: 1, Status: "New",
				Time: ms, TimeDT: dt,
				Message: alertMessage(a),
			},
			IsAlert: true,
			Metadata: ocsfMetadata{Version: OCSFVersion, Product: ocsfProductOf(r.ToolVersion),
				Profiles: []string{"cloud", "datetime"}, UID: a.ID, LogName: "kmsguard detect"},
			Cloud: ocsfCloud{Provider: "AWS", Region: a.Region},
			FindingInfo: ocsfDetectionInfo{
				UID: a.ID, Title: a.RuleTitle, Desc: a.Description, Types: []string{a.RuleID},
				Analytic:  ocsfAnalytic{UID: a.RuleID, Name: a.RuleTitle, Type: "Rule", TypeID: 1},
				Attacks:   ocsfAttacks(a.Tags),
				FirstSeen: evMS, FirstSeenDT: evDT, LastSeen: evMS, LastSeenDT: evDT,
			},
			Evidences: []map[string]any{ocsfEvidence(a)},
		}
		if ev.Cloud.Region == "" {
			ev.Cloud.Region = "global"
		}
		if a.AccountID != "" {
			ev.Cloud.Account = &ocsfAccount{UID: a.AccountID, Type: "AWS Account", TypeID: 10}
		}
		for _, t := range a.Tags {
			ev.FindingInfo.Tags = append(ev.FindingInfo.Tags, ocsfKeyValue{Name: "sigma", Value: t})
		}
		for _, id := range a.EventIDs {
			ev.FindingInfo.RelatedEvents = append(ev.FindingInfo.RelatedEvents, ocsfRelatedEvent{UID: id})
		}
		for _, arn := range a.KeyARNs {
			ev.Resources = append(ev.Resources, ocsfResource{UID: arn, Name: resourceName(arn), Type: "AWS::KMS::Key",
				Region: a.Region, Provider: "AWS", Partition: arnPartition(arn), RoleID: 1, Role: "Target"})
		}
		if a.Guide != "" {
			ev.Remediation = &ocsfRemediation{Desc: a.Guide}
		}
		unmapped := map[string]any{}
		if len(a.Details) > 0 {
			unmapped["details"] = a.Details
		}
		if len(a.Enrichment) > 0 {
			unmapped["enrichment"] = a.Enrichment
		}
		if len(unmapped) > 0 {
			ev.Unmapped = unmapped
		}
		if err := enc.Encode(ev); err != nil {
			return err
		}
	}
	return nil
}

// ocsfAttacks turns Sigma ATT&CK tags into one attack object per technique
// (with its sub-technique, if tagged) carrying all the rule's tactics; a rule
// tagged with tactics only gets one attack object per tactic.
func ocsfAttacks(tags []string) []ocsfAttack {
	at := parseAttackTags(tags)
	var tactics []ocsfNamed
	for _, t := range at.Tactics {
		tactics = append(tactics, ocsfNamed{UID: t.ID, Name: t.Name, URL: "https://attack.mitre.org/tactics/" + t.ID + "/"})
	}
	var out []ocsfAttack
	for _, t := range at.Techniques {
		a := ocsfAttack{Technique: &ocsfNamed{UID: t, URL: "https://attack.mitre.org/techniques/" + t + "/"}, Tactics: tactics}
		for _, sub := range at.Subtechniques {
			if strings.HasPrefix(sub, t+".") {
				a.SubTechnique = &ocsfNamed{UID: sub, URL: "https://attack.mitre.org/techniques/" + strings.Replace(sub, ".", "/", 1) + "/"}
				break
			}
		}
		out = append(out, a)
	}
	if len(out) == 0 {
		for _, t := range tactics {
			out = append(out, ocsfAttack{Tactic: &t})
		}
	}
	return out
}

// ocsfEvidence describes the CloudTrail call: who, what, from where.
func ocsfEvidence(a alert.Alert) map[string]any {
	ev := map[string]any{}
	user := obj{}.set("uid", a.Actor.PrincipalID).set("name", a.Actor.UserName).set("uid_alt", a.Actor.ARN).
		set("type", a.Actor.Type)
	if a.Actor.AccessKeyID != "" {
		user.set("programmatic_credentials", []obj{{"uid": a.Actor.AccessKeyID, "type": "AWS Access Key"}})
	}
	if a.Actor.AccountID != "" {
		user.set("account", obj{"uid": a.Actor.AccountID, "type": "AWS Account", "type_id": 10})
	}
	if len(user) > 0 {
		// user_t type_id is an enum of human/machine kinds CloudTrail does
		// not state; the CloudTrail identity type goes in type with Other.
		if _, ok := user["type"]; ok {
			user["type_id"] = 99
		}
	}
	// invoked_by is deprecated in favour of app_name: the AWS service that
	// made the call on the principal's behalf.
	actor := obj{}.set("user", user).set("app_name", a.Actor.InvokedBy)
	if a.Actor.SessionIssuerARN != "" || a.Actor.Type == "AssumedRole" {
		actor.set("session", obj{"is_mfa": a.Actor.MFAAuthenticated}.set("issuer", a.Actor.SessionIssuerARN).set("credential_uid", a.Actor.AccessKeyID))
	}
	if len(actor) == 0 {
		actor.set("app_name", a.EventSource)
	}
	ev["actor"] = actor
	api := obj{"operation": a.EventName, "service": obj{"name": a.EventSource}}
	if a.ErrorCode != "" {
		api.set("response", obj{"error": a.ErrorCode})
	}
	ev["api"] = api
	if addr, err := netip.ParseAddr(a.SourceIP); err == nil {
		ev["src_endpoint"] = obj{"ip": addr.String()}
	} else if a.SourceIP != "" {
		ev["src_endpoint"] = obj{"domain": a.SourceIP}
	}
	if a.UserAgent != "" {
		ev["http_request"] = obj{"user_agent": a.UserAgent}
	}
	if len(a.RequestParameters) > 0 {
		ev["data"] = map[string]any{"request_parameters": a.RequestParameters}
	}
	ev["uid"] = a.EventID
	return ev
}
