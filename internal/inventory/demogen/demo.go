package demogen

import (
	"crypto/sha256"
	"fmt"
	"time"
)

// Demo account facts referred to by docs/demo-snapshot.md and tests.
const (
	DemoAccount      = "111122223333"
	DemoPartner      = "444455556666"
	DemoOrgID        = "o-a1b2c3d4e5"
	DemoBreakGlass   = "arn:aws:iam::111122223333:role/KeyAdminBreakGlass"
	demoProductionOU = "ou-a1b2-prod0001"
	demoRoot         = "r-a1b2"
)

// DemoTime() is when the demo snapshot was "collected"; dates in it are relative to this.
func DemoTime() time.Time { return time.Date(2026, 11, 20, 9, 30, 0, 0, time.UTC) }

// keyID derives a stable key id (a UUID, or mrk-... for multi-region keys).
func keyID(name string, multiRegion bool) string {
	h := sha256.Sum256([]byte(name))
	if multiRegion {
		return fmt.Sprintf("mrk-%x", h[:16])
	}
	s := fmt.Sprintf("%x", h[:16])
	return s[0:8] + "-" + s[8:12] + "-4" + s[13:16] + "-8" + s[17:20] + "-" + s[20:32]
}

func days(n int) time.Duration { return time.Duration(n) * 24 * time.Hour }

func ptrTime(t time.Time) *time.Time { return &t }

func roleARN(name string) string { return "arn:aws:iam::" + DemoAccount + ":role/" + name }

