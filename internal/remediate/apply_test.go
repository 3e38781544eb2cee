package remediate_test

import (
	"context"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/config"
	"github.com/kmsguard/kmsguard/internal/remediate"
)

var update = flag.Bool("update", false, "rewrite the golden files")

const testConfig = `version: 1
parameters:
  KMS.4:
    maxRotationPeriodDays: 180
organization:
  trustedAccounts: ["777788889999"]
allowlist:
  breakGlass: ["arn:aws:iam::111122223333:role/BreakGlass"]
`

func testOptions(t *testing.T, yaml string) remediate.Options {
	t.Helper()
	cfg, err := config.Parse([]byte(yaml), "kmsguard.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return remediate.Options{Config: cfg}
}

func finding(control, id string) remediate.Issue {
	return remediate.Issue{Source: "finding", ControlID: control, ResourceID: arn(id), AccountID: acct, Region: region, Reason: control + " fails"}
}

// issues has one issue per fixture key, plus one with no automatic fix.
func issues() remediate.Inputs {
	return remediate.Inputs{Issues: []remediate.Issue{
		finding("KMS.3", idDeleted),
		{Source: "alert", RuleID: "kmsguard-kms-disable-or-delete", AlertID: "a1", EventName: "DisableKey", ResourceID: arn(idDisabled), AccountID: acct, Region: region},
		finding("KMS.4", idNoRot),
		finding("KMS.4", idRotated),
		finding("KMS.5", idPublic),
		finding("KMSGUARD-XA-1", idCross),
		finding("IAM-KMS-1", idNoRoot),
		finding("KMS.5", idOnlyOpen),
		finding("KMSGUARD-DP-1", idProtect),
		finding("KMS.GRANT.1", idGrants),
		{Source: "finding", ControlID: "KMS.1", ResourceID: "arn:aws:iam::111122223333:policy/too-broad", Reason: "allows kms:Decrypt on all keys",
			Remediation: "Scope the policy's Resource to the keys it needs."},
	}}
}

func golden(t *testing.T, name, got string) {
	t.Helper()
	path := filepath.Join("testdata", name)
	if *update {
		if err := os.MkdirAll("testdata", 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte(got), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	want, err := os.ReadFile(path)
	if err != nil {
		t.Fatalf("%v (run go test -update)", err)
	}
	if diff := cmp.Diff(string(want), got); diff != "" {
		t.Errorf("%s mismatch (-want +got):\n%s", name, diff)
	}
}

func statuses(p remediate.Plan) map[string]remediate.Status {
	out := map[string]remediate.Status{}
	for _, a := range p.Actions {
		id := a.KeyARN[strings.LastIndex(a.KeyARN, "/")+1:]
		if a.Result != nil {
			out[id+" "+string(a.Kind)] = a.Result.Status
		} else {
			out[id+" "+string(a.Kind)] = a.Status
		}
	}
	return out
}

func TestPlanReadsLiveStateAndChangesNothing(t *testing.T) {
	f := newFake(t)
	plan := remediate.MakePlan(context.Background(), f.clients(t), issues(), testOptions(t, testConfig))
	if w := f.writes(t); len(w) != 0 {
		t.Fatalf("planning made mutating calls: %v", w)
	}
	want := map[string]remediate.Status{
		idDeleted + " cancel-deletion": remediate.StatusPlanned,
		idDisabled + " enable-key":     remediate.StatusPlanned,
		idNoRot + " enable-rotation":   remediate.StatusPlanned,
		idRotated + " enable-rotation": remediate.StatusAlreadyDone,
		idPublic + " key-policy":       remediate.StatusPlanned,
		idCross + " key-policy":        remediate.StatusPlanned,
		idNoRoot + " key-policy":       remediate.StatusPlanned,
		idOnlyOpen + " key-policy":     remediate.StatusRefused,
		idProtect + " key-policy":      remediate.StatusPlanned,
		idGrants + " revoke-grants":    remediate.StatusPlanned,
		"too-broad manual":             remediate.StatusManual,
	}
	if diff := cmp.Diff(want, statuses(plan)); diff != "" {
		t.Errorf("plan statuses (-want +got):\n%s", diff)
	}
	var text, js strings.Builder
	if err := remediate.WriteText(&text, plan); err != nil {
		t.Fatal(err)
	}
	if err := remediate.WriteJSON(&js, plan); err != nil {
		t.Fatal(err)
	}
	golden(t, "plan.txt", text.String())
	golden(t, "plan.json", js.String())
}

func TestPolicyEditsRemoveOnlyOffendingStatements(t *testing.T) {
	f := newFake(t)
	plan := remediate.MakePlan(context.Background(), f.clients(t), issues(), testOptions(t, testConfig))
	want := map[string][]string{
		idPublic: {"Public", "#3"}, // the pinned statement stays; kms:ViaService alone pins nothing
		idCross:  {"Partner"},      // 777788889999 is trusted
	}
	for _, a := range plan.Actions {
		id := a.KeyARN[strings.LastIndex(a.KeyARN, "/")+1:]
		if w, ok := want[id]; ok {
			if diff := cmp.Diff(w, a.RemoveStatements); diff != "" {
				t.Errorf("%s removes (-want +got):\n%s", id, diff)
			}
		}
		if id == idOnlyOpen && !strings.Contains(a.Reason, "no principal could call kms:PutKeyPolicy") {
			t.Errorf("lockout refusal reason = %q", a.Reason)
		}
	}
}

func TestApply(t *testing.T) {
	f := newFake(t)
	ctx := context.Background()
	opts := testOptions(t, testConfig)
	plan := remediate.MakePlan(ctx, f.clients(t), issues(), opts)
	sum := remediate.Apply(ctx, f.clients(t), &plan, opts, nil)
	if diff := cmp.Diff(remediate.Summary{Done: 8, AlreadyDone: 1, Refused: 1, Manual: 1}, sum); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
	var got []string
	for _, w := range f.writes(t) {
		line := w["_op"].(string) + " " + lastPart(w["KeyId"].(string))
		if g, ok := w["GrantId"]; ok {
			line += " grant=" + g.(string)
		}
		if d, ok := w["RotationPeriodInDays"]; ok {
			line += fmt.Sprintf(" days=%v", d)
		}
		if _, ok := w["BypassPolicyLockoutSafetyCheck"]; ok {
			t.Errorf("%s sent BypassPolicyLockoutSafetyCheck=%v", w["_op"], w["BypassPolicyLockoutSafetyCheck"])
		}
		if w["_op"] == "PutKeyPolicy" && w["PolicyName"] != "default" {
			t.Errorf("PutKeyPolicy PolicyName = %v", w["PolicyName"])
		}
		got = append(got, line)
	}
	want := []string{
		"CancelKeyDeletion " + idDeleted,
		"EnableKey " + idDeleted,
		"EnableKey " + idDisabled,
		"EnableKeyRotation " + idNoRot + " days=180",
		"PutKeyPolicy " + idPublic,
		"PutKeyPolicy " + idCross,
		"PutKeyPolicy " + idNoRoot,
		"PutKeyPolicy " + idProtect,
		"RevokeGrant " + idGrants + " grant=g-create",
		"RevokeGrant " + idGrants + " grant=g-foreign",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("mutating calls (-want +got):\n%s", diff)
	}
	// The fake's state now meets every goal.
	f.srv.Mutate(func() {
		if k := f.key(idDeleted); k.State != "Enabled" {
			t.Errorf("deleted key state = %s", k.State)
		}
		if k := f.key(idNoRot); !k.RotationEnabled || k.RotationPeriodDays != 180 {
			t.Errorf("rotation = %v every %d days", k.RotationEnabled, k.RotationPeriodDays)
		}
		if p := f.key(idPublic).Policy; strings.Contains(p, `"Public"`) || !strings.Contains(p, "PinnedToAccount") {
			t.Errorf("public key policy after apply:\n%s", p)
		}
		if p := f.key(idProtect).Policy; !strings.Contains(p, "KmsGuardDeletionProtection") || !strings.Contains(p, "role/BreakGlass") {
			t.Errorf("deletion protection missing:\n%s", p)
		}
		if n := len(f.key(idGrants).Grants); n != 2 {
			t.Errorf("%d grants left, want 2", n)
		}
	})

	// Idempotent: a new plan over the fixed state has nothing left to do,
	// and applying it makes no call.
	before := len(f.writes(t))
	again := remediate.MakePlan(ctx, f.clients(t), issues(), opts)
	sum = remediate.Apply(ctx, f.clients(t), &again, opts, nil)
	if sum.Done != 0 || sum.Failed != 0 || sum.AlreadyDone != 9 {
		t.Errorf("second run summary = %+v, want 9 already done", sum)
	}
	if n := len(f.writes(t)); n != before {
		t.Errorf("second run made %d mutating calls", n-before)
	}
}
