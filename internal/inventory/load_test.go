package inventory

import (
	"context"
	"encoding/json"
	"strings"
	"testing"
	"testing/fstest"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

const testKey = "kms/us-east-1/keys/1234abcd-12ab-34cd-56ef-1234567890ab/"

func file(s string) *fstest.MapFile { return &fstest.MapFile{Data: []byte(s)} }

// minimal is a one-key snapshot every test below starts from.
func minimal() fstest.MapFS {
	return fstest.MapFS{
		"account.json":               file(`{"UserId":"AIDA","Account":"111122223333","Arn":"arn:aws:iam::111122223333:user/audit"}`),
		"kms/us-east-1/aliases.json": file(`{"Aliases":[{"AliasName":"alias/app","AliasArn":"arn:aws:kms:us-east-1:111122223333:alias/app","TargetKeyId":"1234abcd-12ab-34cd-56ef-1234567890ab"},{"AliasName":"alias/aws/s3","AliasArn":"arn:aws:kms:us-east-1:111122223333:alias/aws/s3"}]}`),
		testKey + "describe-key.json": file(`{"KeyMetadata":{"AWSAccountId":"111122223333","KeyId":"1234abcd-12ab-34cd-56ef-1234567890ab",
			"Arn":"arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab","CreationDate":"2024-03-01T10:20:30.123000+00:00",
			"Enabled":false,"KeyUsage":"ENCRYPT_DECRYPT","KeyState":"PendingDeletion","DeletionDate":1735689600,"PendingDeletionWindowInDays":7,
			"Origin":"AWS_KMS","KeyManager":"CUSTOMER","CustomerMasterKeySpec":"SYMMETRIC_DEFAULT","MultiRegion":false}}`),
		testKey + "key-policy.json":          file(`{"Policy":"{\"Version\":\"2012-10-17\",\"Statement\":[]}","PolicyName":"default"}`),
		testKey + "key-rotation-status.json": file(`{"KeyRotationEnabled":true,"RotationPeriodInDays":90,"NextRotationDate":"2025-01-01T00:00:00+00:00"}`),
		testKey + "grants.json":              file(`{"Grants":[{"GrantId":"g1","GranteePrincipal":"arn:aws:iam::444455556666:root","Operations":["Decrypt","CreateGrant"],"CreationDate":1700000000.5,"Constraints":{"EncryptionContextSubset":{"a":"b"}}}]}`),
		testKey + "tags.json":                file(`{"Tags":[{"TagKey":"environment","TagValue":"dev"}],"Truncated":false}`),
		"iam/account-authorization-details.json": file(`{"UserDetailList":[{"UserName":"u","Arn":"arn:aws:iam::111122223333:user/u",
			"UserPolicyList":[{"PolicyName":"p","PolicyDocument":"%7B%22Version%22%3A%222012-10-17%22%7D"}],"GroupList":["g"],
			"PermissionsBoundary":{"PermissionsBoundaryType":"Policy","PermissionsBoundaryArn":"arn:aws:iam::111122223333:policy/b"}}],
			"Policies":[{"PolicyName":"b","Arn":"arn:aws:iam::111122223333:policy/b","DefaultVersionId":"v2","AttachmentCount":0,"PermissionsBoundaryUsageCount":1,
			"PolicyVersionList":[{"VersionId":"v1","IsDefaultVersion":false,"Document":{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}},
			{"VersionId":"v2","IsDefaultVersion":true,"Document":{"Version":"2012-10-17","Statement":[]}}]}]}`),
	}
}

func loadOne(t *testing.T, fsys fstest.MapFS) (*Account, []Problem) {
	t.Helper()
	accts, problems, err := Load(context.Background(), fsys, LoadOptions{})
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if len(accts) != 1 {
		t.Fatalf("got %d accounts, want 1", len(accts))
	}
	return accts[0], problems
}

func TestLoadMinimal(t *testing.T) {
	a, problems := loadOne(t, minimal())
	// No organizations/ directory: SCPs unknown, but that is not a file problem.
	if len(problems) != 0 {
		t.Errorf("problems: %v", problems)
	}
	if a.ID != "111122223333" || a.Partition != "aws" {
		t.Errorf("account %q partition %q", a.ID, a.Partition)
	}
	if len(a.Keys) != 1 {
		t.Fatalf("keys: %d", len(a.Keys))
	}
	k := a.Keys[0]
	md, rerr := k.Metadata.Get()
	if rerr != nil {
		t.Fatal(rerr)
	}
	wantDeletion := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	if md.DeletionDate == nil || !md.DeletionDate.Equal(wantDeletion) {
		t.Errorf("DeletionDate = %v, want %v (epoch seconds)", md.DeletionDate, wantDeletion)
	}
	if md.KeySpec != KeySpecSymmetricDefault || md.State != StatePendingDeletion || *md.PendingWindowDays != 7 {
		t.Errorf("metadata %+v", md)
	}
	if got := md.CreationDate; !got.Equal(time.Date(2024, 3, 1, 10, 20, 30, 123000000, time.UTC)) {
		t.Errorf("CreationDate %v", got)
	}
	if diff := cmp.Diff([]string{"alias/app"}, k.Aliases.MustGet()); diff != "" {
		t.Errorf("aliases (-want +got):\n%s", diff)
	}
	rot := k.Rotation.MustGet()
	if !rot.Enabled || rot.PeriodDays == nil || *rot.PeriodDays != 90 || rot.NextRotationDate == nil {
		t.Errorf("rotation %+v", rot)
	}
	grants := k.Grants.MustGet()
	if len(grants) != 1 || grants[0].Constraints.EncryptionContextSubset["a"] != "b" ||
		!grants[0].CreationDate.Equal(time.Unix(1700000000, 500000000)) {
		t.Errorf("grants %+v", grants)
	}
	if k.Tags.MustGet()["environment"] != "dev" {
		t.Errorf("tags %v", k.Tags.MustGet())
	}
	if doc := k.Policy.MustGet(); doc.Form != FormJSON || !strings.Contains(doc.Text, "2012-10-17") {
		t.Errorf("policy %+v", doc)
	}
	iam := a.IAM.MustGet()
	if doc := iam.Users[0].InlinePolicies[0].Document.MustGet(); doc.Form != FormURLEncoded || !strings.HasPrefix(doc.Text, "%7B") {
		t.Errorf("URL-encoded inline document %+v", doc)
	}
	p := iam.Policy("arn:aws:iam::111122223333:policy/b")
	if def := p.Default.MustGet(); def.Form != FormJSON || strings.Contains(def.Text, `"*"`) {
		t.Errorf("default version document %+v", def)
	}
	if !p.OnlyPermissionsBoundary() || len(p.BoundaryOf) != 1 {
		t.Errorf("boundary use: only=%v of=%v", p.OnlyPermissionsBoundary(), p.BoundaryOf)
	}
	if _, rerr := a.SCPs.Get(); rerr == nil || rerr.Code != CodeNotCollected {
		t.Errorf("SCPs without organizations/: %v", rerr)
	}
}

func TestLoadUnknownFacts(t *testing.T) {
	tests := []struct {
		name     string
		change   func(fstest.MapFS)
		fact     func(*Account) *ReadError
		wantCode string
		problem  string // substring of a reported problem, "" for none
	}{
		{"rotation call failed", func(m fstest.MapFS) {
			delete(m, testKey+"key-rotation-status.json")
			m[testKey+"key-rotation-status.error.json"] = file(`{"Code":"AccessDeniedException","Message":"not authorized"}`)
		}, func(a *Account) *ReadError { return a.Keys[0].Rotation.Reason() }, "AccessDeniedException", ""},
		{"error file replaces the response file", func(m fstest.MapFS) {
			delete(m, testKey+"key-policy.json")
			m[testKey+"key-policy.error.json"] = file(`{"Code":"NotFoundException","Message":"gone"}`)
		}, func(a *Account) *ReadError { return a.Keys[0].Policy.Reason() }, "NotFoundException", ""},
		{"regions could not be listed", func(m fstest.MapFS) {
			m["regions.error.json"] = file(`{"Code":"UnauthorizedOperation","Message":"no ec2"}`)
		}, func(a *Account) *ReadError { return a.RegionsIncomplete }, "UnauthorizedOperation", ""},
		{"policy not collected", func(m fstest.MapFS) { delete(m, testKey+"key-policy.json") },
			func(a *Account) *ReadError { return a.Keys[0].Policy.Reason() }, CodeNotCollected, ""},
		{"corrupt grants", func(m fstest.MapFS) { m[testKey+"grants.json"] = file("{\n\"Grants\": [\n{,]}") },
			func(a *Account) *ReadError { return a.Keys[0].Grants.Reason() }, CodeParseError, "grants.json: line 3: invalid JSON"},
		{"wrong type in describe-key", func(m fstest.MapFS) { m[testKey+"describe-key.json"] = file(`{"KeyMetadata":{"Enabled":"yes"}}`) },
			func(a *Account) *ReadError { return a.Keys[0].Metadata.Reason() }, CodeParseError, `field "/KeyMetadata/Enabled": cannot use JSON string as bool`},
		{"bad timestamp", func(m fstest.MapFS) {
			m[testKey+"describe-key.json"] = file(`{"KeyMetadata":{"CreationDate":"yesterday"}}`)
		},
			func(a *Account) *ReadError { return a.Keys[0].Metadata.Reason() }, CodeParseError, "neither ISO 8601 nor epoch"},
		{"rotation response without the flag", func(m fstest.MapFS) { m[testKey+"key-rotation-status.json"] = file(`{}`) },
			func(a *Account) *ReadError { return a.Keys[0].Rotation.Reason() }, CodeIncomplete, ""},
		{"aliases failed", func(m fstest.MapFS) {
			delete(m, "kms/us-east-1/aliases.json")
			m["kms/us-east-1/aliases.error.json"] = file(`{"Code":"AccessDeniedException"}`)
		}, func(a *Account) *ReadError { return a.Keys[0].Aliases.Reason() }, "AccessDeniedException", ""},
		{"empty iam file", func(m fstest.MapFS) { m["iam/account-authorization-details.json"] = file("") },
			func(a *Account) *ReadError { return a.IAM.Reason() }, CodeParseError, "empty or truncated"},
		{"corrupt error file", func(m fstest.MapFS) {
			delete(m, testKey+"tags.json")
			m[testKey+"tags.error.json"] = file(`not json`)
		}, func(a *Account) *ReadError { return a.Keys[0].Tags.Reason() }, CodeParseError, "tags.error.json"},
		{"list keys failed", func(m fstest.MapFS) {
			m["kms/us-east-1.error.json"] = file(`{"Code":"AccessDeniedException","Message":"no"}`)
		}, func(a *Account) *ReadError { return a.Regions[0].KeyListing.Reason() }, "AccessDeniedException", ""},
		{"disabled region has no directory", func(m fstest.MapFS) {
			m["kms/ap-east-1.error.json"] = file(`{"Code":"UnrecognizedClientException","Message":"The security token included in the request is invalid."}`)
		}, func(a *Account) *ReadError { return a.Regions[0].Aliases.Reason() }, "UnrecognizedClientException", ""},
		{"organizations not readable", func(m fstest.MapFS) {
			m["organizations/policies.error.json"] = file(`{"Code":"AccessDeniedException","Message":"no"}`)
		}, func(a *Account) *ReadError { return a.SCPs.Reason() }, "AccessDeniedException", ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			m := minimal()
			tt.change(m)
			a, problems := loadOne(t, m)
			rerr := tt.fact(a)
			if rerr == nil {
				t.Fatal("fact is known, want unknown")
			}
			if rerr.Code != tt.wantCode {
				t.Errorf("code %q, want %q (%v)", rerr.Code, tt.wantCode, rerr)
			}
			found := tt.problem == ""
			for _, p := range problems {
				if strings.Contains(p.String(), tt.problem) {
					found = true
				}
			}
			if !found {
				t.Errorf("no problem containing %q in %v", tt.problem, problems)
			}
			if tt.problem == "" && len(problems) != 0 {
				t.Errorf("unexpected problems %v", problems)
			}
			// Other facts of the key still load.
			if a.Keys[0].ARN == "" || a.ID != "111122223333" {
				t.Errorf("key ARN %q account %q", a.Keys[0].ARN, a.ID)
			}
		})
	}
}

