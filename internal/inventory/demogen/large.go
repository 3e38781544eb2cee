package demogen

import (
	"fmt"
	"time"
)

// LargeSpec sizes a generated account.
type LargeSpec struct {
	Keys     int
	Roles    int
	Policies int // customer-managed policies
	Users    int
	Groups   int
}

// BenchmarkSpec() is the account of the performance target: 5,000
// keys, 10,000 roles and 30,000 policies.
func BenchmarkSpec() LargeSpec {
	return LargeSpec{Keys: 5000, Roles: 10000, Policies: 30000, Users: 1000, Groups: 100}
}

// Large generates a deterministic single-account snapshot of the given size
// with the same shapes as the demo: keys of every kind across three regions
// with policies, grants, tags and rotation status, and IAM principals whose
// inline and attached policies resemble real ones.
func Large(spec LargeSpec) Files {
	f := Files{}
	a := DemoAccount
	f.put("account.json", obj{"UserId": "AROAEXAMPLEAUDITROLE:kmsguard", "Account": a,
		"Arn": "arn:aws:sts::" + a + ":assumed-role/KmsGuardAudit/kmsguard"})
	regions := []string{"us-east-1", "eu-west-1", "ap-southeast-2"}
	created := time.Date(2024, 3, 1, 10, 20, 30, 123000000, time.UTC)
	keys := make([]*key, 0, spec.Keys)
	for i := range spec.Keys {
		k := largeKey(i, regions[i%len(regions)], created.Add(time.Duration(i)*time.Minute))
		k.write(f, a)
		keys = append(keys, k)
	}
	for _, r := range regions {
		writeAliases(f, a, r, keys)
	}
	f.put("iam/account-authorization-details.json", largeIAM(spec, keys))
	return f
}

func largeKey(i int, region string, created time.Time) *key {
	a := DemoAccount
	name := fmt.Sprintf("svc-%05d", i)
	k := &key{region: region, id: keyID("large"+name, false), alias: "alias/" + name, manager: "CUSTOMER",
		state: "Enabled", origin: "AWS_KMS", spec: "SYMMETRIC_DEFAULT", usage: "ENCRYPT_DECRYPT",
		description: "Service key " + name, created: created,
		rotation: &rotation{periodDays: 365, next: DemoTime().Add(days(i%365 + 1))},
		tags:     map[string]string{"environment": []string{"production", "dev", "staging"}[i%3], "owner": fmt.Sprintf("team-%02d", i%40)},
	}
	admins := []string{roleARN(fmt.Sprintf("svc-role-%05d", i%10000))}
	users := []string{roleARN(fmt.Sprintf("svc-role-%05d", (i*7)%10000)), roleARN(fmt.Sprintf("svc-role-%05d", (i*13)%10000))}
	k.policy = keyAdminsAndUsers(a, admins, users)
	switch i % 10 {
	case 1:
		k.rotation = nil
	case 2:
		k.spec, k.usage, k.rotation = "RSA_2048", "SIGN_VERIFY", nil
	case 3:
		k.spec, k.usage, k.rotation = "HMAC_256", "GENERATE_VERIFY_MAC", nil
	case 4:
		k.origin, k.rotation = "EXTERNAL", nil
	case 5:
		k.id = keyID("large"+name, true)
		k.mr = &multiRegion{typ: "PRIMARY", primaryRegion: region, replicas: []string{"eu-west-1"}}
	case 6:
		k.state, k.pendingWindow, k.rotation = "PendingDeletion", 30, nil
		k.deletionDate = ptrTime(DemoTime().Add(days(i%30 + 1)))
	case 7:
		k.policy = policyText(rootStatement(a), useStatement("AllowOrg", obj{"AWS": "*"}, obj{"StringEquals": obj{"aws:PrincipalOrgID": DemoOrgID}}))
	case 8:
		k.rotationErr = "AccessDeniedException"
	}
	if i%4 == 0 {
		k.grants = []obj{{"GrantId": grantID(name), "Name": "", "CreationDate": cliTime(created),
			"GranteePrincipal": users[0], "IssuingAccount": "arn:aws:iam::" + a + ":root",
			"Operations":  []string{"Encrypt", "Decrypt", "GenerateDataKey"},
			"Constraints": obj{"EncryptionContextSubset": obj{"service": name}}}}
	}
	return k
}

