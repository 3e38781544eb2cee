package controls

import (
	"fmt"
	"sort"
	"strings"

	"github.com/kmsguard/kmsguard/internal/access"
	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/policy"
	"github.com/kmsguard/kmsguard/internal/severity"
)

func (f *iamkmsFamily) viaService() Control {
	return Control{
		ID:           "IAM-KMS-6",
		Title:        "Key policy statements that let AWS services or service roles use a key should be scoped with kms:ViaService",
		Severity:     severity.Medium,
		ResourceType: keyResourceType,
		Mappings:     Mappings{Guardrails: []string{"IAM-KMS-6"}, NIST80053: []string{"AC-6", "AC-3(7)"}},
		Rationale: "When a key is there for a service's encryption at rest, the principals that use it on the service's " +
			"behalf should be able to use it only through that service: kms:ViaService limits use to requests an AWS " +
			"service makes for them, so stolen role credentials cannot decrypt data directly. kmsguard reports every " +
			"Allow statement of a customer-managed key's policy that gives a cryptographic action (Encrypt, Decrypt, " +
			"ReEncrypt*, GenerateDataKey*, Sign, Verify, GenerateMac, VerifyMac, DeriveSharedSecret) or a grant action " +
			"(CreateGrant, ListGrants, RevokeGrant) to a service-integrated principal without scoping: a service-linked " +
			"role (role path /aws-service-role/), or a role of the account whose trust policy lets an AWS service assume " +
			"it, needs a kms:ViaService condition (for a statement with only grant actions, kms:GrantIsForAWSResource also " +
			"scopes it); an AWS service principal calls KMS itself, where kms:ViaService does not apply, so for it " +
			"kms:ViaService, aws:SourceArn, aws:SourceAccount or a kms:EncryptionContext: condition scopes it. A role " +
			"whose trust policy cannot be read makes the key UNKNOWN unless another statement already fails it.",
		Remediation: Remediation{
			Summary: "Add a kms:ViaService condition naming the services the principal uses the key through (for example s3.<region>.amazonaws.com), or a source condition for service principals.",
			Console: []string{
				"KMS console > Customer managed keys > the key > Key policy > Edit.",
				"In the statement named in the finding add \"Condition\": {\"StringEquals\": {\"kms:ViaService\": [\"<service>.<region>.amazonaws.com\"]}}.",
				"For a service principal add \"aws:SourceArn\" or \"aws:SourceAccount\" instead; review with `kmsguard access <key-id> --snapshot <dir>`.",
			},
			CLI: []string{
				"aws kms get-key-policy --key-id <key-id> --policy-name default --region <region> --output text",
				"aws kms put-key-policy --key-id <key-id> --policy-name default --policy file://key-policy.json --region <region>",
			},
		},
		References: []string{
			"https://docs.aws.amazon.com/kms/latest/developerguide/policy-conditions.html#conditions-kms-via-service",
			"https://docs.aws.amazon.com/kms/latest/developerguide/conditions-kms.html#conditions-kms-grant-is-for-aws-resource",
			"https://docs.aws.amazon.com/IAM/latest/UserGuide/using-service-linked-roles.html",
		},
		Check: func(cc CheckContext, acct *inventory.Account) []Finding {
			return checkViaService(f.analysis(cc, acct), acct)
		},
	}
}

// serviceRoles classifies the account's roles: name -> why it is a
// service-integrated role, or the read error of its trust policy.
type serviceRoles struct {
	why     map[string]string
	unknown map[string]string
}

func loadServiceRoles(acct *inventory.Account) serviceRoles {
	sr := serviceRoles{why: map[string]string{}, unknown: map[string]string{}}
	iam, rerr := acct.IAM.Get()
	if rerr != nil {
		return sr
	}
	for _, r := range iam.Roles {
		doc, rerr := r.TrustPolicy.Get()
		if rerr != nil {
			sr.unknown[r.ARN] = "trust policy of " + r.ARN + " could not be read: " + rerr.Error()
			continue
		}
		pol, err := policy.Parse([]byte(doc.Text))
		if err != nil {
			sr.unknown[r.ARN] = "trust policy of " + r.ARN + " does not parse: " + err.Error()
			continue
		}
		var services []string
		for _, st := range pol.Statements {
			if st.Effect == policy.Allow && st.Principals != nil && !st.NotPrincipal {
				services = append(services, st.Principals.Service...)
			}
		}
		if len(services) > 0 {
			sort.Strings(services)
			sr.why[r.ARN] = "its trust policy lets " + strings.Join(services, ", ") + " assume it"
		}
	}
	return sr
}

