package controls

import (
	"maps"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/config"
	"github.com/kmsguard/kmsguard/internal/inventory"
)

// fixture is one account a control is run on, with the status expected for
// each resource (keyed by the last ARN segment, e.g. "key/a") and optional
// substrings the reason must contain.
type fixture struct {
	name    string
	config  string // kmsguard.yaml content; empty for the defaults
	acct    *inventory.Account
	want    map[string]Status
	reasons map[string]string
}

// fixtures must cover every control in the catalogue with at least one PASS
// and one FAIL (TestCatalogueConventions enforces it).
func fixtures() map[string][]fixture {
	inTwoDays := fxNow.Add(36 * time.Hour)
	all := map[string][]fixture{
		"KMS.3": {
			{name: "enabled and disabled keys pass", acct: fxAccountOf(fxKey("a"), fxKey("b", state(inventory.StateDisabled))),
				want: map[string]Status{"key/a": StatusPass, "key/b": StatusPass}},
			{name: "pending deletion fails with date and days left",
				acct:    fxAccountOf(fxKey("a", pendingDeletion(fxNow.Add(10*24*time.Hour), 30)), fxKey("b", pendingDeletion(inTwoDays, 7))),
				want:    map[string]Status{"key/a": StatusFail, "key/b": StatusFail},
				reasons: map[string]string{"key/a": "2026-11-30 12:00 UTC (10 days left)", "key/b": "(2 days left)"}},
			{name: "deletion date already passed",
				acct:    fxAccountOf(fxKey("a", pendingDeletion(fxNow.Add(-3*24*time.Hour), 7))),
				want:    map[string]Status{"key/a": StatusFail},
				reasons: map[string]string{"key/a": "3 days before this scan"}},
			{name: "multi-region primary pending replica deletion",
				acct:    fxAccountOf(fxKey("mrk-1", multiRegion(inventory.MultiRegionPrimary, "eu-west-1"), state(inventory.StatePendingReplicaDeletion))),
				want:    map[string]Status{"key/mrk-1": StatusFail},
				reasons: map[string]string{"key/mrk-1": "waits until its replicas (eu-west-1) are deleted"}},
			{name: "describe failed is unknown",
				acct:    fxAccountOf(withoutMetadata(fxKey("a"))),
				want:    map[string]Status{"key/a": StatusUnknown},
				reasons: map[string]string{"key/a": "AccessDeniedException"}},
		},
		"KMS.4": {
			{name: "rotation on passes, off fails",
				acct: fxAccountOf(fxKey("on"), fxKey("off", rotationOff()), fxKey("disabled-off", state(inventory.StateDisabled), rotationOff())),
				want: map[string]Status{"key/on": StatusPass, "key/off": StatusFail, "key/disabled-off": StatusFail}},
			{name: "keys that cannot rotate are not applicable even with rotation off",
				acct: fxAccountOf(
					fxKey("rsa", spec("RSA_2048", inventory.KeyUsageSignVerify), rotationOff()),
					fxKey("hmac", spec("HMAC_256", inventory.KeyUsageGenerateVerify), rotationOff()),
					fxKey("imported", origin(inventory.OriginExternal, ""), rotationOff()),
					fxKey("hsm", origin(inventory.OriginCloudHSM, "cks-1"), rotationOff()),
					fxKey("xks", origin(inventory.OriginExternalKeyStore, "cks-2"), rotationOff()),
					fxKey("aws", awsManaged(), rotationOff()),
					fxKey("replica", multiRegion(inventory.MultiRegionReplica), rotationOff()),
					fxKey("deleting", pendingDeletion(fxNow.Add(72*time.Hour), 7), rotationOff())),
				want: map[string]Status{"key/rsa": StatusNotApplicable, "key/hmac": StatusNotApplicable, "key/imported": StatusNotApplicable,
					"key/hsm": StatusNotApplicable, "key/xks": StatusNotApplicable, "key/aws": StatusNotApplicable,
					"key/replica": StatusNotApplicable, "key/deleting": StatusNotApplicable},
				reasons: map[string]string{"key/replica": "follows the primary key arn:aws:kms:us-east-1:111122223333:key/replica"}},
			{name: "multi-region primary with rotation off fails",
				acct: fxAccountOf(fxKey("mrk-p", multiRegion(inventory.MultiRegionPrimary, "eu-west-1"), rotationOff())),
				want: map[string]Status{"key/mrk-p": StatusFail}},
			{name: "rotation status error is unknown",
				acct:    fxAccountOf(fxKey("a", rotationUnknown()), withoutMetadata(fxKey("b"))),
				want:    map[string]Status{"key/a": StatusUnknown, "key/b": StatusUnknown},
				reasons: map[string]string{"key/a": "kms:GetKeyRotationStatus: AccessDeniedException"}},
			{name: "maximum rotation period",
				config: "parameters:\n  KMS.4:\n    maxRotationPeriodDays: 180\n",
				acct:   fxAccountOf(fxKey("yearly"), fxKey("quarterly", rotationPeriod(intp(90))), fxKey("legacy", rotationPeriod(nil))),
				want:   map[string]Status{"key/yearly": StatusFail, "key/quarterly": StatusPass, "key/legacy": StatusFail},
				reasons: map[string]string{"key/yearly": "every 365 days, less often than the required 180",
					"key/legacy": "every 365 days"}},
		},
		"KMS.GRANT.1": {
			{name: "grants inside the account without CreateGrant pass",
				acct: fxAccountOf(fxKey("a", grants(grant("g1", "arn:aws:iam::111122223333:role/App", "Decrypt", "Encrypt"))), fxKey("none")),
				want: map[string]Status{"key/a": StatusPass, "key/none": StatusPass}},
			{name: "CreateGrant onward and cross-account fail",
				acct: fxAccountOf(
					fxKey("onward", grants(grant("g1", "arn:aws:iam::111122223333:role/App", "Decrypt", "CreateGrant"))),
					fxKey("partner", grants(grant("g2", "arn:aws:iam::444455556666:role/Partner", "Decrypt")))),
				want:    map[string]Status{"key/onward": StatusFail, "key/partner": StatusFail},
				reasons: map[string]string{"key/onward": "grant g1 passes on CreateGrant", "key/partner": "in account 444455556666"}},
			{name: "AWS service grants are exempt even with CreateGrant",
				acct: fxAccountOf(
					fxKey("rds", grants(grant("g1", "rds.eu-west-1.amazonaws.com", "Decrypt", "CreateGrant"))),
					fxKey("ebs", grants(grant("g2", "arn:aws:sts::111122223333:assumed-role/aws:ec2-infrastructure/vol-1", "Decrypt", "CreateGrant"))),
					fxKey("managed", awsManaged(), grants(grant("g3", "arn:aws:iam::111122223333:role/App", "CreateGrant")))),
				want: map[string]Status{"key/rds": StatusPass, "key/ebs": StatusPass, "key/managed": StatusPass}},
			{name: "customer role named like a service is not exempt",
				acct: fxAccountOf(fxKey("a", grants(grant("g1", "arn:aws:sts::111122223333:assumed-role/ec2-infrastructure/x", "CreateGrant")))),
				want: map[string]Status{"key/a": StatusFail}},
			{name: "trusted account passes",
				config: "organization:\n  trustedAccounts: ['444455556666']\n",
				acct:   fxAccountOf(fxKey("partner", grants(grant("g2", "arn:aws:iam::444455556666:role/Partner", "Decrypt")))),
				want:   map[string]Status{"key/partner": StatusPass}},
			{name: "grants not read are unknown",
				acct: fxAccountOf(fxKey("a", grantsUnknown())),
				want: map[string]Status{"key/a": StatusUnknown}},
		},
	}
	maps.Copy(all, iamPolicyFixtures())
	maps.Copy(all, keyPolicyFixtures())
	return all
}

