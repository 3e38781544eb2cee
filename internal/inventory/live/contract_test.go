package live

import (
	"context"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/controls"
	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/inventory/live/awsfake"
)

// scanNow is the "now" of the end-to-end scans: after the sample keys'
// creation, before the imported key's deletion date.
var scanNow = time.Date(2024, 5, 20, 0, 0, 0, 0, time.UTC)

// collectSample collects awsfake.SampleOrganization in organisation mode
// over three regions (one disabled) into sink.
func collectSample(t *testing.T, srv *awsfake.Server, sink Sink) Summary {
	t.Helper()
	o := fakeOptions(t, srv, awsfake.SampleManagementKey)
	o.Org, o.Role, o.ExternalID = true, awsfake.SampleRole, awsfake.SampleExternalID
	o.Regions = []string{"eu-west-1", "us-east-1", awsfake.SampleDisabledRegion}
	o.MaxAttempts = 2 // the throttled call gives up after one retry
	sum, err := Collect(context.Background(), o, sink)
	if err != nil {
		t.Fatalf("Collect: %v", err)
	}
	return sum
}

// TestCollectedFailuresLoadAsUnknown is the contract between collector and
// loader: every failure the collector records becomes an unknown fact with
// its reason, and controls report it as UNKNOWN, never PASS or FAIL.
func TestCollectedFailuresLoadAsUnknown(t *testing.T) {
	srv := awsfake.New(awsfake.SampleOrganization())
	defer srv.Close()
	sink := NewMemSink()
	sum := collectSample(t, srv, sink)

	wantFailures := map[string]string{
		"accounts/111111111111/kms/ap-east-1.error.json":                                                            "UnrecognizedClientException",
		"accounts/111111111111/kms/eu-west-1/keys/" + awsfake.SampleDeniedPolicyKey + "/key-policy.error.json":      "AccessDeniedException",
		"accounts/111111111111/kms/eu-west-1/keys/" + awsfake.SampleImportedKey + "/key-rotation-status.error.json": "UnsupportedOperationException",
		"accounts/222222222222/kms/eu-west-1/keys/" + awsfake.SampleThrottledKey + "/describe-key.error.json":       "ThrottlingException",
		"accounts/333333333333.error.json": "AccessDenied",
	}
	if diff := cmp.Diff(wantFailures, failureFiles(sum)); diff != "" {
		t.Fatalf("collector failures (-want +got):\n%s", diff)
	}

	accts, problems, err := inventory.Load(context.Background(), sink, inventory.LoadOptions{})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	var problemText []string
	for _, p := range problems {
		problemText = append(problemText, p.String())
	}
	wantProblems := []string{"accounts/333333333333.error.json: account 333333333333 was not collected: AccessDenied: " +
		"User: arn:aws:iam::111111111111:user/auditor is not authorized to perform: sts:AssumeRole on resource: arn:aws:iam::333333333333:role/kmsguard-audit"}
	if diff := cmp.Diff(wantProblems, problemText); diff != "" {
		t.Errorf("load problems (-want +got):\n%s", diff)
	}
	if len(accts) != 3 {
		t.Fatalf("loaded %d accounts, want 3", len(accts))
	}

	t.Run("facts", func(t *testing.T) {
		mgmt, member, locked := accts[0], accts[1], accts[2]
		key := func(a *inventory.Account, id string) *inventory.Key {
			k := a.Key("eu-west-1", id)
			if k == nil {
				t.Fatalf("key %s not loaded in %s", id, a.ID)
			}
			return k
		}
		tests := []struct {
			name     string
			reason   *inventory.ReadError
			wantCall string
			wantCode string
		}{
			{"denied key policy", key(mgmt, awsfake.SampleDeniedPolicyKey).Policy.Reason(), "kms:GetKeyPolicy", "AccessDeniedException"},
			{"imported key rotation", key(mgmt, awsfake.SampleImportedKey).Rotation.Reason(), "kms:GetKeyRotationStatus", "UnsupportedOperationException"},
			{"throttled describe", key(member, awsfake.SampleThrottledKey).Metadata.Reason(), "kms:DescribeKey", "ThrottlingException"},
			{"disabled region", regionNamed(t, mgmt, awsfake.SampleDisabledRegion).KeyListing.Reason(), "kms:ListKeys", "UnrecognizedClientException"},
			{"locked account caller", locked.Caller.Reason(), "sts:AssumeRole", "AccessDenied"},
			{"locked account regions", locked.RegionsIncomplete, "sts:AssumeRole", "AccessDenied"},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				if tt.reason == nil {
					t.Fatal("fact is known, want unknown")
				}
				if tt.reason.Call != tt.wantCall || tt.reason.Code != tt.wantCode || tt.reason.Message == "" {
					t.Errorf("reason %v, want call %s code %s with a message", tt.reason, tt.wantCall, tt.wantCode)
				}
			})
		}
		if _, rerr := key(mgmt, "1234abcd-12ab-34cd-56ef-1234567890ab").Policy.Get(); rerr != nil {
			t.Errorf("readable key policy is unknown: %v", rerr)
		}
	})

	t.Run("findings", func(t *testing.T) {
		res := controls.Run(controls.CheckContext{Now: scanNow}, controls.Catalogue(), accts)
		got := map[string]string{}
		for _, f := range res.Findings {
			if f.ControlID != "KMS.3" && f.ControlID != "KMS.4" {
				continue // other controls are checked by the equivalence test
			}
			got[f.ControlID+" "+shortResource(f.ResourceID)] = string(f.Status)
			if f.Status == controls.StatusUnknown && !strings.Contains(f.Reason, "could not be read: ") {
				t.Errorf("%s %s: UNKNOWN without a reason: %q", f.ControlID, f.ResourceID, f.Reason)
			}
		}
		want := map[string]string{}
		for _, c := range []string{"KMS.3", "KMS.4"} {
			// Neither the disabled region nor the locked account may pass.
			want[c+" kms:ap-east-1:111111111111:key/*"] = "UNKNOWN"
			want[c+" kms:*:333333333333:key/*"] = "UNKNOWN"
			want[c+" 6666ffff"] = "UNKNOWN" // DescribeKey throttled
		}
		for id, s := range map[string][2]string{
			"1234abcd": {"PASS", "PASS"},           // rotation on
			"2222bbbb": {"PASS", "NOT_APPLICABLE"}, // AWS managed
			"3333cccc": {"FAIL", "NOT_APPLICABLE"}, // pending deletion; imported: rotation does not apply
			"4444dddd": {"PASS", "FAIL"},           // rotation off (its policy is unknown)
			"7777aaaa": {"PASS", "FAIL"},           // open policy, rotation off
			"8888bbbb": {"PASS", "NOT_APPLICABLE"}, // HMAC
			"5555eeee": {"PASS", "NOT_APPLICABLE"}, // RSA signing key in us-east-1
			"9999cccc": {"PASS", "PASS"},           // member account, rotation on
		} {
			want["KMS.3 "+id], want["KMS.4 "+id] = s[0], s[1]
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("KMS.3/KMS.4 statuses (-want +got):\n%s", diff)
		}
		for _, f := range res.Findings {
			if strings.HasSuffix(f.ResourceID, awsfake.SampleThrottledKey) && f.ControlID == "KMS.3" && !strings.Contains(f.Reason, "kms:DescribeKey: ThrottlingException") {
				t.Errorf("throttled key reason %q does not name the throttled call", f.Reason)
			}
			if f.ResourceID == "arn:aws:kms:*:333333333333:key/*" && !strings.Contains(f.Reason, "sts:AssumeRole: AccessDenied") {
				t.Errorf("locked account reason %q does not name AssumeRole", f.Reason)
			}
		}
	})
}