func TestUnknownFactCannotBeReadAsZero(t *testing.T) {
	var f Fact[bool]
	v, rerr := f.Get()
	if rerr == nil || v {
		t.Fatalf("zero Fact: got %v, %v; want unknown", v, rerr)
	}
	defer func() {
		if recover() == nil {
			t.Error("MustGet on an unknown fact did not panic")
		}
	}()
	f.MustGet()
}

func TestLoadIAMPages(t *testing.T) {
	m := minimal()
	m["iam/account-authorization-details.json"] = file(`{"RoleDetailList":[{"RoleName":"a","Arn":"arn:aws:iam::111122223333:role/a","AssumeRolePolicyDocument":{"Version":"2012-10-17"}}]}
{"RoleDetailList":[{"RoleName":"b","Arn":"arn:aws:iam::111122223333:role/b","AssumeRolePolicyDocument":"%7B%7D","RoleLastUsed":{"LastUsedDate":"2024-01-02T03:04:05+00:00","Region":"eu-west-1"}}]}`)
	a, problems := loadOne(t, m)
	if len(problems) != 0 {
		t.Errorf("problems %v", problems)
	}
	roles := a.IAM.MustGet().Roles
	if len(roles) != 2 || roles[1].TrustPolicy.MustGet().Form != FormURLEncoded || roles[1].LastUsed == nil {
		t.Errorf("roles %+v", roles)
	}
}

