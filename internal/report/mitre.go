package report

import (
	"strings"
)

// attackTags is what Sigma's attack.* tags say about MITRE ATT&CK.
type attackTags struct {
	Tactics       []attackTactic // in tag order
	Techniques    []string       // T1485
	Subtechniques []string       // T1098.001
}

type attackTactic struct{ ID, Name string }

// parseAttackTags reads Sigma tags such as attack.impact, attack.t1485 and
// attack.t1098.001; other tags are ignored.
func parseAttackTags(tags []string) attackTags {
	var out attackTags
	for _, tag := range tags {
		rest, ok := strings.CutPrefix(strings.ToLower(tag), "attack.")
		if !ok {
			continue
		}
		if isTechnique(rest) {
			id := strings.ToUpper(rest)
			if parent, _, isSub := strings.Cut(id, "."); isSub {
				out.Subtechniques = append(out.Subtechniques, id)
				out.Techniques = appendNew(out.Techniques, parent)
			} else {
				out.Techniques = appendNew(out.Techniques, id)
			}
			continue
		}
		if t, ok := tactic(rest); ok {
			out.Tactics = append(out.Tactics, t)
		}
	}
	return out
}

// isTechnique matches ATT&CK technique ids: t1234 or t1234.567.
func isTechnique(s string) bool {
	digits := func(x string) bool {
		for _, r := range x {
			if r < '0' || r > '9' {
				return false
			}
		}
		return true
	}
	switch {
	case len(s) == 5:
		return s[0] == 't' && digits(s[1:])
	case len(s) == 9:
		return s[0] == 't' && digits(s[1:5]) && s[5] == '.' && digits(s[6:])
	}
	return false
}

// tactic maps Sigma's tactic tag names to ATT&CK Enterprise tactic ids.
func tactic(name string) (attackTactic, bool) {
	ids := map[string]attackTactic{
		"reconnaissance":       {"TA0043", "Reconnaissance"},
		"resource_development": {"TA0042", "Resource Development"},
		"initial_access":       {"TA0001", "Initial Access"},
		"execution":            {"TA0002", "Execution"},
		"persistence":          {"TA0003", "Persistence"},
		"privilege_escalation": {"TA0004", "Privilege Escalation"},
		"defense_evasion":      {"TA0005", "Defense Evasion"},
		"credential_access":    {"TA0006", "Credential Access"},
		"discovery":            {"TA0007", "Discovery"},
		"lateral_movement":     {"TA0008", "Lateral Movement"},
		"collection":           {"TA0009", "Collection"},
		"exfiltration":         {"TA0010", "Exfiltration"},
		"command_and_control":  {"TA0011", "Command and Control"},
		"impact":               {"TA0040", "Impact"},
	}
	t, ok := ids[name]
	return t, ok
}

func appendNew(list []string, s string) []string {
	for _, x := range list {
		if x == s {
			return list
		}
	}
	return append(list, s)
}