func grantActions() access.ActionSet {
	return access.Set("kms:CreateGrant", "kms:ListGrants", "kms:RevokeGrant")
}

func checkViaService(an *access.Analysis, acct *inventory.Account) []Finding {
	roles := loadServiceRoles(acct)
	crypto := access.CryptographicActions()
	return perKey(acct, func(k *inventory.Key) Finding {
		if na := keyApplies(k, false); na != nil {
			return *na
		}
		pol, why := an.KeyPolicy(k)
		if pol == nil {
			return Finding{Status: StatusUnknown, ResourceID: k.ARN, Region: k.Region, Reason: why}
		}
		var problems, unknown, scoped []string
		for i := range pol.Statements {
			st := &pol.Statements[i]
			if st.Effect != policy.Allow || st.Principals == nil || st.NotPrincipal {
				continue
			}
			acts := an.StatementActions(st)
			if acts&(crypto|grantActions()) == 0 {
				continue
			}
			has := conditionKeys(st)
			grantOnly := acts&crypto == 0
			roleScoped := has["kms:viaservice"] || (grantOnly && has["kms:grantisforawsresource"])
			svcScoped := roleScoped || has["aws:sourcearn"] || has["aws:sourceaccount"] || has["kms:encryptioncontext:"]
			ref := "statement " + st.Ref()
			for _, svc := range st.Principals.Service {
				if svcScoped {
					scoped = append(scoped, ref+": service principal "+svc+" is scoped by a condition")
				} else {
					problems = append(problems, fmt.Sprintf("%s lets the AWS service %s use the key with no kms:ViaService, aws:SourceArn, aws:SourceAccount or kms:EncryptionContext condition", ref, svc))
				}
			}
			for _, arn := range st.Principals.AWS {
				why := ""
				switch {
				case strings.Contains(arn, ":role/aws-service-role/"):
					why = "it is a service-linked role"
				case roles.why[arn] != "":
					why = roles.why[arn]
				case roles.unknown[arn] != "":
					if !roleScoped {
						unknown = append(unknown, roles.unknown[arn])
					}
					continue
				default:
					continue
				}
				if roleScoped {
					scoped = append(scoped, ref+": "+arn+" is scoped with kms:ViaService")
					continue
				}
				need := "kms:ViaService"
				if grantOnly {
					need += " or kms:GrantIsForAWSResource"
				}
				problems = append(problems, fmt.Sprintf("%s lets %s (%s) use the key (%s) without %s", ref, arn, why, shortActions(acts&(crypto|grantActions())), need))
			}
		}
		switch {
		case len(problems) > 0:
			return Fail(k.ARN, k.Region, fmt.Sprintf("%d key policy grant(s) of key usage to service-integrated principals lack kms:ViaService", len(problems)), problems...)
		case len(unknown) > 0:
			return Finding{Status: StatusUnknown, ResourceID: k.ARN, Region: k.Region, Reason: unknown[0], Evidence: unknown}
		}
		return Pass(k.ARN, k.Region, "no key policy statement gives key usage to a service-integrated principal without scoping", scoped...)
	})
}

// conditionKeys returns the statement's condition keys in lower case;
// kms:EncryptionContext:* keys are also recorded as "kms:encryptioncontext:".
func conditionKeys(st *policy.Statement) map[string]bool {
	out := map[string]bool{}
	for _, c := range st.Conditions {
		k := strings.ToLower(c.Key)
		out[k] = true
		if strings.HasPrefix(k, "kms:encryptioncontext:") {
			out["kms:encryptioncontext:"] = true
		}
	}
	return out
}

func shortActions(s access.ActionSet) string {
	acts := s.Actions()
	for i, a := range acts {
		acts[i] = strings.TrimPrefix(a, "kms:")
	}
	return strings.Join(acts, ", ")
}