func lastSegment(arn string) string {
	parts := strings.Split(arn, ":")
	return parts[len(parts)-1]
}

func TestCatalogueConventions(t *testing.T) {
	cat := Catalogue()
	fx := allFixtures()
	seen := map[string]bool{}
	for _, c := range cat {
		t.Run(c.ID, func(t *testing.T) {
			if seen[c.ID] {
				t.Errorf("duplicate control id %s", c.ID)
			}
			seen[c.ID] = true
			missing := []string{}
			for field, empty := range map[string]bool{
				"ID": c.ID == "", "Title": c.Title == "", "Severity": c.Severity == 0, "ResourceType": c.ResourceType == "",
				"Rationale": c.Rationale == "", "Remediation.Summary": c.Remediation.Summary == "",
				"Remediation.Console": len(c.Remediation.Console) == 0, "Remediation.CLI": len(c.Remediation.CLI) == 0,
				"References": len(c.References) == 0, "Check": c.Check == nil,
				"Mappings": cmp.Equal(c.Mappings, Mappings{}),
			} {
				if empty {
					missing = append(missing, field)
				}
			}
			if len(missing) > 0 {
				t.Errorf("missing metadata: %v", missing)
			}
			for _, cli := range c.Remediation.CLI {
				if !strings.HasPrefix(cli, "aws ") {
					t.Errorf("CLI remediation %q is not an AWS CLI command", cli)
				}
			}
			statuses := map[Status]bool{}
			for _, f := range fx[c.ID] {
				for _, s := range f.want {
					statuses[s] = true
				}
			}
			if !statuses[StatusPass] || !statuses[StatusFail] {
				t.Errorf("fixtures must include a PASS and a FAIL case; have %v", statuses)
			}
		})
	}
	for id := range fx {
		if !seen[id] {
			t.Errorf("fixtures for %s, which is not in the catalogue", id)
		}
	}
}

func TestControlFixtures(t *testing.T) {
	for id, fs := range allFixtures() {
		for _, f := range fs {
			t.Run(id+"/"+f.name, func(t *testing.T) {
				cfg := config.Default()
				if f.config != "" {
					var err error
					if cfg, err = config.Parse([]byte(f.config), "fixture.yaml"); err != nil {
						t.Fatal(err)
					}
				}
				c := Lookup(Catalogue(), id)
				res := Run(CheckContext{Now: fxNow, Config: cfg}, []Control{*c}, []*inventory.Account{f.acct})
				got := map[string]Status{}
				for _, fd := range res.Findings {
					got[lastSegment(fd.ResourceID)] = fd.Status
					if fd.Reason == "" || (fd.Region == "" && fd.ResourceType == keyResourceType) || fd.AccountID != fxAccount || fd.ControlID != id || fd.Control == nil {
						t.Errorf("incomplete finding %+v", fd)
					}
					if want, ok := f.reasons[lastSegment(fd.ResourceID)]; ok && !strings.Contains(fd.Reason, want) {
						t.Errorf("%s reason %q, want it to contain %q", fd.ResourceID, fd.Reason, want)
					}
				}
				if diff := cmp.Diff(f.want, got); diff != "" {
					t.Errorf("statuses (-want +got):\n%s", diff)
				}
			})
		}
	}
}