func regionNamed(t *testing.T, a *inventory.Account, name string) *inventory.Region {
	t.Helper()
	for _, r := range a.Regions {
		if r.Name == name {
			return r
		}
	}
	t.Fatalf("region %s not loaded for %s", name, a.ID)
	return nil
}

// shortResource turns a key ARN into its first id group, and a wildcard
// ARN into "kms:<region>:<account>:key/*", for readable test tables.
func shortResource(arn string) string {
	if strings.HasSuffix(arn, "key/*") {
		return strings.TrimPrefix(arn, "arn:aws:")
	}
	id := arn[strings.LastIndex(arn, "/")+1:]
	first, _, _ := strings.Cut(id, "-")
	return first
}

// TestGoldenSnapshotsLoadCleanly loads the collector's golden snapshots
// with the snapshot loader: every file the collector writes must be read
// without a problem, and every error file must surface as an unknown fact.
func TestGoldenSnapshotsLoadCleanly(t *testing.T) {
	tests := []struct {
		dir          string
		wantAccounts []string
		wantProblems []string // files with a load problem
		wantUnknown  int      // facts unknown because of an error file
	}{
		// key-policy and key-rotation-status error files, plus the
		// disabled region's keys and aliases.
		{"single", []string{"111111111111"}, nil, 4},
		// the same two key errors, plus the account that could not be
		// assumed (caller, IAM).
		{"org", []string{"111111111111", "222222222222", "333333333333"}, []string{"accounts/333333333333.error.json"}, 4},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			accts, problems, err := inventory.LoadDir(context.Background(), "testdata/"+tt.dir, inventory.LoadOptions{})
			if err != nil {
				t.Fatal(err)
			}
			var ids, files []string
			for _, a := range accts {
				ids = append(ids, a.ID)
			}
			for _, p := range problems {
				files = append(files, p.File)
			}
			if diff := cmp.Diff(tt.wantAccounts, ids); diff != "" {
				t.Errorf("accounts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantProblems, files); diff != "" {
				t.Errorf("problem files (-want +got):\n%v\n%s", problems, diff)
			}
			unknown := 0
			count := func(rerr *inventory.ReadError) {
				// NotCollected is a call the collector rightly skipped
				// (rotation of an asymmetric key, tags of an AWS managed key).
				if rerr != nil && rerr.Code != inventory.CodeNotCollected {
					unknown++
				}
			}
			for _, a := range accts {
				count(a.Caller.Reason())
				count(a.IAM.Reason())
				for _, r := range a.Regions {
					count(r.Aliases.Reason())
					count(r.KeyListing.Reason())
				}
				for _, k := range a.Keys {
					for _, rerr := range []*inventory.ReadError{k.Metadata.Reason(), k.Policy.Reason(), k.Rotation.Reason(), k.Grants.Reason(), k.Tags.Reason(), k.Aliases.Reason()} {
						count(rerr)
					}
				}
			}
			if unknown != tt.wantUnknown {
				t.Errorf("%d facts unknown from error files, want %d", unknown, tt.wantUnknown)
			}
		})
	}
}