func largeIAM(spec LargeSpec, keys []*key) obj {
	a := DemoAccount
	at := cliTime(time.Date(2023, 6, 12, 8, 0, 0, 0, time.UTC))
	keyARN := func(i int) string {
		if len(keys) == 0 {
			return "*"
		}
		return keys[i%len(keys)].arn(a)
	}
	policyDoc := func(i int) obj {
		switch i % 6 {
		case 0:
			return iamDoc(allow([]string{"kms:Decrypt", "kms:GenerateDataKey"}, keyARN(i)))
		case 1:
			return iamDoc(allow([]string{"s3:GetObject", "s3:PutObject"}, fmt.Sprintf("arn:aws:s3:::bucket-%05d/*", i)),
				allow("kms:Decrypt", keyARN(i)))
		case 2:
			return iamDoc(allow([]string{"dynamodb:GetItem", "dynamodb:PutItem", "dynamodb:Query"},
				fmt.Sprintf("arn:aws:dynamodb:us-east-1:%s:table/table-%05d", a, i)))
		case 3:
			return iamDoc(allow("kms:Decrypt", "arn:aws:kms:*:"+a+":key/*"))
		case 4:
			return iamDoc(obj{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}, deny("kms:ScheduleKeyDeletion", "*"))
		default:
			return iamDoc(allow([]string{"sqs:SendMessage", "sqs:ReceiveMessage"}, fmt.Sprintf("arn:aws:sqs:eu-west-1:%s:queue-%05d", a, i)))
		}
	}
	policyName := func(i int) string { return fmt.Sprintf("svc-policy-%05d", i) }
	attachedTo := func(i int) []obj {
		var out []obj
		for j := range 3 {
			if spec.Policies == 0 {
				break
			}
			n := policyName((i*3 + j) % spec.Policies)
			out = append(out, obj{"PolicyName": n, "PolicyArn": policyARN(n)})
		}
		return out
	}
	roles := make([]obj, 0, spec.Roles)
	for i := range spec.Roles {
		name := fmt.Sprintf("svc-role-%05d", i)
		roles = append(roles, obj{"Path": "/service/", "RoleName": name, "RoleId": fmt.Sprintf("AROA%016d", i),
			"Arn": "arn:aws:iam::" + a + ":role/service/" + name, "CreateDate": at,
			"AssumeRolePolicyDocument": trust(obj{"Service": "ecs-tasks.amazonaws.com"}), "InstanceProfileList": []obj{},
			"RolePolicyList":          []obj{inline("inline-"+name, policyDoc(i*5+1))},
			"AttachedManagedPolicies": attachedTo(i), "Tags": []obj{{"Key": "owner", "Value": fmt.Sprintf("team-%02d", i%40)}},
			"RoleLastUsed": obj{"LastUsedDate": at, "Region": "us-east-1"}})
	}
	users := make([]obj, 0, spec.Users)
	for i := range spec.Users {
		name := fmt.Sprintf("user-%05d", i)
		users = append(users, obj{"Path": "/", "UserName": name, "UserId": fmt.Sprintf("AIDA%016d", i),
			"Arn": "arn:aws:iam::" + a + ":user/" + name, "CreateDate": at,
			"UserPolicyList": []obj{inline("inline-"+name, policyDoc(i))}, "GroupList": []string{fmt.Sprintf("group-%03d", i%max(spec.Groups, 1))},
			"AttachedManagedPolicies": attachedTo(i + spec.Roles), "Tags": []obj{}})
	}
	groups := make([]obj, 0, spec.Groups)
	for i := range spec.Groups {
		name := fmt.Sprintf("group-%03d", i)
		groups = append(groups, obj{"Path": "/", "GroupName": name, "GroupId": fmt.Sprintf("AGPA%016d", i),
			"Arn": "arn:aws:iam::" + a + ":group/" + name, "CreateDate": at,
			"GroupPolicyList": []obj{inline("inline-"+name, policyDoc(i+3))}, "AttachedManagedPolicies": attachedTo(i + 7)})
	}
	policies := make([]obj, 0, spec.Policies)
	for i := range spec.Policies {
		name := policyName(i)
		policies = append(policies, obj{"PolicyName": name, "PolicyId": fmt.Sprintf("ANPA%016d", i), "Arn": policyARN(name),
			"Path": "/", "DefaultVersionId": "v2", "AttachmentCount": 1, "PermissionsBoundaryUsageCount": 0, "IsAttachable": true,
			"CreateDate": at, "UpdateDate": at,
			"PolicyVersionList": []obj{
				{"Document": policyDoc(i), "VersionId": "v2", "IsDefaultVersion": true, "CreateDate": at},
				{"Document": policyDoc(i + 3), "VersionId": "v1", "IsDefaultVersion": false, "CreateDate": at},
			}})
	}
	return obj{"UserDetailList": users, "GroupDetailList": groups, "RoleDetailList": roles, "Policies": policies, "IsTruncated": false}
}