// demoKeys is the key table of the demo; see docs/demo-snapshot.md.
func demoKeys() []*key {
	a := DemoAccount
	created := time.Date(2024, 3, 1, 10, 20, 30, 123000000, time.UTC)
	rot := func(period int) *rotation {
		return &rotation{periodDays: period, next: DemoTime().Add(days(period / 3))}
	}
	sym := func(region, name, desc string, r *rotation, pol string, tags map[string]string) *key {
		return &key{region: region, id: keyID(region+name, false), alias: "alias/" + name, manager: "CUSTOMER",
			state: "Enabled", origin: "AWS_KMS", spec: "SYMMETRIC_DEFAULT", usage: "ENCRYPT_DECRYPT",
			description: desc, created: created, rotation: r, policy: pol, tags: tags}
	}
	prod := func(owner string) map[string]string {
		return map[string]string{"environment": "production", "owner": owner}
	}
	dev := func(owner string) map[string]string { return map[string]string{"environment": "dev", "owner": owner} }
	def := defaultKeyPolicy(a)
	app := []string{roleARN("AppRole")}
	admins := []string{roleARN("KeyAdministrators")}

	keys := []*key{
		sym("us-east-1", "payments-data", "Payments database encryption", rot(365),
			keyAdminsAndUsers(a, admins, app, deletionProtection(DemoBreakGlass)), prod("payments")),
		sym("us-east-1", "app-logs", "Application log encryption", nil, def, dev("platform")),
		sym("us-east-1", "billing-exports", "Billing exports, rotated quarterly", rot(90), def, prod("finance")),
		sym("us-east-1", "cloudtrail", "CloudTrail management events", rot(365),
			cloudTrailKeyPolicy(a, "us-east-1", "management-events"), prod("security")),
		sym("us-east-1", "public-share", "Shared with everyone (misconfigured)", rot(365),
			policyText(rootStatement(a), useStatement("AllowEveryone", obj{"AWS": "*"}, nil)), dev("data-science")),
		sym("us-east-1", "open-caller-account", "Open principal pinned to the account", rot(365),
			policyText(rootStatement(a), useStatement("AllowAccountCallers", "*", obj{"StringEquals": obj{"kms:CallerAccount": a}})), prod("platform")),
		sym("us-east-1", "open-org", "Open principal pinned to the organisation", rot(365),
			policyText(rootStatement(a), useStatement("AllowOrg", obj{"AWS": "*"}, obj{"StringEquals": obj{"aws:PrincipalOrgID": DemoOrgID}})), prod("platform")),
		sym("us-east-1", "partner-exchange", "Files exchanged with partner 444455556666", rot(365),
			keyAdminsAndUsers(a, admins, app, useStatement("AllowPartnerAccount", obj{"AWS": "arn:aws:iam::" + DemoPartner + ":root"}, nil)), prod("partnerships")),
		sym("us-east-1", "notprincipal", "Allow with NotPrincipal (misconfigured)", rot(365),
			policyText(rootStatement(a), obj{"Sid": "AllowAllButGuest", "Effect": "Allow",
				"NotPrincipal": obj{"AWS": "arn:aws:iam::" + a + ":user/guest"}, "Action": "kms:*", "Resource": "*"}), dev("data-science")),
		sym("us-east-1", "no-root", "Policy without the account root (lockout risk)", rot(365),
			policyText(obj{"Sid": "OnlyTheAppRole", "Effect": "Allow", "Principal": obj{"AWS": roleARN("AppRole")},
				"Action": []string{"kms:Encrypt", "kms:Decrypt", "kms:GenerateDataKey*"}, "Resource": "*"}), prod("legacy")),
		sym("us-east-1", "via-s3-open", "Open through S3 without an account pin", rot(365),
			policyText(rootStatement(a), useStatement("AllowViaS3", obj{"AWS": "*"}, obj{"StringEquals": obj{"kms:ViaService": "s3.us-east-1.amazonaws.com"}})), prod("storage")),
		sym("us-east-1", "via-s3-pinned", "S3 access pinned to the account", rot(365),
			policyText(rootStatement(a), useStatement("AllowViaS3InAccount", obj{"AWS": "*"}, obj{"StringEquals": obj{
				"kms:ViaService": "s3.us-east-1.amazonaws.com", "kms:CallerAccount": a}})), prod("storage")),
		sym("us-east-1", "sod-violation", "One role both administers and uses the key", rot(365),
			keyAdminsAndUsers(a, []string{roleARN("AppAdminAndUser")}, []string{roleARN("AppAdminAndUser")}), prod("payments")),
		sym("us-east-1", "rotation-unreadable", "GetKeyRotationStatus denied", nil, def, prod("platform")),
		sym("us-east-1", "policy-unreadable", "GetKeyPolicy denied", rot(365), "", prod("platform")),
		sym("us-east-1", "grants-onward", "Grant passes on CreateGrant", rot(365), def, prod("payments")),
		sym("us-east-1", "grants-partner", "Grant to another account", rot(365), def, prod("partnerships")),
		sym("us-east-1", "batch-retired", "Retired batch key (30-day deletion window)", nil, def, dev("analytics")),
		sym("us-east-1", "old-reports", "Old reports key (7-day deletion window)", rot(365), def, dev("analytics")),
		sym("us-east-1", "disabled-legacy", "Disabled legacy key", rot(365), def, dev("legacy")),
	}
	byName := func(name string) *key {
		for _, k := range keys {
			if k.alias == "alias/"+name {
				return k
			}
		}
		panic(name)
	}
	byName("rotation-unreadable").rotationErr = "AccessDeniedException"
	byName("policy-unreadable").policyErr = "AccessDeniedException"
	byName("grants-onward").grants = []obj{{"GrantId": grantID("onward"), "Name": "app-onward",
		"CreationDate": cliTime(created.Add(days(30))), "GranteePrincipal": roleARN("AppRole"),
		"IssuingAccount": "arn:aws:iam::" + a + ":root",
		"Operations":     []string{"Encrypt", "Decrypt", "GenerateDataKey", "CreateGrant"}}}
	byName("grants-partner").grants = []obj{{"GrantId": grantID("partner"), "Name": "partner-ingest",
		"CreationDate": cliTime(created.Add(days(40))), "GranteePrincipal": "arn:aws:iam::" + DemoPartner + ":role/PartnerIngest",
		"RetiringPrincipal": "arn:aws:iam::" + DemoPartner + ":role/PartnerIngest", "IssuingAccount": "arn:aws:iam::" + a + ":root",
		"Operations": []string{"Decrypt", "DescribeKey"}}}
	for name, window := range map[string]int{"batch-retired": 30, "old-reports": 7} {
		k := byName(name)
		k.state, k.pendingWindow, k.rotation = "PendingDeletion", window, nil
		k.deletionDate = ptrTime(DemoTime().Add(days(window - 2)).Truncate(24 * time.Hour))
	}
	byName("disabled-legacy").state = "Disabled"

	// Key kinds that cannot rotate automatically.
	other := func(region, name, desc, spec, usage, origin string) *key {
		k := sym(region, name, desc, nil, def, prod("platform"))
		k.spec, k.usage, k.origin = spec, usage, origin
		return k
	}
	keys = append(keys,
		other("us-east-1", "code-signing-rsa", "Release signing", "RSA_3072", "SIGN_VERIFY", "AWS_KMS"),
		other("us-east-1", "jwt-signing-ecc", "Token signing", "ECC_NIST_P256", "SIGN_VERIFY", "AWS_KMS"),
		other("us-east-1", "envelope-rsa", "Client-side envelope encryption", "RSA_4096", "ENCRYPT_DECRYPT", "AWS_KMS"),
		other("us-east-1", "webhook-hmac", "Webhook signatures", "HMAC_256", "GENERATE_VERIFY_MAC", "AWS_KMS"),
		other("us-east-1", "byok-imported", "Imported key material (BYOK)", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "EXTERNAL"),
		other("us-east-1", "byok-awaiting-import", "Awaiting key material import", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "EXTERNAL"),
		other("us-east-1", "hsm-backed", "CloudHSM custom key store", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "AWS_CLOUDHSM"),
		other("eu-west-1", "xks-backed", "External key store (XKS)", "SYMMETRIC_DEFAULT", "ENCRYPT_DECRYPT", "EXTERNAL_KEY_STORE"),
	)
	byName("byok-imported").validTo = ptrTime(time.Date(2027, 3, 1, 0, 0, 0, 0, time.UTC))
	byName("byok-awaiting-import").state = "PendingImport"
	hsm := byName("hsm-backed")
	hsm.customKeyStore, hsm.hsmCluster = "cks-1234567890abcdef0", "cluster-1a23b4cdefg"
	xks := byName("xks-backed")
	xks.customKeyStore, xks.xksKeyID = "cks-0fedcba9876543210", "ext-key-3a7c"

	// Multi-region keys: a healthy primary with two replicas, and a primary
	// waiting for its replica's deletion.
	mrk := func(region, name string, mr *multiRegion, r *rotation) *key {
		k := sym(region, name, "Multi-Region "+name, r, def, prod("global"))
		k.id = keyID(name, true)
		k.alias = "alias/" + name
		k.mr = mr
		return k
	}
	global := &multiRegion{typ: "PRIMARY", primaryRegion: "us-east-1", replicas: []string{"eu-west-1", "ap-southeast-2"}}
	globalReplica := &multiRegion{typ: "REPLICA", primaryRegion: "us-east-1", replicas: []string{"eu-west-1", "ap-southeast-2"}}
	sunset := &multiRegion{typ: "PRIMARY", primaryRegion: "us-east-1", replicas: []string{"eu-west-1"}}
	sunsetReplica := &multiRegion{typ: "REPLICA", primaryRegion: "us-east-1", replicas: []string{"eu-west-1"}}
	keys = append(keys,
		mrk("us-east-1", "global-orders", global, rot(365)),
		mrk("eu-west-1", "global-orders", globalReplica, rot(365)),
		mrk("ap-southeast-2", "global-orders", globalReplica, rot(365)),
		mrk("us-east-1", "global-sunset", sunset, nil),
		mrk("eu-west-1", "global-sunset", sunsetReplica, nil),
	)
	for _, k := range keys {
		if k.mr != nil && k.id == keyID("global-sunset", true) {
			if k.mr.typ == "PRIMARY" {
				k.state, k.pendingWindow = "PendingReplicaDeletion", 30
			} else {
				k.state, k.pendingWindow = "PendingDeletion", 7
				k.deletionDate = ptrTime(DemoTime().Add(days(5)).Truncate(24 * time.Hour))
			}
		}
	}

	// Regional keys and AWS-managed keys.
	keys = append(keys,
		sym("eu-west-1", "eu-customer-data", "EU customer data", rot(365), keyAdminsAndUsers(a, admins, app), prod("payments")),
		sym("ap-southeast-2", "syd-app", "Sydney application data", nil, def, prod("apac")),
		sym("ap-southeast-2", "syd-backups", "Sydney backups", rot(180), def, prod("apac")),
	)
	managed := func(region, service, alias string, grants []obj) *key {
		return &key{region: region, id: keyID(region+alias, false), alias: "alias/" + alias, manager: "AWS", state: "Enabled",
			origin: "AWS_KMS", spec: "SYMMETRIC_DEFAULT", usage: "ENCRYPT_DECRYPT",
			description: "Default key that protects my " + service + " data when no other key is defined",
			created:     created.Add(-days(400)), rotation: rot(365), policy: awsManagedKeyPolicy(a, region, service), grants: grants}
	}
	ebsGrant := func(region, vol string) obj {
		return obj{"GrantId": grantID(region + vol), "Name": "", "CreationDate": cliTime(created.Add(days(3))),
			"GranteePrincipal": "arn:aws:sts::" + a + ":assumed-role/aws:ec2-infrastructure/" + vol,
			"IssuingAccount":   "arn:aws:iam::" + a + ":root",
			"Operations":       []string{"Decrypt", "Encrypt", "GenerateDataKeyWithoutPlaintext", "ReEncryptFrom", "ReEncryptTo", "CreateGrant", "DescribeKey"},
			"Constraints":      obj{"EncryptionContextSubset": obj{"aws:ebs:id": vol}}}
	}
	rdsGrant := obj{"GrantId": grantID("rds"), "Name": "", "CreationDate": cliTime(created.Add(days(5))),
		"GranteePrincipal": "rds.eu-west-1.amazonaws.com", "RetiringPrincipal": "rds.eu-west-1.amazonaws.com",
		"IssuingAccount": "arn:aws:iam::" + a + ":root",
		"Operations":     []string{"Decrypt", "GenerateDataKey", "CreateGrant", "RetireGrant", "DescribeKey"},
		"Constraints":    obj{"EncryptionContextSubset": obj{"aws:rds:db-id": "db-ABCDEFGHIJKLMNOPQRSTUVWXYZ"}}}
	keys = append(keys,
		managed("us-east-1", "S3", "aws/s3", nil),
		managed("us-east-1", "EBS", "aws/ebs", []obj{ebsGrant("us-east-1", "vol-0a1b2c3d4e5f60718")}),
		managed("eu-west-1", "RDS", "aws/rds", []obj{rdsGrant}),
		managed("ap-southeast-2", "EBS", "aws/ebs", []obj{ebsGrant("ap-southeast-2", "vol-0f1e2d3c4b5a69788")}),
	)
	for _, k := range keys {
		if k.manager == "AWS" {
			k.tags = nil
		}
	}
	return keys
}

func grantID(seed string) string {
	h := sha256.Sum256([]byte("grant" + seed))
	return fmt.Sprintf("%x", h[:32])
}

// Demo returns the demo snapshot's files.
func Demo() Files {
	f := Files{}
	a := DemoAccount
	f.put("account.json", obj{"UserId": "AROAEXAMPLEAUDITROLE:kmsguard", "Account": a,
		"Arn": "arn:aws:sts::" + a + ":assumed-role/KmsGuardAudit/kmsguard"})
	keys := demoKeys()
	for _, k := range keys {
		k.write(f, a)
	}
	for _, r := range []string{"us-east-1", "eu-west-1", "ap-southeast-2"} {
		writeAliases(f, a, r, keys)
	}
	f.put("iam/account-authorization-details.json", demoIAM())
	demoOrg(f)
	return f
}
