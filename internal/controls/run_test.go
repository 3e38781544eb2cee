package controls

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/config"
	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/inventory/demogen"
	"github.com/kmsguard/kmsguard/internal/severity"
)

func TestRunAppliesConfig(t *testing.T) {
	cfg, err := config.Parse([]byte(`controls:
  disable: [KMS.GRANT.1]
severity:
  KMS.4: critical
suppressions:
  - {control: KMS.4, resource: "*key/off", reason: accepted until migration, expires: 2026-12-31}
  - {control: KMS.3, resource: "*", reason: old, expires: 2026-01-01}
`), "run.yaml")
	if err != nil {
		t.Fatal(err)
	}
	acct := fxAccountOf(fxKey("off", rotationOff()), fxKey("on"))
	res := Run(CheckContext{Now: fxNow, Config: cfg}, Catalogue(), []*inventory.Account{acct})
	if diff := cmp.Diff([]string{"KMS.GRANT.1"}, res.Disabled); diff != "" {
		t.Errorf("disabled (-want +got):\n%s", diff)
	}
	var kms4 []Finding
	for _, f := range res.Findings {
		if f.ControlID == "KMS.GRANT.1" {
			t.Errorf("disabled control ran: %+v", f)
		}
		if f.ControlID == "KMS.4" {
			kms4 = append(kms4, f)
		}
	}
	if len(kms4) != 2 || kms4[0].ResourceID > kms4[1].ResourceID {
		t.Fatalf("KMS.4 findings not sorted by resource: %+v", kms4)
	}
	off := kms4[0]
	if off.Severity != severity.Critical || off.Suppressed == nil || off.Suppressed.Reason != "accepted until migration" {
		t.Errorf("override/suppression not applied: %+v", off)
	}
	if kms4[1].Suppressed != nil {
		t.Errorf("suppression applied to a resource it does not match")
	}
	if len(res.ExpiredSuppressions) != 1 || res.ExpiredSuppressions[0].Reason != "old" {
		t.Errorf("expired suppressions %+v", res.ExpiredSuppressions)
	}
}

func TestValidateConfig(t *testing.T) {
	cfg, err := config.Parse([]byte("severity:\n  KMS.4: high\n  KMS.99: low\nsuppressions:\n  - {control: KMS-3, resource: x, reason: r, expires: 2030-01-01}\n"), "v.yaml")
	if err != nil {
		t.Fatal(err)
	}
	err = ValidateConfig(cfg, Catalogue())
	if err == nil || !strings.Contains(err.Error(), `line 3: severity: unknown control "KMS.99"`) ||
		!strings.Contains(err.Error(), `line 5: suppressions[0].control: unknown control "KMS-3"`) {
		t.Errorf("ValidateConfig: %v", err)
	}
}

// loadDemo loads the demo snapshot demogen generates, failing on any
// problem.
func loadDemo(t *testing.T) []*inventory.Account {
	t.Helper()
	m := fstest.MapFS{}
	for name, data := range demogen.Demo() {
		m[name] = &fstest.MapFile{Data: data}
	}
	accts, problems, err := inventory.Load(context.Background(), m, inventory.LoadOptions{})
	if err != nil || len(problems) > 0 {
		t.Fatalf("load: %v %v", err, problems)
	}
	return accts
}

