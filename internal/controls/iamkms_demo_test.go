package controls

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/kmsguard/kmsguard/internal/config"
	"github.com/kmsguard/kmsguard/internal/inventory/demogen"
)

// iamkmsIDs are the controls TestDemoIAMKMSFindings pins (with the example
// configuration, whose allowlist they depend on).
var iamkmsIDs = []string{"IAM-KMS-2", "IAM-KMS-3", "IAM-KMS-4", "IAM-KMS-5", "IAM-KMS-6", "IAM-KMS-7", "IAM-KMS-8"}

// TestDemoIAMKMSFindings pins docs/demo-snapshot.md's rows for IAM-KMS-2 to
// IAM-KMS-8, run with examples/kmsguard.yaml (KeyAdministrators and AppRole
// allowlisted, KeyAdminBreakGlass break-glass).
func TestDemoIAMKMSFindings(t *testing.T) {
	accts := loadDemo(t)
	cfg, err := config.Load(filepath.Join("..", "..", "examples", "kmsguard.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cat []Control
	for _, c := range Catalogue() {
		if slices.Contains(iamkmsIDs, c.ID) {
			cat = append(cat, c)
		}
	}
	res := Run(CheckContext{Now: demogen.DemoTime(), Config: cfg}, cat, accts)
	awsManaged := []string{"us-east-1/aws/s3", "us-east-1/aws/ebs", "ap-southeast-2/aws/ebs", "eu-west-1/aws/rds"}
	dev := []string{"us-east-1/app-logs", "us-east-1/batch-retired", "us-east-1/disabled-legacy", "us-east-1/notprincipal",
		"us-east-1/old-reports", "us-east-1/public-share"}
	viaService := []string{"eu-west-1/eu-customer-data", "us-east-1/partner-exchange", "us-east-1/payments-data",
		"us-east-1/sod-violation", "us-east-1/no-root"}
	want := func(id, alias string) Status {
		switch {
		case slices.Contains(awsManaged, alias):
			return StatusNotApplicable
		case alias == "us-east-1/policy-unreadable" && id != "IAM-KMS-2":
			return StatusUnknown
		}
		switch id {
		case "IAM-KMS-2": // bob, carol and frank can delete imported material of both EXTERNAL keys
			if alias == "us-east-1/byok-imported" || alias == "us-east-1/byok-awaiting-import" {
				return StatusFail
			}
			return StatusNotApplicable
		case "IAM-KMS-3": // the SCP protects production keys; dev keys fail
			if slices.Contains(dev, alias) {
				return StatusFail
			}
			return StatusPass
		case "IAM-KMS-6":
			if slices.Contains(viaService, alias) {
				return StatusFail
			}
			return StatusPass
		}
		// IAM-KMS-4, 5, 7, 8: bob, carol and frank reach every key whose
		// policy delegates to the account; no-root names only AppRole.
		if alias == "us-east-1/no-root" || (id == "IAM-KMS-4" && alias == "us-east-1/payments-data") {
			return StatusPass
		}
		return StatusFail
	}
	aliasOf := map[string]string{}
	for _, k := range accts[0].Keys {
		aliasOf[k.ARN] = k.Region + "/" + strings.TrimPrefix(k.Aliases.MustGet()[0], "alias/")
	}
	seen := 0
	for _, f := range res.Findings {
		alias := aliasOf[f.ResourceID]
		if w := want(f.ControlID, alias); f.Status != w {
			t.Errorf("%s %s: %s (%s), want %s", f.ControlID, alias, f.Status, f.Reason, w)
		}
		seen++
	}
	if seen != len(iamkmsIDs)*len(accts[0].Keys) {
		t.Errorf("%d findings, want one per control and key", seen)
	}
	evidence := func(id, alias string) string {
		for _, f := range res.Findings {
			if f.ControlID == id && aliasOf[f.ResourceID] == alias {
				return f.Reason + "\n" + strings.Join(f.Evidence, "\n")
			}
		}
		return ""
	}
	for _, c := range []struct{ id, alias, has, hasNot string }{
		{"IAM-KMS-3", "us-east-1/app-logs", "user/frank (user): key policy + IAM", "role/KeyAdminBreakGlass"},
		{"IAM-KMS-3", "us-east-1/app-logs", `inline policy of group KeyOperators "KmsStar"`, ""},
		{"IAM-KMS-3", "us-east-1/app-logs", `inline user policy "EverythingButIAM"`, "user/dave"},
		{"IAM-KMS-8", "us-east-1/sod-violation", "role/AppAdminAndUser", "role/KeyAdministrators"},
		{"IAM-KMS-5", "us-east-1/partner-exchange", "4 principal(s)", "role/KeyAdministrators"},
		{"IAM-KMS-5", "us-east-1/partner-exchange", "role/AppAdminAndUser", "user/erin"},
		{"IAM-KMS-6", "us-east-1/payments-data", "role/AppRole (its trust policy lets ecs-tasks.amazonaws.com assume it)", ""},
	} {
		ev := evidence(c.id, c.alias)
		if !strings.Contains(ev, c.has) || (c.hasNot != "" && strings.Contains(ev, c.hasNot)) {
			t.Errorf("%s %s: evidence should contain %q and not %q:\n%s", c.id, c.alias, c.has, c.hasNot, ev)
		}
	}
}
