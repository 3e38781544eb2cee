package enrich

import (
	"context"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/config"
	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/severity"
)

const (
	prodKey = "arn:aws:kms:us-east-1:111122223333:key/1111aaaa-1111-1111-1111-111111111111"
	devKey  = "arn:aws:kms:us-east-1:111122223333:key/2222bbbb-2222-2222-2222-222222222222"
	absent  = "arn:aws:kms:us-east-1:111122223333:key/9999ffff-9999-9999-9999-999999999999"
)

// snapshot is a two-key snapshot in the AWS CLI layout the loader reads.
func snapshot(t *testing.T) []*inventory.Account {
	t.Helper()
	k := "kms/us-east-1/keys/"
	fsys := fstest.MapFS{
		"account.json": {Data: []byte(`{"UserId":"AIDA","Account":"111122223333","Arn":"arn:aws:iam::111122223333:user/auditor"}`)},
		"kms/us-east-1/aliases.json": {Data: []byte(`{"Aliases":[
			{"AliasName":"alias/payments","AliasArn":"arn:aws:kms:us-east-1:111122223333:alias/payments","TargetKeyId":"1111aaaa-1111-1111-1111-111111111111"},
			{"AliasName":"alias/dev","AliasArn":"arn:aws:kms:us-east-1:111122223333:alias/dev","TargetKeyId":"2222bbbb-2222-2222-2222-222222222222"}]}`)},
		k + "1111aaaa-1111-1111-1111-111111111111/describe-key.json":        {Data: []byte(`{"KeyMetadata":{"AWSAccountId":"111122223333","KeyId":"1111aaaa-1111-1111-1111-111111111111","Arn":"` + prodKey + `","Enabled":true,"KeyState":"Enabled","KeyManager":"CUSTOMER","Origin":"AWS_KMS","KeySpec":"SYMMETRIC_DEFAULT","KeyUsage":"ENCRYPT_DECRYPT","MultiRegion":true,"MultiRegionConfiguration":{"MultiRegionKeyType":"PRIMARY","PrimaryKey":{"Arn":"` + prodKey + `","Region":"us-east-1"},"ReplicaKeys":[]}}}`)},
		k + "1111aaaa-1111-1111-1111-111111111111/tags.json":                {Data: []byte(`{"Tags":[{"TagKey":"Environment","TagValue":"Prod"},{"TagKey":"owner","TagValue":"payments-team"}]}`)},
		k + "1111aaaa-1111-1111-1111-111111111111/key-rotation-status.json": {Data: []byte(`{"KeyRotationEnabled":true,"RotationPeriodInDays":180}`)},
		k + "2222bbbb-2222-2222-2222-222222222222/describe-key.json":        {Data: []byte(`{"KeyMetadata":{"AWSAccountId":"111122223333","KeyId":"2222bbbb-2222-2222-2222-222222222222","Arn":"` + devKey + `","Enabled":false,"KeyState":"Disabled","KeyManager":"CUSTOMER","Origin":"AWS_KMS","KeySpec":"SYMMETRIC_DEFAULT","KeyUsage":"ENCRYPT_DECRYPT","MultiRegion":false}}`)},
		k + "2222bbbb-2222-2222-2222-222222222222/tags.json":                {Data: []byte(`{"Tags":[{"TagKey":"environment","TagValue":"dev"}]}`)},
		k + "2222bbbb-2222-2222-2222-222222222222/key-rotation-status.json": {Data: []byte(`{"KeyRotationEnabled":false}`)},
	}
	accts, _, err := inventory.Load(context.Background(), fsys, inventory.LoadOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return accts
}

func allowlist(t *testing.T) func(string) (bool, string) {
	t.Helper()
	cfg, err := config.Parse([]byte(`allowlist:
  principals:
    - {pattern: "arn:aws:iam::111122223333:role/kms-admin", reason: "key administrators"}
`), "kmsguard.yaml")
	if err != nil {
		t.Fatal(err)
	}
	return func(arn string) (bool, string) {
		if p := cfg.AuthorisedPrincipal(arn); p != nil {
			return true, p.Reason
		}
		return false, ""
	}
}

func TestEnrich(t *testing.T) {
	const admin, stranger = "arn:aws:iam::111122223333:role/kms-admin", "arn:aws:iam::111122223333:user/mallory"
	tests := []struct {
		name         string
		keys         []string
		actor        string
		noAllowlist  bool
		wantSeverity severity.Level
		want         map[string]string
	}{
		{
			name: "production key, authorised actor", keys: []string{prodKey}, actor: admin, wantSeverity: severity.High,
			want: map[string]string{
				"key.arn": prodKey, "key.aliases": "alias/payments", "key.manager": "CUSTOMER", "key.state": "Enabled",
				"key.multi_region": "primary", "key.rotation": "enabled, every 180 days", "key.tag.environment": "Prod",
				"key.tag.owner": "payments-team", "key.production": "true",
				"actor.authorised": "true", "actor.authorised_reason": "key administrators",
				"severity.original": "medium", "severity.raised": "production key",
			},
		},
		{
			name: "dev key, actor not on the allowlist", keys: []string{devKey}, actor: stranger, wantSeverity: severity.High,
			want: map[string]string{
				"key.arn": devKey, "key.aliases": "alias/dev", "key.manager": "CUSTOMER", "key.state": "Disabled",
				"key.multi_region": "single-region", "key.rotation": "disabled", "key.tag.environment": "dev",
				"actor.authorised": "false", "severity.original": "medium", "severity.raised": "actor not on the allowlist",
			},
		},
		{
			name: "both rules raise twice", keys: []string{absent, "arn:aws:kms:us-east-1:111122223333:alias/payments"}, actor: stranger, wantSeverity: severity.Critical,
			want: map[string]string{
				"key.inventory": "not in inventory",
				"key2.arn":      prodKey, "key2.aliases": "alias/payments", "key2.manager": "CUSTOMER", "key2.state": "Enabled",
				"key2.multi_region": "primary", "key2.rotation": "enabled, every 180 days", "key2.tag.environment": "Prod",
				"key2.tag.owner": "payments-team", "key2.production": "true",
				"actor.authorised": "false", "severity.original": "medium", "severity.raised": "production key; actor not on the allowlist",
			},
		},
		{
			name: "no allowlist configured: actor not judged", keys: []string{devKey}, actor: stranger, noAllowlist: true, wantSeverity: severity.Medium,
			want: map[string]string{
				"key.arn": devKey, "key.aliases": "alias/dev", "key.manager": "CUSTOMER", "key.state": "Disabled",
				"key.multi_region": "single-region", "key.rotation": "disabled", "key.tag.environment": "dev",
			},
		},
	}
	accts := snapshot(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rules := Rules{Authorised: allowlist(t)}
			if tt.noAllowlist {
				rules.Authorised = nil
			}
			e := New(rules)
			e.SetInventory(accts)
			a := alert.Alert{Severity: severity.Medium, KeyARNs: tt.keys, Actor: alert.Actor{ARN: tt.actor}}
			e.Enrich(&a)
			if a.Severity != tt.wantSeverity {
				t.Errorf("severity = %v, want %v", a.Severity, tt.wantSeverity)
			}
			if diff := cmp.Diff(tt.want, a.Enrichment); diff != "" {
				t.Errorf("enrichment (-want +got):\n%s", diff)
			}
		})
	}
}

func TestCustomProductionTags(t *testing.T) {
	e := New(Rules{ProductionTagKeys: []string{"tier"}, ProductionValues: []string{"live"}})
	e.SetInventory(snapshot(t))
	a := alert.Alert{Severity: severity.Low, KeyARNs: []string{prodKey}}
	e.Enrich(&a)
	if a.Severity != severity.Low || a.Enrichment["key.production"] != "" {
		t.Errorf("environment=Prod counted as production under custom rules: %v %v", a.Severity, a.Enrichment)
	}
}