// TestDemoFindings pins what docs/demo-snapshot.md promises for the controls
// implemented here, by alias (region/alias) in the demo snapshot.
func TestDemoFindings(t *testing.T) {
	accts := loadDemo(t)
	aliasOf := map[string]string{}
	for _, k := range accts[0].Keys {
		names := k.Aliases.MustGet()
		aliasOf[k.ARN] = k.Region + "/" + strings.TrimPrefix(names[0], "alias/")
	}
	res := Run(CheckContext{Now: demogen.DemoTime(), Config: config.Default()}, Catalogue(), accts)
	got := map[string]Status{}
	for _, f := range res.Findings {
		name, ok := aliasOf[f.ResourceID]
		if !ok { // IAM resources by their last ARN part: policy/X, user/X, role/X, group/X
			name = lastSegment(f.ResourceID)
		}
		got[f.ControlID+" "+name] = f.Status
		if os.Getenv("KMSGUARD_DUMP_DEMO") != "" {
			t.Logf("%s %s %s: %s", f.ControlID, name, f.Status, f.Reason)
		}
	}
	want := map[string]Status{
		"KMS.3 us-east-1/batch-retired":           StatusFail,
		"KMS.3 us-east-1/old-reports":             StatusFail,
		"KMS.3 us-east-1/global-sunset":           StatusFail, // PendingReplicaDeletion primary
		"KMS.3 eu-west-1/global-sunset":           StatusFail, // its replica, PendingDeletion
		"KMS.3 us-east-1/payments-data":           StatusPass,
		"KMS.4 us-east-1/app-logs":                StatusFail,
		"KMS.4 ap-southeast-2/syd-app":            StatusFail,
		"KMS.4 us-east-1/rotation-unreadable":     StatusUnknown,
		"KMS.4 us-east-1/payments-data":           StatusPass,
		"KMS.4 us-east-1/billing-exports":         StatusPass,
		"KMS.4 eu-west-1/global-orders":           StatusNotApplicable, // replica
		"KMS.4 us-east-1/code-signing-rsa":        StatusNotApplicable,
		"KMS.4 us-east-1/webhook-hmac":            StatusNotApplicable,
		"KMS.4 us-east-1/byok-imported":           StatusNotApplicable,
		"KMS.4 us-east-1/hsm-backed":              StatusNotApplicable,
		"KMS.4 eu-west-1/xks-backed":              StatusNotApplicable,
		"KMS.4 us-east-1/aws/ebs":                 StatusNotApplicable,
		"KMS.GRANT.1 us-east-1/grants-onward":     StatusFail,
		"KMS.GRANT.1 us-east-1/grants-partner":    StatusFail,
		"KMS.GRANT.1 us-east-1/aws/ebs":           StatusPass,
		"KMS.GRANT.1 eu-west-1/aws/rds":           StatusPass,
		"KMS.GRANT.1 us-east-1/payments-data":     StatusPass,
		"KMS.GRANT.1 us-east-1/policy-unreadable": StatusPass,

		"KMS.1 policy/KmsFullAccess":                 StatusFail,
		"KMS.1 policy/DevKmsDecryptAccount":          StatusFail, // every key of the account
		"KMS.1 policy/UnattachedKmsAdmin":            StatusFail, // attached or not
		"KMS.1 policy/BoundaryAllowDecrypt":          StatusNotApplicable,
		"KMS.1 policy/ReportsKeyAccess":              StatusPass, // only the default version counts
		"KMS.1 policy/ScopedPaymentsDecrypt":         StatusPass,
		"KMS.1 policy/KmsKeyAdministration":          StatusPass,
		"KMS.2 user/carol":                           StatusFail, // NotAction iam:*
		"KMS.2 group/KeyOperators":                   StatusFail,
		"KMS.2 user/dave":                            StatusPass, // the Deny removes everything
		"KMS.2 user/alice":                           StatusPass,
		"KMS.2 role/AppAdminAndUser":                 StatusPass,
		"KMSGUARD-IAM-1 policy/KmsFullAccess":        StatusFail,
		"KMSGUARD-IAM-1 user/carol":                  StatusFail,
		"KMSGUARD-IAM-1 group/KeyOperators":          StatusFail,
		"KMSGUARD-IAM-1 policy/UnattachedKmsAdmin":   StatusFail,
		"KMSGUARD-IAM-1 policy/DevKmsDecryptAccount": StatusPass,

		"KMS.5 us-east-1/public-share":                StatusFail,
		"KMS.5 us-east-1/notprincipal":                StatusFail,
		"KMS.5 us-east-1/via-s3-open":                 StatusFail,
		"KMS.5 us-east-1/open-caller-account":         StatusPass,
		"KMS.5 us-east-1/open-org":                    StatusPass,
		"KMS.5 us-east-1/via-s3-pinned":               StatusPass,
		"KMS.5 us-east-1/cloudtrail":                  StatusPass,
		"KMS.5 us-east-1/aws/ebs":                     StatusPass,
		"KMS.5 us-east-1/policy-unreadable":           StatusUnknown,
		"IAM-KMS-1 us-east-1/no-root":                 StatusFail,
		"IAM-KMS-1 us-east-1/payments-data":           StatusPass,
		"IAM-KMS-1 us-east-1/policy-unreadable":       StatusUnknown,
		"IAM-KMS-1 us-east-1/aws/s3":                  StatusNotApplicable,
		"KMSGUARD-LOCK-1 us-east-1/no-root":           StatusFail,
		"KMSGUARD-LOCK-1 us-east-1/app-logs":          StatusPass,
		"KMSGUARD-LOCK-1 us-east-1/policy-unreadable": StatusUnknown,
		"KMSGUARD-XA-1 us-east-1/partner-exchange":    StatusFail,
		"KMSGUARD-XA-1 us-east-1/grants-partner":      StatusPass, // grants are KMS.GRANT.1's
		"KMSGUARD-XA-1 us-east-1/policy-unreadable":   StatusUnknown,
		"KMSGUARD-DP-1 us-east-1/payments-data":       StatusPass, // key policy Deny
		"KMSGUARD-DP-1 us-east-1/no-root":             StatusPass, // SCP on the production tag
		"KMSGUARD-DP-1 us-east-1/policy-unreadable":   StatusPass, // the SCP suffices
		"KMSGUARD-DP-1 us-east-1/app-logs":            StatusFail,
		"KMSGUARD-DP-1 us-east-1/public-share":        StatusFail,
		"KMSGUARD-DP-1 us-east-1/notprincipal":        StatusFail,
		"KMSGUARD-DP-1 us-east-1/batch-retired":       StatusFail,
		"KMSGUARD-DP-1 us-east-1/old-reports":         StatusFail,
		"KMSGUARD-DP-1 us-east-1/disabled-legacy":     StatusFail,
		"KMSGUARD-DP-1 us-east-1/aws/ebs":             StatusNotApplicable,
	}
	for k, w := range want {
		if got[k] != w {
			t.Errorf("%s: got %s, want %s", k, got[k], w)
		}
	}
	fails := 0
	for k, s := range got {
		if s == StatusFail && want[k] != StatusFail && !slices.Contains(iamkmsIDs, strings.Fields(k)[0]) {
			t.Errorf("unexpected FAIL %s (add it to docs/demo-snapshot.md and this test if deliberate)", k)
		}
		if s == StatusFail {
			fails++
		}
	}
	if fails == 0 {
		t.Error("no failures in the demo")
	}
}

// TestExampleConfigMatchesCatalogue: examples/kmsguard.yaml names only
// controls that exist.
func TestExampleConfigMatchesCatalogue(t *testing.T) {
	cfg, err := config.Load(filepath.Join("..", "..", "examples", "kmsguard.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	if err := ValidateConfig(cfg, Catalogue()); err != nil {
		t.Error(err)
	}
}
