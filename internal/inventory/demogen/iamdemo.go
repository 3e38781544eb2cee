package demogen

import (
	"encoding/json"
	"time"
)

// The demo's IAM: see docs/demo-snapshot.md for what each principal and
// policy is there to show.

func policyARN(name string) string { return "arn:aws:iam::" + DemoAccount + ":policy/" + name }

func inline(name string, doc obj) obj { return obj{"PolicyName": name, "PolicyDocument": doc} }

func attached(names ...string) []obj {
	out := []obj{}
	for _, n := range names {
		arn := policyARN(n)
		if n == "AdministratorAccess" || n == "ReadOnlyAccess" {
			arn = "arn:aws:iam::aws:policy/" + n
		}
		out = append(out, obj{"PolicyName": n, "PolicyArn": arn})
	}
	return out
}

func trust(principal obj) obj {
	return iamDoc(obj{"Effect": "Allow", "Principal": principal, "Action": "sts:AssumeRole"})
}

func demoIAM() obj {
	a := DemoAccount
	t0 := time.Date(2023, 6, 12, 8, 0, 0, 0, time.UTC)
	at := func(d int) string { return cliTime(t0.Add(days(d))) }
	keyARN := func(region, name string) string {
		return "arn:aws:kms:" + region + ":" + a + ":key/" + keyID(region+name, false)
	}
	payments := keyARN("us-east-1", "payments-data")
	kmsStar := iamDoc(allow("kms:*", "*"))
	decryptAccount := iamDoc(allow("kms:Decrypt", "arn:aws:kms:*:"+a+":key/*"))
	scoped := iamDoc(allow([]string{"kms:Decrypt", "kms:GenerateDataKey"}, payments))
	user := func(name, id string, d int, groups []string, pols []obj, att []obj, boundary string) obj {
		u := obj{"Path": "/", "UserName": name, "UserId": id, "Arn": "arn:aws:iam::" + a + ":user/" + name,
			"CreateDate": at(d), "UserPolicyList": pols, "GroupList": groups, "AttachedManagedPolicies": att,
			"Tags": []obj{{"Key": "team", "Value": "engineering"}}}
		if boundary != "" {
			u["PermissionsBoundary"] = obj{"PermissionsBoundaryType": "Policy", "PermissionsBoundaryArn": policyARN(boundary)}
		}
		return u
	}
	group := func(name, id string, pols []obj, att []obj) obj {
		return obj{"Path": "/", "GroupName": name, "GroupId": id, "Arn": "arn:aws:iam::" + a + ":group/" + name,
			"CreateDate": at(1), "GroupPolicyList": pols, "AttachedManagedPolicies": att}
	}
	role := func(name, id string, tr obj, pols []obj, att []obj) obj {
		return obj{"Path": "/", "RoleName": name, "RoleId": id, "Arn": roleARN(name), "CreateDate": at(2),
			"AssumeRolePolicyDocument": tr, "InstanceProfileList": []obj{}, "RolePolicyList": pols,
			"AttachedManagedPolicies": att, "Tags": []obj{},
			"RoleLastUsed": obj{"LastUsedDate": cliTime(DemoTime().Add(-days(3))), "Region": "us-east-1"}}
	}
	accountRoot := obj{"AWS": "arn:aws:iam::" + a + ":root"}
	policy := func(name, id string, attachments, boundaryUses int, versions ...obj) obj {
		arn := policyARN(name)
		defaultID := ""
		for _, v := range versions {
			if v["IsDefaultVersion"] == true {
				defaultID = v["VersionId"].(string)
			}
		}
		return obj{"PolicyName": name, "PolicyId": id, "Arn": arn, "Path": "/", "DefaultVersionId": defaultID,
			"AttachmentCount": attachments, "PermissionsBoundaryUsageCount": boundaryUses, "IsAttachable": true,
			"CreateDate": at(5), "UpdateDate": at(9), "PolicyVersionList": versions}
	}
	version := func(id string, isDefault bool, doc obj) obj {
		return obj{"Document": doc, "VersionId": id, "IsDefaultVersion": isDefault, "CreateDate": at(9)}
	}
	awsPolicy := func(name, id string, attachments int, doc obj) obj {
		p := policy(name, id, attachments, 0, version("v1", true, doc))
		p["Arn"] = "arn:aws:iam::aws:policy/" + name
		return p
	}
	adminActions := []string{"kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
		"kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion"}

	return obj{
		"UserDetailList": []obj{
			user("alice", "AIDAEXAMPLEALICE0001", 10, []string{"Developers"},
				[]obj{inline("DecryptPaymentsKey", scoped)}, attached(), ""),
			user("bob", "AIDAEXAMPLEBOB000002", 11, []string{}, nil, attached("KmsFullAccess"), ""),
			user("carol", "AIDAEXAMPLECAROL0003", 12, []string{},
				[]obj{inline("EverythingButIAM", iamDoc(obj{"Effect": "Allow", "NotAction": "iam:*", "Resource": "*"}))}, attached(), ""),
			user("dave", "AIDAEXAMPLEDAVE00004", 13, []string{},
				[]obj{inline("DecryptThenDenyAll", iamDoc(allow("kms:Decrypt", "*"), deny("kms:*", "*")))}, attached(), ""),
			user("erin", "AIDAEXAMPLEERIN00005", 14, []string{}, nil, attached("ReadOnlyAccess"), "BoundaryAllowDecrypt"),
			user("frank", "AIDAEXAMPLEFRANK0006", 15, []string{"KeyOperators"}, nil, attached(), ""),
		},
		"GroupDetailList": []obj{
			group("Developers", "AGPAEXAMPLEDEVS00001", nil, attached("DevKmsDecryptAccount")),
			group("KeyOperators", "AGPAEXAMPLEKEYOPS002", []obj{inline("KmsStar", kmsStar)}, attached()),
		},
		"RoleDetailList": []obj{
			role("KeyAdminBreakGlass", "AROAEXAMPLEBREAKGLAS", iamDoc(obj{"Effect": "Allow", "Principal": accountRoot,
				"Action": "sts:AssumeRole", "Condition": obj{"Bool": obj{"aws:MultiFactorAuthPresent": "true"}}}),
				nil, attached("AdministratorAccess")),
			role("KeyAdministrators", "AROAEXAMPLEKEYADMINS", trust(accountRoot), nil, attached("KmsKeyAdministration")),
			role("AppAdminAndUser", "AROAEXAMPLEADMINUSER", trust(obj{"Service": "ec2.amazonaws.com"}),
				[]obj{inline("UsePaymentsKey", scoped)}, attached("KmsKeyAdministration")),
			role("AppRole", "AROAEXAMPLEAPPROLE01", trust(obj{"Service": "ecs-tasks.amazonaws.com"}), nil, attached("ScopedPaymentsDecrypt")),
			role("ReportsLambda", "AROAEXAMPLEREPORTSFN", trust(obj{"Service": "lambda.amazonaws.com"}), nil, attached("ReportsKeyAccess")),
			role("KmsGuardAudit", "AROAEXAMPLEAUDITROLE", trust(accountRoot), nil, attached("ReadOnlyAccess")),
		},
		"Policies": []obj{
			policy("KmsFullAccess", "ANPAEXAMPLEKMSFULL01", 1, 0, version("v1", true, kmsStar)),
			policy("DevKmsDecryptAccount", "ANPAEXAMPLEDEVDECR02", 1, 0, version("v1", true, decryptAccount)),
			policy("BoundaryAllowDecrypt", "ANPAEXAMPLEBOUNDARY3", 0, 1, version("v1", true, iamDoc(allow([]string{"kms:Decrypt", "s3:GetObject"}, "*")))),
			policy("ReportsKeyAccess", "ANPAEXAMPLEVERSIONS4", 1, 0,
				version("v2", true, scoped), version("v1", false, kmsStar)),
			policy("UnattachedKmsAdmin", "ANPAEXAMPLEUNATTACH5", 0, 0, version("v1", true, iamDoc(allow("kms:*", "*")))),
			policy("KmsKeyAdministration", "ANPAEXAMPLEKEYADMIN6", 2, 0, version("v1", true, iamDoc(allow(adminActions, "*")))),
			policy("ScopedPaymentsDecrypt", "ANPAEXAMPLESCOPED007", 1, 0, version("v1", true, scoped)),
			awsPolicy("AdministratorAccess", "ANPAIWMBCKSKIEE64ZLYK", 1, iamDoc(allow("*", "*"))),
			awsPolicy("ReadOnlyAccess", "ANPAILL3HVNFSB6DCOWYQ", 2, iamDoc(allow([]string{"kms:Describe*", "kms:Get*", "kms:List*", "iam:Get*", "iam:List*", "s3:Get*", "s3:List*"}, "*"))),
		},
	}
}

