package demogen

import "fmt"

// Key policy statements used by the demo and the large generator.

func rootStatement(account string) obj {
	return obj{"Sid": "Enable IAM User Permissions", "Effect": "Allow",
		"Principal": obj{"AWS": "arn:aws:iam::" + account + ":root"}, "Action": "kms:*", "Resource": "*"}
}

// defaultKeyPolicy is the policy KMS gives a key created without one.
func defaultKeyPolicy(account string) string {
	return policyText(rootStatement(account))
}

// keyAdminsAndUsers is the console's default policy with administrators and users.
func keyAdminsAndUsers(account string, admins, users []string, extra ...obj) string {
	st := []obj{rootStatement(account),
		{"Sid": "Allow access for Key Administrators", "Effect": "Allow", "Principal": obj{"AWS": admins},
			"Action": []string{"kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
				"kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource", "kms:UntagResource",
				"kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion", "kms:RotateKeyOnDemand"},
			"Resource": "*"},
		{"Sid": "Allow use of the key", "Effect": "Allow", "Principal": obj{"AWS": users},
			"Action":   []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"},
			"Resource": "*"},
		{"Sid": "Allow attachment of persistent resources", "Effect": "Allow", "Principal": obj{"AWS": users},
			"Action": []string{"kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant"}, "Resource": "*",
			"Condition": obj{"Bool": obj{"kms:GrantIsForAWSResource": "true"}}},
	}
	return policyText(append(st, extra...)...)
}

// cloudTrailKeyPolicy is the policy CloudTrail's console creates for a trail's key.
func cloudTrailKeyPolicy(account, region, trail string) string {
	ctx := obj{"kms:EncryptionContext:aws:cloudtrail:arn": "arn:aws:cloudtrail:*:" + account + ":trail/*"}
	return policyText(rootStatement(account),
		obj{"Sid": "Allow CloudTrail to encrypt logs", "Effect": "Allow", "Principal": obj{"Service": "cloudtrail.amazonaws.com"},
			"Action": "kms:GenerateDataKey*", "Resource": "*",
			"Condition": obj{"StringEquals": obj{"aws:SourceArn": fmt.Sprintf("arn:aws:cloudtrail:%s:%s:trail/%s", region, account, trail)},
				"StringLike": ctx}},
		obj{"Sid": "Allow CloudTrail to describe key", "Effect": "Allow", "Principal": obj{"Service": "cloudtrail.amazonaws.com"},
			"Action": "kms:DescribeKey", "Resource": "*"},
		obj{"Sid": "Allow principals in the account to decrypt log files", "Effect": "Allow", "Principal": obj{"AWS": "*"},
			"Action": []string{"kms:Decrypt", "kms:ReEncryptFrom"}, "Resource": "*",
			"Condition": obj{"StringEquals": obj{"kms:CallerAccount": account}, "StringLike": ctx}},
		obj{"Sid": "Allow alias creation during setup", "Effect": "Allow", "Principal": obj{"AWS": "*"},
			"Action": "kms:CreateAlias", "Resource": "*",
			"Condition": obj{"StringEquals": obj{"kms:ViaService": "ec2." + region + ".amazonaws.com", "kms:CallerAccount": account}}},
		obj{"Sid": "Enable cross account log decryption", "Effect": "Allow", "Principal": obj{"AWS": "*"},
			"Action": []string{"kms:Decrypt", "kms:ReEncryptFrom"}, "Resource": "*",
			"Condition": obj{"StringEquals": obj{"kms:CallerAccount": account}, "StringLike": ctx}},
	)
}

// awsManagedKeyPolicy is the policy of an AWS-managed key such as aws/ebs.
func awsManagedKeyPolicy(account, region, service string) string {
	return policyText(
		obj{"Sid": "Allow access through " + service + " for all principals in the account that are authorized to use " + service,
			"Effect": "Allow", "Principal": obj{"AWS": "*"},
			"Action":   []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:CreateGrant", "kms:DescribeKey"},
			"Resource": "*",
			"Condition": obj{"StringEquals": obj{"kms:CallerAccount": account,
				"kms:ViaService": service + "." + region + ".amazonaws.com"}}},
		obj{"Sid": "Allow direct access to key metadata to the account", "Effect": "Allow",
			"Principal": obj{"AWS": "arn:aws:iam::" + account + ":root"},
			"Action":    []string{"kms:Describe*", "kms:Get*", "kms:List*", "kms:RevokeGrant"}, "Resource": "*"},
	)
}

// useStatement lets principal use the key for encryption.
func useStatement(sid string, principal any, cond obj) obj {
	s := obj{"Sid": sid, "Effect": "Allow", "Principal": principal,
		"Action":   []string{"kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:DescribeKey"},
		"Resource": "*"}
	if cond != nil {
		s["Condition"] = cond
	}
	return s
}

// deletionProtection is an explicit Deny of scheduling deletion for everyone
// but the break-glass role.
func deletionProtection(breakGlassARN string) obj {
	return obj{"Sid": "DenyKeyDeletionExceptBreakGlass", "Effect": "Deny", "Principal": obj{"AWS": "*"},
		"Action": []string{"kms:ScheduleKeyDeletion", "kms:DisableKey"}, "Resource": "*",
		"Condition": obj{"ArnNotEquals": obj{"aws:PrincipalArn": breakGlassARN}}}
}
