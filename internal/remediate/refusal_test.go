package remediate_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/remediate"
)

func only(in remediate.Inputs, ids ...string) remediate.Inputs {
	var out remediate.Inputs
	for _, is := range in.Issues {
		if slices.Contains(ids, is.ResourceID[strings.LastIndex(is.ResourceID, "/")+1:]) {
			out.Issues = append(out.Issues, is)
		}
	}
	return out
}

func actionFor(t *testing.T, p remediate.Plan, id string) remediate.Action {
	t.Helper()
	for _, a := range p.Actions {
		if strings.HasSuffix(a.KeyARN, id) {
			return a
		}
	}
	t.Fatalf("no action for %s", id)
	return remediate.Action{}
}

func opsOn(t *testing.T, f *fake, id string) []string {
	var ops []string
	for _, w := range f.writes(t) {
		if strings.HasSuffix(w["KeyId"].(string), id) {
			ops = append(ops, w["_op"].(string))
		}
	}
	return ops
}

func TestApplyRefusesPolicyChangedSincePlan(t *testing.T) {
	f := newFake(t)
	ctx := context.Background()
	opts := testOptions(t, testConfig)
	plan := remediate.MakePlan(ctx, f.clients(t), only(issues(), idPublic, idNoRoot), opts)
	f.srv.Mutate(func() {
		k := f.key(idPublic)
		k.Policy = strings.Replace(k.Policy, `"kms:DescribeKey"`, `"kms:DescribeKey","kms:Encrypt"`, 1)
	})
	sum := remediate.Apply(ctx, f.clients(t), &plan, opts, nil)
	a := actionFor(t, plan, idPublic)
	if a.Result.Status != remediate.StatusRefused || a.Result.Detail != "policy changed since the plan was made; re-run" {
		t.Errorf("result = %+v", a.Result)
	}
	if ops := opsOn(t, f, idPublic); len(ops) != 0 {
		t.Errorf("wrote to the changed key: %v", ops)
	}
	if sum.Done != 1 || sum.Refused != 1 {
		t.Errorf("summary = %+v, want the other action done", sum)
	}
}

func TestDeletionProtectionNeedsBreakGlass(t *testing.T) {
	f := newFake(t)
	ctx := context.Background()
	opts := testOptions(t, "version: 1\n")
	plan := remediate.MakePlan(ctx, f.clients(t), only(issues(), idProtect), opts)
	a := actionFor(t, plan, idProtect)
	if a.Status != remediate.StatusRefused || !strings.Contains(a.Reason, "break-glass") {
		t.Errorf("action = %s: %s", a.Status, a.Reason)
	}
	remediate.Apply(ctx, f.clients(t), &plan, opts, nil)
	if ops := opsOn(t, f, idProtect); len(ops) != 0 {
		t.Errorf("wrote: %v", ops)
	}
}

func TestLockoutRefusedAtApplyToo(t *testing.T) {
	// A plan edited by hand (JSON) to remove the root statement is refused
	// when applied, not only when planned.
	f := newFake(t)
	ctx := context.Background()
	opts := testOptions(t, testConfig)
	plan := remediate.MakePlan(ctx, f.clients(t), only(issues(), idProtect), opts)
	a := &plan.Actions[0]
	a.PolicyAfter = `{"Version":"2012-10-17","Statement":[{"Sid":"Admins","Effect":"Allow","Principal":{"AWS":"arn:aws:iam::111122223333:role/Gone"},"Action":"kms:*","Resource":"*"}]}`
	remediate.Apply(ctx, f.clients(t), &plan, opts, nil)
	if a.Result.Status != remediate.StatusRefused || !strings.Contains(a.Result.Detail, "locked out") {
		t.Errorf("result = %+v", a.Result)
	}
	if ops := opsOn(t, f, idProtect); len(ops) != 0 {
		t.Errorf("wrote: %v", ops)
	}
}

func TestAccessDeniedOnOneActionOthersProceed(t *testing.T) {
	f := newFake(t)
	ctx := context.Background()
	opts := testOptions(t, testConfig)
	f.srv.Mutate(func() { f.deny["EnableKeyRotation "+idNoRot] = true })
	plan := remediate.MakePlan(ctx, f.clients(t), only(issues(), idDeleted, idNoRot, idGrants), opts)
	sum := remediate.Apply(ctx, f.clients(t), &plan, opts, nil)
	a := actionFor(t, plan, idNoRot)
	if a.Result.Status != remediate.StatusFailed || !strings.Contains(a.Result.Detail, "AccessDeniedException") {
		t.Errorf("result = %+v", a.Result)
	}
	if sum.Done != 2 || sum.Failed != 1 {
		t.Errorf("summary = %+v", sum)
	}
}

func TestAlreadyDoneOutOfBandIsSkipped(t *testing.T) {
	f := newFake(t)
	ctx := context.Background()
	opts := testOptions(t, testConfig)
	plan := remediate.MakePlan(ctx, f.clients(t), only(issues(), idDeleted, idGrants, idNoRoot), opts)
	// Someone fixes things between plan and apply.
	f.srv.Mutate(func() {
		f.key(idDeleted).State = "Enabled"
		f.key(idGrants).Grants = nil
	})
	sum := remediate.Apply(ctx, f.clients(t), &plan, opts, nil)
	if sum.AlreadyDone != 2 || sum.Done != 1 {
		t.Errorf("summary = %+v", sum)
	}
	if ops := opsOn(t, f, idDeleted); len(ops) != 0 {
		t.Errorf("wrote to the fixed key: %v", ops)
	}
	// The policy written is then already the planned one.
	again := plan
	again.Actions = slices.Clone(plan.Actions)
	sum = remediate.Apply(ctx, f.clients(t), &again, opts, nil)
	if a := actionFor(t, again, idNoRoot); a.Result.Status != remediate.StatusAlreadyDone {
		t.Errorf("re-applied policy result = %+v", a.Result)
	}
}