// demoOrg writes the organisation files: an SCP protecting keys from
// deletion on the production OU, FullAWSAccess on the root, and the path.
func demoOrg(f Files) {
	a := DemoAccount
	org := DemoOrgID
	master := "999988887777"
	scp := func(id, name, desc string, managed bool, doc obj, targets ...obj) {
		content := mustJSON(doc)
		f.put("organizations/policies/"+id+".json", obj{"Policy": obj{
			"PolicySummary": obj{"Id": id, "Arn": "arn:aws:organizations::" + master + ":policy/" + org + "/service_control_policy/" + id,
				"Name": name, "Description": desc, "Type": "SERVICE_CONTROL_POLICY", "AwsManaged": managed},
			"Content": content}})
		f.put("organizations/targets/"+id+".json", obj{"Targets": targets})
	}
	scp("p-FullAWSAccess", "FullAWSAccess", "Allows access to every operation", true, iamDoc(allow("*", "*")),
		obj{"TargetId": demoRoot, "Arn": "arn:aws:organizations::" + master + ":root/" + org + "/" + demoRoot, "Name": "Root", "Type": "ROOT"})
	scp("p-kmsdel0001", "DenyKmsKeyDeletion", "Only the break-glass role may schedule deletion of production KMS keys", false,
		iamDoc(obj{"Sid": "DenyKeyDeletion", "Effect": "Deny", "Action": []string{"kms:ScheduleKeyDeletion"}, "Resource": "*",
			"Condition": obj{"ArnNotLike": obj{"aws:PrincipalArn": "arn:aws:iam::*:role/KeyAdminBreakGlass"},
				"StringEquals": obj{"aws:ResourceTag/environment": "production"}}}),
		obj{"TargetId": demoProductionOU, "Arn": "arn:aws:organizations::" + master + ":ou/" + org + "/" + demoProductionOU, "Name": "Production", "Type": "ORGANIZATIONAL_UNIT"})
	f.put("organizations/accounts.json", obj{"Accounts": []obj{
		{"Id": master, "Arn": "arn:aws:organizations::" + master + ":account/" + org + "/" + master, "Email": "aws-management@example.com",
			"Name": "management", "Status": "ACTIVE", "JoinedMethod": "INVITED", "JoinedTimestamp": cliTime(time.Date(2021, 1, 4, 9, 0, 0, 0, time.UTC))},
		{"Id": a, "Arn": "arn:aws:organizations::" + master + ":account/" + org + "/" + a, "Email": "aws-payments-prod@example.com",
			"Name": "payments-prod", "Status": "ACTIVE", "JoinedMethod": "CREATED", "JoinedTimestamp": cliTime(time.Date(2022, 5, 9, 9, 0, 0, 0, time.UTC))},
	}})
	f.put("organizations/parents/"+a+".json", obj{"Parents": []obj{{"Id": demoProductionOU, "Type": "ORGANIZATIONAL_UNIT"}}})
	f.put("organizations/parents/"+demoProductionOU+".json", obj{"Parents": []obj{{"Id": demoRoot, "Type": "ROOT"}}})
}

// mustJSON renders doc as compact JSON text, as Organizations returns SCP content.
func mustJSON(doc obj) string {
	b, err := json.Marshal(doc)
	if err != nil {
		panic(err)
	}
	return string(b)
}