func TestLoadNotASnapshot(t *testing.T) {
	_, _, err := Load(context.Background(), fstest.MapFS{"README": file("x")}, LoadOptions{})
	if err == nil || !strings.Contains(err.Error(), "not a kmsguard snapshot") {
		t.Errorf("err = %v", err)
	}
}

func TestLoadCancelled(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	if _, _, err := Load(ctx, minimal(), LoadOptions{}); err == nil {
		t.Error("no error from a cancelled context")
	}
}

func TestLoadIAMErrorNamesElement(t *testing.T) {
	m := minimal()
	m["iam/account-authorization-details.json"] = file("{\"RoleDetailList\": [\n{\"RoleName\": \"a\"},\n{\"RoleName\": \"b\", \"CreateDate\": true}\n]}")
	a, problems := loadOne(t, m)
	if a.IAM.IsKnown() || len(problems) != 1 {
		t.Fatalf("IAM known=%v problems=%v", a.IAM.IsKnown(), problems)
	}
	want := `line 3: field "/RoleDetailList/1/CreateDate"`
	if !strings.Contains(problems[0].Reason, want) {
		t.Errorf("problem %q, want it to contain %q", problems[0].Reason, want)
	}
}

func TestSplitArraysMatchesSerialDecode(t *testing.T) {
	inputs := []string{
		`{"Policies":[{"PolicyName":"a \"quoted\" ]}"},{"PolicyName":"b"}],"IsTruncated":false,"Marker":null}`,
		`{"UserDetailList":[]} {"UserDetailList":[{"UserName":"x"}]}`,
		`{}`,
		`{"policies":[{"PolicyName":"lower-case key"}]}`,
	}
	for _, in := range inputs {
		par, err := decodeAuthDetails([]byte(in), 4)
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		ser, err := decodeAuthDetailsSerial([]byte(in))
		if err != nil {
			t.Fatalf("%s: %v", in, err)
		}
		if diff := cmp.Diff(ser, par, cmp.AllowUnexported(awsTime{}), cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: parallel differs from serial (-serial +parallel):\n%s", in, diff)
		}
	}
}

