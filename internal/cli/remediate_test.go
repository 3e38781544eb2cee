package cli

import (
	"context"
	"encoding/json"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/inventory/live/awsfake"
)

const (
	remDemoSnapshot = "../../examples/demo-snapshot"
	remDemoConfig   = "../../examples/kmsguard.yaml"
)

// demoAWS serves the demo snapshot's keys (state, policy, rotation, grants)
// from a fake KMS endpoint, so that remediation plans over the demo findings
// read the same data live, and points the SDK's default chain at it.
func demoAWS(t *testing.T, deny func(op, key string) bool) *awsfake.Server {
	t.Helper()
	accts, _, err := inventory.LoadDir(context.Background(), remDemoSnapshot, inventory.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var fakeAccts []*awsfake.Account
	for _, acct := range accts {
		fa := &awsfake.Account{ID: acct.ID, AccessKey: "AKIAFAKEDEMO", UserARN: "arn:aws:iam::" + acct.ID + ":user/ops", Regions: map[string]*awsfake.Region{}}
		for _, k := range acct.Keys {
			md, rerr := k.Metadata.Get()
			if rerr != nil {
				continue
			}
			fk := &awsfake.Key{ID: k.ID, Manager: string(md.Manager), Spec: md.KeySpec, Usage: md.KeyUsage, Origin: string(md.Origin),
				State: string(md.State), Created: md.CreationDate, MultiRegion: md.MultiRegion}
			if md.DeletionDate != nil {
				fk.DeletionDate = *md.DeletionDate
			}
			if doc, rerr := k.Policy.Get(); rerr == nil {
				fk.Policy = doc.Text
			}
			if rot, rerr := k.Rotation.Get(); rerr == nil {
				fk.RotationEnabled = rot.Enabled
				if rot.PeriodDays != nil {
					fk.RotationPeriodDays = *rot.PeriodDays
				}
			}
			if grants, rerr := k.Grants.Get(); rerr == nil {
				for _, g := range grants {
					fk.Grants = append(fk.Grants, awsfake.Grant{ID: g.ID, Name: g.Name, Grantee: g.GranteePrincipal,
						Retiring: g.RetiringPrincipal, Operations: g.Operations, Created: g.CreationDate})
				}
			}
			r := fa.Regions[k.Region]
			if r == nil {
				r = &awsfake.Region{}
				fa.Regions[k.Region] = r
			}
			r.Keys = append(r.Keys, fk)
		}
		fakeAccts = append(fakeAccts, fa)
	}
	cfg := awsfake.Config{Accounts: fakeAccts}
	if deny != nil {
		cfg.Deny = func(_, _, op, resource string) bool { return deny(op, resource) }
	}
	srv := awsfake.New(cfg)
	t.Cleanup(srv.Close)
	for k, v := range map[string]string{
		"AWS_ENDPOINT_URL": srv.URL, "AWS_ACCESS_KEY_ID": "AKIAFAKEDEMO", "AWS_SECRET_ACCESS_KEY": "fake-secret",
		"AWS_SESSION_TOKEN": "", "AWS_PROFILE": "", "AWS_REGION": "us-east-1", "AWS_MAX_ATTEMPTS": "1",
		"AWS_CONFIG_FILE": filepath.Join(t.TempDir(), "none"), "AWS_SHARED_CREDENTIALS_FILE": filepath.Join(t.TempDir(), "none"),
	} {
		t.Setenv(k, v)
	}
	return srv
}

func mutating(srv *awsfake.Server) []awsfake.Request {
	var out []awsfake.Request
	for _, r := range srv.Requests() {
		if slices.Contains([]string{"CancelKeyDeletion", "EnableKey", "EnableKeyRotation", "PutKeyPolicy", "RevokeGrant"}, r.Operation) {
			out = append(out, r)
		}
	}
	return out
}

func TestRemediatePlanGolden(t *testing.T) {
	snapshotArgs := []string{"remediate", "--snapshot", remDemoSnapshot, "--config", remDemoConfig, "--now", "2026-11-20T09:30:00Z",
		"--control", "KMS.3", "--control", "KMS.4", "--control", "KMS.GRANT.1"}
	findingsArgs := []string{"remediate", "--findings", "testdata/remediate/demo-findings.json", "--config", remDemoConfig}
	alertsArgs := []string{"remediate", "--alerts", "testdata/remediate/demo-alerts.json"}
	tests := []struct {
		name   string
		args   []string
		golden string
	}{
		{name: "snapshot text", args: snapshotArgs, golden: "snapshot.txt"},
		{name: "snapshot json", args: append(slices.Clone(snapshotArgs), "--format", "json"), golden: "snapshot.json"},
		{name: "findings text", args: findingsArgs, golden: "findings.txt"},
		{name: "findings json", args: append(slices.Clone(findingsArgs), "--format", "json"), golden: "findings.json"},
		{name: "alerts text", args: alertsArgs, golden: "alerts.txt"},
		{name: "one key only", args: append(slices.Clone(findingsArgs), "--key", "arn:aws:kms:us-east-1:111122223333:key/b39999e9-27a1-4748-89ee-a2ca58d82c7e"), golden: "one-key.txt"},
		{name: "one key by id", args: append(slices.Clone(findingsArgs), "--key", "b39999e9-27a1-4748-89ee-a2ca58d82c7e"), golden: "one-key.txt"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := demoAWS(t, nil)
			code, stdout, stderr := runCLI(t, "", tt.args...)
			if code != ExitOK {
				t.Fatalf("exit %d: %s", code, stderr)
			}
			if w := mutating(srv); len(w) != 0 {
				t.Errorf("a plan made mutating calls: %+v", w)
			}
			if strings.HasSuffix(tt.golden, ".json") && !json.Valid([]byte(stdout)) {
				t.Errorf("output is not JSON")
			}
			checkGolden(t, "remediate/"+tt.golden, stdout)
		})
	}
}

