package guardrails

import (
	"errors"
	"fmt"
	"sort"

	"github.com/kmsguard/kmsguard/internal/policy"
)

// Options say what to protect and who may still act in an emergency.
type Options struct {
	// AuthorizedPrincipals are the principal ARN patterns (IAM wildcards
	// allowed, e.g. arn:aws:iam::*:role/KeyAdminBreakGlass) that keep the
	// destructive KMS permissions. Everyone else is denied them.
	AuthorizedPrincipals []string
	// ProtectedKeyARNs limits the guardrails to these keys (ARN patterns).
	// Empty means every key.
	ProtectedKeyARNs []string
	// ProtectedTags limits the guardrails to keys carrying any of these
	// tags (key -> value). Combined with ProtectedKeyARNs by union: a key is
	// protected when it is listed or tagged.
	ProtectedTags map[string]string
	// MinPendingWindowDays, when non-zero, denies ScheduleKeyDeletion with a
	// shorter waiting period (7 to 30 days, as KMS allows).
	MinPendingWindowDays int
	// DenyForeignGrants adds a statement that denies CreateGrant for grantee
	// principals outside TrustedAccounts (grants AWS services create for
	// their own resources stay allowed).
	DenyForeignGrants bool
	// TrustedAccounts are the account ids grants may target.
	TrustedAccounts []string
}

// Validate reports every problem with the options at once.
func (o Options) Validate() error {
	var errs []error
	if len(o.AuthorizedPrincipals) == 0 {
		errs = append(errs, errors.New("no authorised principals: name at least one break-glass role, or nobody could ever delete or re-police a protected key"))
	}
	for _, p := range o.AuthorizedPrincipals {
		if !isARNPattern(p) {
			errs = append(errs, fmt.Errorf("authorised principal %q is not an ARN pattern (want arn:aws:iam::ACCOUNT:role/NAME, wildcards allowed)", p))
		}
	}
	for _, k := range o.ProtectedKeyARNs {
		if !isARNPattern(k) {
			errs = append(errs, fmt.Errorf("protected key %q is not a key ARN pattern", k))
		}
	}
	if o.MinPendingWindowDays != 0 && (o.MinPendingWindowDays < 7 || o.MinPendingWindowDays > 30) {
		errs = append(errs, fmt.Errorf("minimum pending window %d days: KMS accepts 7 to 30", o.MinPendingWindowDays))
	}
	if o.DenyForeignGrants && len(o.TrustedAccounts) == 0 {
		errs = append(errs, errors.New("denying foreign grants needs the trusted account ids"))
	}
	for _, a := range o.TrustedAccounts {
		if !policy.IsAccountID(a) {
			errs = append(errs, fmt.Errorf("trusted account %q is not a 12-digit account id", a))
		}
	}
	return errors.Join(errs...)
}

func isARNPattern(s string) bool {
	return len(s) > 4 && s[:4] == "arn:"
}

// sortedTagKeys gives generated documents a stable order.
func sortedTagKeys(tags map[string]string) []string {
	keys := make([]string, 0, len(tags))
	for k := range tags {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}