func TestFactJSON(t *testing.T) {
	known, err := json.Marshal(Known(42))
	if err != nil {
		t.Fatal(err)
	}
	unknown, err := json.Marshal(Unknown[int](&ReadError{Call: "kms:ListGrants", Code: "AccessDeniedException"}))
	if err != nil {
		t.Fatal(err)
	}
	if string(known) != `{"value":42}` || string(unknown) != `{"unknown":{"call":"kms:ListGrants","code":"AccessDeniedException"}}` {
		t.Errorf("known %s unknown %s", known, unknown)
	}
}

func TestAccountKeyLookup(t *testing.T) {
	a, _ := loadOne(t, minimal())
	arn := "arn:aws:kms:us-east-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"
	for _, ref := range []string{arn, "1234abcd-12ab-34cd-56ef-1234567890ab", "alias/app"} {
		if k := a.Key("us-east-1", ref); k == nil || k.ARN != arn {
			t.Errorf("Key(%q) = %v", ref, k)
		}
	}
	if k := a.Key("eu-west-1", "alias/app"); k != nil {
		t.Errorf("alias matched in the wrong region: %v", k.ARN)
	}
}

func TestIAMDocumentProblemsAreUnknown(t *testing.T) {
	m := minimal()
	m["iam/account-authorization-details.json"] = file(`{"RoleDetailList":[{"RoleName":"a","Arn":"arn:aws:iam::111122223333:role/a",
		"RolePolicyList":[{"PolicyName":"p","PolicyDocument":42}]}],
		"Policies":[{"Arn":"arn:aws:iam::111122223333:policy/x","DefaultVersionId":"v1","PolicyVersionList":[{"VersionId":"v1","IsDefaultVersion":true}]},
		{"Arn":"arn:aws:iam::111122223333:policy/y","DefaultVersionId":"v3","PolicyVersionList":[]}]}`)
	a, problems := loadOne(t, m)
	iam := a.IAM.MustGet()
	checks := map[string]*ReadError{
		"trust policy missing":      iam.Roles[0].TrustPolicy.Reason(),
		"inline document a number":  iam.Roles[0].InlinePolicies[0].Document.Reason(),
		"default version no doc":    iam.Policies[0].Default.Reason(),
		"default version not found": iam.Policies[1].Default.Reason(),
	}
	for name, rerr := range checks {
		if rerr == nil || rerr.Code != CodeIncomplete {
			t.Errorf("%s: reason %v, want Incomplete", name, rerr)
		}
	}
	if len(problems) != 3 {
		t.Errorf("want 3 problems (trust, inline, version document), got %v", problems)
	}
}

