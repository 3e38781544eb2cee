package controls

import (
	"time"

	"github.com/kmsguard/kmsguard/internal/config"
	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/policy"
)

// CheckContext is what a check may read besides the account: the parsed
// configuration (parameters, allowlist, trusted accounts) and the time the
// scan considers "now", so that day counts are deterministic in tests.
type CheckContext struct {
	Now    time.Time
	Config *config.Config // never nil inside a check: Run substitutes config.Default()
	// Analyzer answers the policy set questions. One is shared by every
	// control of a scan so that its automata caches are reused; never nil
	// inside a check: Run creates one when the caller gave none.
	Analyzer *policy.Analyzer
}

// CheckFunc evaluates a control on one account and returns one finding per
// resource it looked at. It is a pure function of its arguments. It builds
// findings with the helpers below (Pass, Fail, Unknown, NotApplicable); Run
// fills in the control metadata (id, title, severity, resource type,
// account).
type CheckFunc func(cc CheckContext, acct *inventory.Account) []Finding

// Pass, Fail, Unknown and NotApplicable build a finding for a resource.

// Pass records a resource that meets the control.
func Pass(resourceID, region, reason string, evidence ...string) Finding {
	return Finding{Status: StatusPass, ResourceID: resourceID, Region: region, Reason: reason, Evidence: evidence}
}

// Fail records a resource that does not meet the control.
func Fail(resourceID, region, reason string, evidence ...string) Finding {
	return Finding{Status: StatusFail, ResourceID: resourceID, Region: region, Reason: reason, Evidence: evidence}
}

// Unknown records a resource the control could not decide because a fact
// was not read; the reason names the call and its error.
func Unknown(resourceID, region, what string, rerr *inventory.ReadError) Finding {
	return Finding{Status: StatusUnknown, ResourceID: resourceID, Region: region,
		Reason: what + " could not be read: " + rerr.Error()}
}

// NotApplicable records a resource the control does not apply to, and why.
func NotApplicable(resourceID, region, reason string) Finding {
	return Finding{Status: StatusNotApplicable, ResourceID: resourceID, Region: region, Reason: reason}
}