func TestRemediateApplyNeedsConfirmation(t *testing.T) {
	srv := demoAWS(t, nil)
	code, stdout, stderr := runCLI(t, "yes\n", "remediate", "--findings", "testdata/remediate/demo-findings.json", "--apply")
	if code != ExitUsage {
		t.Errorf("exit %d, want %d", code, ExitUsage)
	}
	if !strings.Contains(stderr, "--apply needs confirmation") {
		t.Errorf("stderr = %q", stderr)
	}
	if stdout != "" {
		t.Errorf("stdout = %q", stdout)
	}
	if r := srv.Requests(); len(r) != 0 {
		t.Errorf("made %d request(s) without confirmation", len(r))
	}
}

func TestRemediateApplyYes(t *testing.T) {
	denied := "69800d7b-1c1b-4af0-8254-8fbe7f311d81"
	srv := demoAWS(t, func(op, key string) bool {
		return op == "PutKeyPolicy" && key == "arn:aws:kms:us-east-1:111122223333:key/"+denied
	})
	code, stdout, stderr := runCLI(t, "", "--log-level", "info", "remediate", "--findings", "testdata/remediate/demo-findings.json",
		"--config", remDemoConfig, "--apply", "--yes")
	if code != ExitPartial {
		t.Errorf("exit %d, want %d (stderr %s)", code, ExitPartial, stderr)
	}
	for _, want := range []string{"Applied: 4 done, 1 already done, 0 refused, 1 failed, 1 manual",
		"key/" + denied + ": failed: PutKeyPolicy: operation error KMS: PutKeyPolicy", "AccessDeniedException"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("stdout does not contain %q:\n%s", want, stdout)
		}
	}
	if !strings.Contains(stderr, "remediation action") {
		t.Errorf("actions are not logged: %s", stderr)
	}
	var puts []string
	for _, r := range mutating(srv) {
		var body map[string]any
		if err := json.Unmarshal([]byte(r.Body), &body); err != nil {
			t.Fatal(err)
		}
		if v, ok := body["BypassPolicyLockoutSafetyCheck"]; ok {
			t.Errorf("%s sent BypassPolicyLockoutSafetyCheck=%v", r.Operation, v)
		}
		key := body["KeyId"].(string)
		puts = append(puts, r.Operation+" "+key[strings.LastIndex(key, "/")+1:])
	}
	want := []string{
		"PutKeyPolicy 29e1830a-c0bc-458a-8285-9d6ccf271f86",
		"PutKeyPolicy 69800d7b-1c1b-4af0-8254-8fbe7f311d81", // denied, reported, the others go on
		"PutKeyPolicy 866713ba-86ad-49ff-825c-77e4f2fffb94",
		"PutKeyPolicy b39999e9-27a1-4748-89ee-a2ca58d82c7e",
		"PutKeyPolicy c30d10c3-e946-4384-8009-6834dfc4d956",
	}
	if diff := cmp.Diff(want, puts); diff != "" {
		t.Errorf("mutating calls (-want +got):\n%s", diff)
	}
}

func TestRemediateUsageErrors(t *testing.T) {
	tests := []struct {
		name    string
		args    []string
		wantErr string
	}{
		{name: "no input", args: nil, wantErr: "give the findings or alerts"},
		{name: "bad format", args: []string{"--findings", "x.json", "--format", "yaml"}, wantErr: `--format "yaml"`},
		{name: "yes without apply", args: []string{"--findings", "x.json", "--yes"}, wantErr: "--yes only makes sense with --apply"},
		{name: "rotation days", args: []string{"--findings", "x.json", "--rotation-days", "30"}, wantErr: "KMS accepts 90 to 2560"},
		{name: "missing file", args: []string{"--findings", "testdata/remediate/missing.json"}, wantErr: "no such file"},
		{name: "not a report", args: []string{"--findings", "testdata/remediate/demo-alerts.json"}, wantErr: `no "findings" array`},
		{name: "extra argument", args: []string{"x"}, wantErr: "unknown command"},
		{name: "bad now", args: []string{"--snapshot", remDemoSnapshot, "--now", "yesterday"}, wantErr: "--now"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			code, _, stderr := runCLI(t, "", append([]string{"remediate"}, tt.args...)...)
			if code != ExitUsage {
				t.Errorf("exit %d, want %d", code, ExitUsage)
			}
			if !strings.Contains(stderr, tt.wantErr) {
				t.Errorf("stderr %q does not contain %q", stderr, tt.wantErr)
			}
		})
	}
}

func TestConfirm(t *testing.T) {
	for _, tt := range []struct {
		input string
		want  bool
	}{{"yes\n", true}, {" yes \n", true}, {"y\n", false}, {"YES\n", false}, {"", false}, {"no\n", false}} {
		var prompt strings.Builder
		if got := confirm(strings.NewReader(tt.input), &prompt, 3); got != tt.want {
			t.Errorf("confirm(%q) = %v, want %v", tt.input, got, tt.want)
		}
		if !strings.Contains(prompt.String(), `Apply 3 action(s) to AWS? Type "yes"`) {
			t.Errorf("prompt = %q", prompt.String())
		}
	}
}