func TestIdentityPoliciesMissingPieces(t *testing.T) {
	m := minimal()
	m["iam/account-authorization-details.json"] = file(`{"UserDetailList":[{"UserName":"u","Arn":"arn:aws:iam::111122223333:user/u",
		"GroupList":["ghost"],"AttachedManagedPolicies":[{"PolicyName":"gone","PolicyArn":"arn:aws:iam::111122223333:policy/gone"}]}]}`)
	a, _ := loadOne(t, m)
	sources, ok := a.IAM.MustGet().IdentityPolicies("arn:aws:iam::111122223333:user/u")
	if !ok || len(sources) != 2 {
		t.Fatalf("sources %+v ok %v", sources, ok)
	}
	for _, s := range sources {
		if rerr := s.Document.Reason(); rerr == nil || rerr.Code != CodeIncomplete {
			t.Errorf("%s %s: reason %v, want Incomplete", s.Kind, s.Name, rerr)
		}
	}
	if _, ok := a.IAM.MustGet().IdentityPolicies("arn:aws:iam::111122223333:user/nobody"); ok {
		t.Error("found a principal that does not exist")
	}
}

// TestLoadErrorFileConvention checks the one error-file convention
// (x.error.json stands in for x.json or the directory x/) for the failures
// that concern more than one file.
func TestLoadErrorFileConvention(t *testing.T) {
	t.Run("legacy .json.error.json name is not an error file", func(t *testing.T) {
		m := minimal()
		delete(m, testKey+"key-policy.json")
		m[testKey+"key-policy.json.error.json"] = file(`{"Code":"NotFoundException"}`)
		a, _ := loadOne(t, m)
		if rerr := a.Keys[0].Policy.Reason(); rerr == nil || rerr.Code != CodeNotCollected {
			t.Errorf("policy reason %v, want %s", rerr, CodeNotCollected)
		}
	})
	t.Run("region error file makes the region unknown", func(t *testing.T) {
		m := minimal()
		m["kms/ap-east-1.error.json"] = file(`{"Code":"UnrecognizedClientException","Message":"not enabled"}`)
		a, problems := loadOne(t, m)
		if len(problems) != 0 {
			t.Errorf("problems %v", problems)
		}
		var names []string
		for _, r := range a.Regions {
			names = append(names, r.Name)
		}
		if diff := cmp.Diff([]string{"ap-east-1", "us-east-1"}, names); diff != "" {
			t.Fatalf("regions (-want +got):\n%s", diff)
		}
		want := &ReadError{Call: "kms:ListKeys", File: "kms/ap-east-1.error.json", Code: "UnrecognizedClientException", Message: "not enabled"}
		if diff := cmp.Diff(want, a.Regions[0].KeyListing.Reason()); diff != "" {
			t.Errorf("key listing reason (-want +got):\n%s", diff)
		}
		if !a.Regions[1].KeyListing.IsKnown() || a.RegionsIncomplete != nil {
			t.Errorf("us-east-1 listing %v, regions incomplete %v", a.Regions[1].KeyListing.Reason(), a.RegionsIncomplete)
		}
	})
	t.Run("organisation not in use means no SCPs", func(t *testing.T) {
		m := minimal()
		m["organizations/policies.error.json"] = file(`{"Code":"AWSOrganizationsNotInUseException","Message":"not in an organization"}`)
		a, _ := loadOne(t, m)
		scps, rerr := a.ApplicableSCPs().Get()
		if rerr != nil || len(scps) != 0 {
			t.Errorf("applicable SCPs %v, %v; want known and empty", scps, rerr)
		}
	})
	t.Run("account whose role could not be assumed", func(t *testing.T) {
		m := fstest.MapFS{}
		for name, f := range minimal() {
			m["accounts/111122223333/"+name] = f
		}
		m["accounts/444455556666.error.json"] = file(`{"Code":"AccessDenied","Message":"not authorized to perform sts:AssumeRole"}`)
		m["organizations/accounts.json"] = file(`{"Accounts":[{"Id":"444455556666","Name":"sandbox"}]}`)
		accts, problems, err := Load(context.Background(), m, LoadOptions{})
		if err != nil {
			t.Fatal(err)
		}
		if len(accts) != 2 || accts[1].ID != "444455556666" {
			t.Fatalf("accounts %d, want 2 with 444455556666 second", len(accts))
		}
		locked := accts[1]
		want := &ReadError{Call: "sts:AssumeRole", File: "accounts/444455556666.error.json", Code: "AccessDenied", Message: "not authorized to perform sts:AssumeRole"}
		for name, rerr := range map[string]*ReadError{"caller": locked.Caller.Reason(), "iam": locked.IAM.Reason(), "regions": locked.RegionsIncomplete} {
			if diff := cmp.Diff(want, rerr); diff != "" {
				t.Errorf("%s reason (-want +got):\n%s", name, diff)
			}
		}
		if locked.Name != "sandbox" || len(locked.Keys) != 0 {
			t.Errorf("name %q keys %d", locked.Name, len(locked.Keys))
		}
		found := false
		for _, p := range problems {
			if p.File == "accounts/444455556666.error.json" && strings.Contains(p.Reason, "account 444455556666 was not collected: AccessDenied") {
				found = true
			}
		}
		if !found {
			t.Errorf("no problem naming the account in %v", problems)
		}
	})
}
