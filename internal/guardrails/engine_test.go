package guardrails

import (
	"strings"
	"testing"

	"github.com/kmsguard/kmsguard/internal/detect"
	"github.com/kmsguard/kmsguard/internal/policy"
)

const (
	account        = "111122223333"
	keyARN         = "arn:aws:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	breakGlassRole = "arn:aws:iam::111122223333:role/KeyAdminBreakGlass"
	developer      = "arn:aws:iam::111122223333:role/Developer"
)

// request builds what the SCP and key policy see when principalARN (a role,
// through an assumed-role session) calls action on the key.
func request(principalARN, action string, extra policy.Context) policy.Request {
	session := strings.Replace(strings.Replace(principalARN, ":iam::", ":sts::", 1), ":role/", ":assumed-role/", 1) + "/session"
	ctx := policy.Context{"aws:PrincipalArn": {principalARN}, "aws:PrincipalAccount": {account}}
	for k, v := range extra {
		ctx[k] = v
	}
	return policy.Request{Principal: policy.RequestPrincipal{ID: session, Account: account}, Action: action, Resource: keyARN, Context: ctx}
}

func parse(t *testing.T, doc []byte) *policy.Policy {
	t.Helper()
	p, err := policy.Parse(doc)
	if err != nil {
		t.Fatalf("generated policy does not parse: %v\n%s", err, doc)
	}
	return p
}

// The SCP really denies every destructive action to a non-authorised role,
// lets the break-glass role through, and enforces the minimum window on both.
func TestSCPDecidedByThePolicyEngine(t *testing.T) {
	scps, err := SCPs(Options{AuthorizedPrincipals: []string{"arn:aws:iam::*:role/KeyAdminBreakGlass"}, MinPendingWindowDays: 30})
	if err != nil {
		t.Fatal(err)
	}
	scp := parse(t, scps[0].Document.Minified())
	for _, action := range DestructiveActions {
		if got := scp.Evaluate(request(developer, action, nil)).Outcome; got != policy.ExplicitDeny {
			t.Errorf("%s by a developer role: %v, want an explicit deny", action, got)
		}
		ctx := policy.Context{"kms:ScheduleKeyDeletionPendingWindowInDays": {"30"}}
		if got := scp.Evaluate(request(breakGlassRole, action, ctx)).Outcome; got == policy.ExplicitDeny {
			t.Errorf("%s by the break-glass role with a 30-day window is denied", action)
		}
	}
	short := policy.Context{"kms:ScheduleKeyDeletionPendingWindowInDays": {"7"}}
	if got := scp.Evaluate(request(breakGlassRole, "kms:ScheduleKeyDeletion", short)).Outcome; got != policy.ExplicitDeny {
		t.Errorf("a 7-day deletion by the break-glass role: %v, want denied by the minimum window", got)
	}
	if got := scp.Evaluate(request(developer, "kms:Decrypt", nil)).Outcome; got == policy.ExplicitDeny {
		t.Error("the SCP must not touch cryptographic use")
	}
}

// The tag-scoped SCP protects tagged keys only, and keeps the tag on.
func TestTagScopedSCPDecidedByThePolicyEngine(t *testing.T) {
	scps, err := SCPs(Options{AuthorizedPrincipals: []string{breakGlassRole}, ProtectedTags: map[string]string{"environment": "production"}})
	if err != nil {
		t.Fatal(err)
	}
	scp := parse(t, scps[0].Document.Minified())
	prod := policy.Context{"aws:ResourceTag/environment": {"production"}}
	dev := policy.Context{"aws:ResourceTag/environment": {"dev"}}
	if got := scp.Evaluate(request(developer, "kms:ScheduleKeyDeletion", prod)).Outcome; got != policy.ExplicitDeny {
		t.Errorf("deleting a production key: %v, want denied", got)
	}
	if got := scp.Evaluate(request(developer, "kms:ScheduleKeyDeletion", dev)).Outcome; got == policy.ExplicitDeny {
		t.Error("a dev key is not protected, yet deletion is denied")
	}
	untag := policy.Context{"aws:ResourceTag/environment": {"production"}, "aws:TagKeys": {"environment"}}
	if got := scp.Evaluate(request(developer, "kms:UntagResource", untag)).Outcome; got != policy.ExplicitDeny {
		t.Errorf("removing the protection tag: %v, want denied", got)
	}
}

// The deletion-protection statement denies deletion to everyone but the
// break-glass role and leaves the account in control of the key policy.
func TestDeletionProtectionDecidedByThePolicyEngine(t *testing.T) {
	kp, err := ParseKeyPolicy(readDefaultPolicy(t))
	if err != nil {
		t.Fatal(err)
	}
	for _, lock := range []bool{false, true} {
		st, err := DeletionProtection([]string{breakGlassRole}, lock)
		if err != nil {
			t.Fatal(err)
		}
		if _, err := kp.Put(st); err != nil {
			t.Fatal(err)
		}
		p := parse(t, kp.Bytes())
		if got := p.Evaluate(request(developer, "kms:ScheduleKeyDeletion", nil)).Outcome; got != policy.ExplicitDeny {
			t.Errorf("lock=%v: deletion by a developer: %v, want an explicit deny", lock, got)
		}
		if got := p.Evaluate(request(breakGlassRole, "kms:ScheduleKeyDeletion", nil)).Outcome; got == policy.ExplicitDeny {
			t.Errorf("lock=%v: deletion by the break-glass role is denied", lock)
		}
		// No lockout: the break-glass role (through the account's root
		// delegation) can still replace the policy.
		if got := p.Evaluate(request(breakGlassRole, "kms:PutKeyPolicy", nil)).Outcome; got != policy.Allowed {
			t.Errorf("lock=%v: PutKeyPolicy by the break-glass role: %v, want allowed", lock, got)
		}
		wantDev := policy.Allowed
		if lock {
			wantDev = policy.ExplicitDeny
		}
		if got := p.Evaluate(request(developer, "kms:PutKeyPolicy", nil)).Outcome; got != wantDev {
			t.Errorf("lock=%v: PutKeyPolicy by a developer: %v, want %v", lock, got, wantDev)
		}
	}
}

// Every KMS and CloudTrail event a built-in detection rule watches reaches
// EventBridge through one of the generated rules.
func TestEventRulesCoverTheDetectionRules(t *testing.T) {
	set, err := detect.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	covered := map[string]bool{}
	for _, r := range EventRules() {
		detail, _ := r.Pattern["detail"].(map[string]any)
		if detail == nil {
			continue
		}
		for _, src := range detail["eventSource"].([]string) {
			for _, name := range detail["eventName"].([]string) {
				covered[src+":"+name] = true
			}
		}
	}
	for _, rule := range set.Rules {
		for _, ev := range detect.WatchedEvents(rule) {
			src, _, _ := strings.Cut(ev, ":")
			if src != "kms.amazonaws.com" && src != "cloudtrail.amazonaws.com" {
				continue // S3 data events and IAM reach EventBridge only through a trail; see docs/guardrails.md
			}
			if !covered[ev] {
				t.Errorf("rule %q watches %s, which no EventBridge rule forwards", rule.Title, ev)
			}
		}
	}
}
