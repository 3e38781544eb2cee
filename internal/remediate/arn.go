package remediate

import (
	"strings"

	"github.com/kmsguard/kmsguard/internal/policy"
)

type keyARN struct{ partition, region, account, id string }

// parseKeyARN splits arn:PARTITION:kms:REGION:ACCOUNT:key/ID.
func parseKeyARN(s string) (keyARN, bool) {
	p := strings.SplitN(s, ":", 6)
	if len(p) != 6 || p[0] != "arn" || p[2] != "kms" || p[3] == "" || len(p[4]) != 12 || !strings.HasPrefix(p[5], "key/") || len(p[5]) == 4 {
		return keyARN{}, false
	}
	return keyARN{partition: p[1], region: p[3], account: p[4], id: p[5][4:]}, true
}

func isKeyARN(s string) bool { _, ok := parseKeyARN(s); return ok }

// accountOf returns the account id of a principal ARN or a bare id, or "".
func accountOf(p string) string {
	if policy.IsAccountID(p) {
		return p
	}
	parts := strings.SplitN(p, ":", 6)
	if len(parts) == 6 && parts[0] == "arn" {
		return parts[4]
	}
	return ""
}
