package remediate

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/kmsguard/kmsguard/internal/guardrails"
	"github.com/kmsguard/kmsguard/internal/policy"
)

// planPolicy reads the live key policy, applies the action's edits and
// checks the result: it must change something and must leave a principal
// able to manage the key.
func planPolicy(ctx context.Context, c KMS, a *Action, info KeyInfo, opts Options) {
	arn, _ := parseKeyARN(a.KeyARN)
	if info.Manager == "AWS" {
		a.Status, a.Reason = StatusRefused, "AWS-managed key: AWS owns its key policy, which cannot be changed"
		return
	}
	before, err := c.GetKeyPolicy(ctx, a.KeyARN)
	if err != nil {
		a.Status, a.Reason = StatusRefused, "cannot read the key policy (GetKeyPolicy): "+err.Error()
		return
	}
	a.PolicyBefore = before
	after, removed, notes, err := editPolicy(before, arn, a.Edits, opts)
	if err != nil {
		a.Status, a.Reason = StatusRefused, err.Error()
		return
	}
	a.RemoveStatements = removed
	kp, _ := guardrails.ParseKeyPolicy(before)
	normalised := string(kp.Bytes())
	if after == normalised {
		a.Status, a.Reason = StatusAlreadyDone, "the live key policy already meets the goal: "+strings.Join(notes, "; ")
		return
	}
	a.PolicyAfter = after
	a.Diff = UnifiedDiff("key-policy (live, "+a.KeyARN+")", "key-policy (planned)", normalised, after)
	if who, err := checkManageable(after, arn, opts); err != nil {
		a.Status, a.Reason = StatusRefused, err.Error()
		return
	} else {
		notes = append(notes, "after the change "+who+" can still call kms:PutKeyPolicy")
	}
	a.Calls = []Call{{Operation: "PutKeyPolicy", KeyID: a.KeyARN, PolicyName: "default", Policy: after}}
	a.Status, a.Reason = StatusPlanned, strings.Join(notes, "; ")
}

// editPolicy applies the edits to the policy text and returns the new text,
// the statements removed, and one note per edit.
func editPolicy(text string, arn keyARN, edits []Edit, opts Options) (string, []string, []string, error) {
	kp, err := guardrails.ParseKeyPolicy(text)
	if err != nil {
		return "", nil, nil, fmt.Errorf("the live key policy cannot be edited: %v", err)
	}
	parsed, err := policy.ParseWith([]byte(text), policy.ParseOptions{Partition: arn.partition})
	if err != nil {
		return "", nil, nil, fmt.Errorf("the live key policy cannot be evaluated: %v", err)
	}
	var notes, removedRefs []string
	var remove []int
	for _, e := range edits {
		switch e {
		case EditRemovePublic, EditRemoveCrossAccount:
			var idx []int
			if e == EditRemovePublic {
				idx = publicStatements(parsed, arn, opts)
			} else {
				idx = crossAccountStatements(parsed, arn, opts)
			}
			var refs []string
			for _, i := range idx {
				refs = append(refs, parsed.Statements[i].Ref())
				if !slices.Contains(remove, i) {
					remove = append(remove, i)
				}
			}
			if len(refs) == 0 {
				notes = append(notes, string(e)+": re-evaluated live, no statement lets such principals in")
			} else {
				notes = append(notes, string(e)+": remove statement(s) "+strings.Join(refs, ", "))
				removedRefs = append(removedRefs, refs...)
			}
		}
	}
	// Remove from the highest index down so the indices stay valid.
	slices.Sort(remove)
	for _, i := range slices.Backward(remove) {
		if err := kp.RemoveAt(i); err != nil {
			return "", nil, nil, err
		}
	}
	for _, e := range edits {
		var st guardrails.Statement
		switch e {
		case EditAddRootAccess:
			st = guardrails.RootAccess(arn.partition, arn.account)
		case EditAddDeletionProtection:
			st, err = guardrails.DeletionProtection(opts.cfg().Allowlist.BreakGlass, opts.LockPolicy)
			if err != nil {
				return "", nil, nil, err
			}
		default:
			continue
		}
		changed, err := kp.Put(st)
		if err != nil {
			return "", nil, nil, err
		}
		if changed {
			notes = append(notes, string(e)+": put statement "+st.Sid)
		} else {
			notes = append(notes, string(e)+": statement "+st.Sid+" is already in place")
		}
	}
	return string(kp.Bytes()), removedRefs, notes, nil
}

func keyString(a keyARN) string {
	return "arn:" + a.partition + ":kms:" + a.region + ":" + a.account + ":key/" + a.id
}

// checkManageable refuses a policy that would leave no principal able to
// call kms:PutKeyPolicy: the account root (through IAM delegation), the
// break-glass principals, or a principal the policy names that is known to
// exist. It returns who can.
func checkManageable(text string, arn keyARN, opts Options) (string, error) {
	p, err := policy.ParseWith([]byte(text), policy.ParseOptions{Partition: arn.partition})
	if err != nil {
		return "", fmt.Errorf("the new key policy does not parse: %v", err)
	}
	key := keyString(arn)
	root := "arn:" + arn.partition + ":iam::" + arn.account + ":root"
	candidates := []string{root}
	exists := opts.PrincipalExists
	for _, bg := range opts.cfg().Allowlist.BreakGlass {
		if !strings.ContainsAny(bg, "*?") {
			candidates = append(candidates, bg)
		}
	}
	for _, st := range p.Statements {
		if st.Effect == policy.Allow && st.Principals != nil && !st.NotPrincipal {
			for _, a := range st.Principals.AWS {
				if !strings.ContainsAny(a, "*?") && !slices.Contains(candidates, a) {
					candidates = append(candidates, a)
				}
			}
		}
	}
	checked := 0
	for _, c := range candidates {
		if c != root && (exists == nil || !exists(c)) {
			continue
		}
		checked++
		acct := accountOf(c)
		ctx := policy.Context{"aws:PrincipalArn": {c}, "aws:PrincipalAccount": {acct}, "kms:CallerAccount": {acct}}
		d := p.Evaluate(policy.Request{Principal: policy.RequestPrincipal{ID: c, Account: acct}, Action: "kms:PutKeyPolicy", Resource: key, Context: ctx})
		if d.Outcome == policy.Allowed {
			if c == root {
				return "the account root " + root + " (through IAM)", nil
			}
			return c, nil
		}
	}
	return "", fmt.Errorf("after this change no principal could call kms:PutKeyPolicy on the key, so it would be locked out "+
		"(checked the account root %s and %d named or break-glass principal(s) known to exist; %d more are named but not known to exist)",
		root, checked-1, len(candidates)-checked)
}