func TestKeepDisabled(t *testing.T) {
	f := newFake(t)
	ctx := context.Background()
	opts := testOptions(t, testConfig)
	opts.KeepDisabled = true
	plan := remediate.MakePlan(ctx, f.clients(t), only(issues(), idDeleted), opts)
	remediate.Apply(ctx, f.clients(t), &plan, opts, nil)
	if ops := opsOn(t, f, idDeleted); !slices.Equal(ops, []string{"CancelKeyDeletion"}) {
		t.Errorf("calls = %v", ops)
	}
	f.srv.Mutate(func() {
		if s := f.key(idDeleted).State; s != "Disabled" {
			t.Errorf("state = %s", s)
		}
	})
}

func TestEnableKeyRefusedWhilePendingDeletion(t *testing.T) {
	f := newFake(t)
	in := remediate.Inputs{Issues: []remediate.Issue{{Source: "alert", EventName: "DisableKey", ResourceID: arn(idDeleted)}}}
	plan := remediate.MakePlan(context.Background(), f.clients(t), in, testOptions(t, testConfig))
	if a := plan.Actions[0]; a.Status != remediate.StatusRefused || !strings.Contains(a.Reason, "scheduled for deletion") {
		t.Errorf("action = %s: %s", a.Status, a.Reason)
	}
}

func TestDeletionProtectionRefusalDoesNotBlockOtherPolicyFixes(t *testing.T) {
	f := newFake(t)
	ctx := context.Background()
	opts := testOptions(t, "version: 1\n")
	in := remediate.Inputs{Issues: []remediate.Issue{finding("KMSGUARD-DP-1", idPublic), finding("KMS.5", idPublic)}}
	plan := remediate.MakePlan(ctx, f.clients(t), in, opts)
	var got []string
	for _, a := range plan.Actions {
		got = append(got, fmt.Sprintf("%d %s %v %s %s", a.ID, a.Kind, a.Edits, a.Status, a.Fixes[0].ControlID))
	}
	want := []string{
		"1 key-policy [add-deletion-protection] refused KMSGUARD-DP-1",
		"2 key-policy [remove-public-statements] planned KMS.5",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("actions (-want +got):\n%s", diff)
	}
}

func TestApplyRefusesWhenKeyStateChangedBeyondThePlan(t *testing.T) {
	f := newFake(t)
	ctx := context.Background()
	opts := testOptions(t, testConfig)
	in := remediate.Inputs{Issues: []remediate.Issue{{Source: "alert", EventName: "ScheduleKeyDeletion", ResourceID: arn(idDisabled)}}}
	plan := remediate.MakePlan(ctx, f.clients(t), in, opts) // Disabled: the plan is EnableKey only
	f.srv.Mutate(func() { f.key(idDisabled).State = "PendingDeletion" })
	remediate.Apply(ctx, f.clients(t), &plan, opts, nil)
	if r := plan.Actions[0].Result; r.Status != remediate.StatusRefused || !strings.Contains(r.Detail, "changed since the plan was made (now PendingDeletion") {
		t.Errorf("result = %+v", r)
	}
	if ops := opsOn(t, f, idDisabled); len(ops) != 0 {
		t.Errorf("calls not in the plan were made: %v", ops)
	}
}

func TestLockPolicyNeedsAKnownBreakGlassPrincipal(t *testing.T) {
	// With --lock-policy the deletion-protection Deny also denies
	// PutKeyPolicy to the account root, so only the break-glass role can
	// manage the key: the change is safe only if that role is known to exist.
	for _, tt := range []struct {
		name   string
		exists func(string) bool
		want   remediate.Status
	}{
		{name: "unknown principals", exists: nil, want: remediate.StatusRefused},
		{name: "break-glass role exists", exists: func(arn string) bool { return arn == "arn:aws:iam::111122223333:role/BreakGlass" }, want: remediate.StatusPlanned},
		{name: "another role exists", exists: func(arn string) bool { return arn == "arn:aws:iam::111122223333:role/Other" }, want: remediate.StatusRefused},
	} {
		t.Run(tt.name, func(t *testing.T) {
			f := newFake(t)
			opts := testOptions(t, testConfig)
			opts.LockPolicy, opts.PrincipalExists = true, tt.exists
			plan := remediate.MakePlan(context.Background(), f.clients(t), only(issues(), idProtect), opts)
			a := plan.Actions[0]
			if a.Status != tt.want {
				t.Errorf("status = %s (%s), want %s", a.Status, a.Reason, tt.want)
			}
			if tt.want == remediate.StatusPlanned && !strings.Contains(a.Reason, "arn:aws:iam::111122223333:role/BreakGlass can still call kms:PutKeyPolicy") {
				t.Errorf("reason = %s", a.Reason)
			}
		})
	}
}
