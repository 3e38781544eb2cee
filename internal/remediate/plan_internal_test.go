package remediate

import (
	"context"
	"errors"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// memKMS is an in-memory KMS for planning tests that need no HTTP. It
// implements only what planning reads; writes fail the test.
type memKMS struct {
	t    *testing.T
	keys map[string]KeyInfo
	rot  map[string]RotationInfo
}

func (m memKMS) DescribeKey(_ context.Context, key string) (KeyInfo, error) {
	if k, ok := m.keys[key]; ok {
		return k, nil
	}
	return KeyInfo{}, errors.New("NotFoundException")
}
func (m memKMS) GetKeyPolicy(context.Context, string) (string, error) {
	return `{"Version":"2012-10-17","Statement":[]}`, nil
}
func (m memKMS) GetKeyRotationStatus(_ context.Context, key string) (RotationInfo, error) {
	return m.rot[key], nil
}
func (m memKMS) ListGrants(context.Context, string) ([]GrantInfo, error) { return nil, nil }
func (m memKMS) CancelKeyDeletion(context.Context, string) error         { m.t.Error("write"); return nil }
func (m memKMS) EnableKey(context.Context, string) error                 { m.t.Error("write"); return nil }
func (m memKMS) EnableKeyRotation(context.Context, string, int) error    { m.t.Error("write"); return nil }
func (m memKMS) PutKeyPolicy(context.Context, string, string) error      { m.t.Error("write"); return nil }
func (m memKMS) RevokeGrant(context.Context, string, string) error       { m.t.Error("write"); return nil }

const (
	k1 = "arn:aws:kms:eu-west-1:111122223333:key/k1"
	k2 = "arn:aws:kms:eu-west-1:111122223333:key/k2"
	k3 = "arn:aws:kms:eu-west-1:111122223333:key/k3"
	k4 = "arn:aws:kms:eu-west-1:111122223333:key/k4"
)

func TestStateCalls(t *testing.T) {
	tests := []struct {
		name   string
		kind   Kind
		state  string
		keep   bool
		calls  []string
		status Status
	}{
		{"pending deletion", KindCancelDeletion, "PendingDeletion", false, []string{"CancelKeyDeletion", "EnableKey"}, StatusPlanned},
		{"pending replica deletion", KindCancelDeletion, "PendingReplicaDeletion", false, []string{"CancelKeyDeletion", "EnableKey"}, StatusPlanned},
		{"pending, keep disabled", KindCancelDeletion, "PendingDeletion", true, []string{"CancelKeyDeletion"}, StatusPlanned},
		{"cancelled but disabled", KindCancelDeletion, "Disabled", false, []string{"EnableKey"}, StatusPlanned},
		{"cancelled, keep disabled", KindCancelDeletion, "Disabled", true, nil, StatusAlreadyDone},
		{"enabled", KindCancelDeletion, "Enabled", false, nil, StatusAlreadyDone},
		{"disabled key", KindEnableKey, "Disabled", false, []string{"EnableKey"}, StatusPlanned},
		{"enable pending", KindEnableKey, "PendingDeletion", false, nil, StatusRefused},
		{"pending import", KindEnableKey, "PendingImport", false, nil, StatusRefused},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			calls, status, _ := stateCalls(tt.kind, k1, tt.state, tt.keep)
			var ops []string
			for _, c := range calls {
				ops = append(ops, c.Operation)
			}
			if diff := cmp.Diff(tt.calls, ops); diff != "" || status != tt.status {
				t.Errorf("status %s (want %s), calls (-want +got):\n%s", status, tt.status, diff)
			}
		})
	}
}

func TestGroupIssues(t *testing.T) {
	in := []Issue{
		{Source: "finding", ControlID: "KMS.4", ResourceID: k1},
		{Source: "alert", EventName: "DisableKey", ResourceID: k1},
		{Source: "finding", ControlID: "KMS.3", ResourceID: k1},
		{Source: "finding", ControlID: "KMS.5", ResourceID: k2},
		{Source: "finding", ControlID: "IAM-KMS-1", ResourceID: k2},
		{Source: "finding", ControlID: "KMS.5", ResourceID: k2},
		{Source: "finding", ControlID: "NEW.1", ResourceID: k2},
		{Source: "finding", ControlID: "KMS.3", ResourceID: "not-an-arn"},
	}
	var got []string
	for _, g := range groupIssues(in) {
		s := string(g.kind) + " " + g.key[len(g.key)-2:]
		for _, e := range g.edits {
			s += " " + string(e)
		}
		got = append(got, s+" x"+string(rune('0'+len(g.issues))))
	}
	want := []string{
		"cancel-deletion k1 x2", // absorbs the DisableKey alert: a cancelled deletion re-enables the key
		"enable-rotation k1 x1", // after the key is enabled again
		"key-policy k2 remove-public-statements add-root-access x3", // one PutKeyPolicy for all edits of a key
		"manual k2 x1",
		"manual rn x1",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("groups (-want +got):\n%s", diff)
	}
}

func TestRotationPlanning(t *testing.T) {
	kms := memKMS{t: t,
		keys: map[string]KeyInfo{
			k1: {State: "PendingDeletion", Manager: "CUSTOMER", KeySpec: "SYMMETRIC_DEFAULT", Origin: "AWS_KMS"},
			k2: {State: "Enabled", Manager: "CUSTOMER", KeySpec: "RSA_2048", Origin: "AWS_KMS"},
			k3: {State: "Enabled", Manager: "AWS", KeySpec: "SYMMETRIC_DEFAULT", Origin: "AWS_KMS"},
			k4: {State: "Disabled", Manager: "CUSTOMER", KeySpec: "SYMMETRIC_DEFAULT", Origin: "AWS_KMS"},
		},
		rot: map[string]RotationInfo{},
	}
	clients := func(context.Context, string) (KMS, error) { return kms, nil }
	in := Inputs{}
	for _, k := range []string{k1, k2, k3, k4} {
		in.Issues = append(in.Issues, Issue{Source: "finding", ControlID: "KMS.4", ResourceID: k})
	}
	in.Issues = append(in.Issues, Issue{Source: "finding", ControlID: "KMS.3", ResourceID: k1})
	for _, keep := range []bool{false, true} {
		plan := MakePlan(context.Background(), clients, in, Options{KeepDisabled: keep})
		got := map[string]Status{}
		for _, a := range plan.Actions {
			got[a.KeyARN[len(a.KeyARN)-2:]+" "+string(a.Kind)] = a.Status
		}
		rotK1 := StatusPlanned // the cancelled key is re-enabled first
		if keep {
			rotK1 = StatusRefused // it stays Disabled, and KMS rotates only enabled keys
		}
		want := map[string]Status{
			"k1 cancel-deletion": StatusPlanned,
			"k1 enable-rotation": rotK1,
			"k2 enable-rotation": StatusRefused, // asymmetric
			"k3 enable-rotation": StatusRefused, // AWS managed
			"k4 enable-rotation": StatusRefused, // disabled
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("keep=%v (-want +got):\n%s", keep, diff)
		}
	}
}
