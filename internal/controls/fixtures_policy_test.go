package controls

import (
	"github.com/kmsguard/kmsguard/internal/guardrails"
	"github.com/kmsguard/kmsguard/internal/inventory"
)

// Builders for the fixtures of the policy controls (KMS.1, KMS.2,
// KMSGUARD-IAM-1, KMS.5, IAM-KMS-1, deletion protection, cross-account and
// lockout).

const fxRoot = "arn:aws:iam::" + fxAccount + ":root"

// doc is a policy document with the statements (JSON object texts).
func doc(statements ...string) string {
	out := `{"Version":"2012-10-17","Statement":[`
	for i, s := range statements {
		if i > 0 {
			out += ","
		}
		out += s
	}
	return out + "]}"
}

func keyPolicyOf(text string) keyOpt {
	return func(k *inventory.Key, _ *inventory.KeyMetadata) {
		k.Policy = inventory.Known(inventory.Document{Text: text, Form: inventory.FormJSON})
	}
}

func keyPolicyUnknown() keyOpt {
	return func(k *inventory.Key, _ *inventory.KeyMetadata) {
		k.Policy = inventory.Unknown[inventory.Document](accessDenied("kms:GetKeyPolicy"))
	}
}

func tags(kv ...string) keyOpt {
	return func(k *inventory.Key, _ *inventory.KeyMetadata) {
		m := map[string]string{}
		for i := 0; i+1 < len(kv); i += 2 {
			m[kv[i]] = kv[i+1]
		}
		k.Tags = inventory.Known(m)
	}
}

// rootStmt is the key policy's default "Enable IAM User Permissions".
const rootStmt = `{"Sid":"Root","Effect":"Allow","Principal":{"AWS":"` + fxRoot + `"},"Action":"kms:*","Resource":"*"}`

func useStmt(sid, principal, condition string) string {
	s := `{"Sid":"` + sid + `","Effect":"Allow","Principal":` + principal + `,"Action":["kms:Decrypt","kms:Encrypt"],"Resource":"*"`
	if condition != "" {
		s += `,"Condition":` + condition
	}
	return s + "}"
}

// cloudTrailDefault is the key policy CloudTrail's console creates for a
// trail's key (docs: create-kms-key-policy-for-cloudtrail).
func cloudTrailDefault() string {
	ctx := `"kms:EncryptionContext:aws:cloudtrail:arn":"arn:aws:cloudtrail:*:` + fxAccount + `:trail/*"`
	return doc(rootStmt,
		`{"Sid":"Allow CloudTrail to encrypt logs","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:GenerateDataKey*","Resource":"*",
		  "Condition":{"StringEquals":{"aws:SourceArn":"arn:aws:cloudtrail:us-east-1:`+fxAccount+`:trail/main"},"StringLike":{`+ctx+`}}}`,
		`{"Sid":"Allow CloudTrail to describe key","Effect":"Allow","Principal":{"Service":"cloudtrail.amazonaws.com"},"Action":"kms:DescribeKey","Resource":"*"}`,
		`{"Sid":"Allow principals in the account to decrypt log files","Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Decrypt","kms:ReEncryptFrom"],"Resource":"*",
		  "Condition":{"StringEquals":{"kms:CallerAccount":"`+fxAccount+`"},"StringLike":{`+ctx+`}}}`,
		`{"Sid":"Allow alias creation during setup","Effect":"Allow","Principal":{"AWS":"*"},"Action":"kms:CreateAlias","Resource":"*",
		  "Condition":{"StringEquals":{"kms:ViaService":"ec2.us-east-1.amazonaws.com","kms:CallerAccount":"`+fxAccount+`"}}}`,
		`{"Sid":"Enable cross account log decryption","Effect":"Allow","Principal":{"AWS":"*"},"Action":["kms:Decrypt","kms:ReEncryptFrom"],"Resource":"*",
		  "Condition":{"StringEquals":{"kms:CallerAccount":"`+fxAccount+`"},"StringLike":{`+ctx+`}}}`)
}

// iamAcct is an account with IAM details and no keys.
func iamAcct(iam *inventory.IAM, keys ...*inventory.Key) *inventory.Account {
	a := fxAccountOf(keys...)
	a.IAM = inventory.Known(iam)
	return a
}

func managed(name, text string, attachedTo ...string) *inventory.ManagedPolicy {
	return &inventory.ManagedPolicy{ARN: "arn:aws:iam::" + fxAccount + ":policy/" + name, Name: name, DefaultVersionID: "v1",
		AttachmentCount: len(attachedTo), AttachedToRoles: attachedTo,
		Default: inventory.Known(inventory.Document{Text: text, Form: inventory.FormJSON})}
}

func principal(kind, name string, inline ...inventory.InlinePolicy) inventory.Principal {
	return inventory.Principal{ARN: "arn:aws:iam::" + fxAccount + ":" + kind + "/" + name, Name: name, InlinePolicies: inline}
}

func inlineDoc(name, text string) inventory.InlinePolicy {
	return inventory.InlinePolicy{Name: name, Document: inventory.Known(inventory.Document{Text: text, Form: inventory.FormJSON})}
}

func allowStmt(action, resource string) string {
	return `{"Effect":"Allow","Action":"` + action + `","Resource":` + resource + `}`
}

// guardrailKeyPolicy is the default root statement plus the generated
// deletion-protection statement.
func guardrailKeyPolicy(lock bool) string {
	st, err := guardrails.DeletionProtection([]string{"arn:aws:iam::" + fxAccount + ":role/BreakGlass"}, lock)
	if err != nil {
		panic(err)
	}
	d := guardrails.Document{Version: "2012-10-17", Statement: []guardrails.Statement{guardrails.RootAccess("aws", fxAccount), st}}
	return string(d.Pretty())
}

// generatedSCPs are guardrails.SCPs for production-tagged keys, attached to
// the organisation root.
func generatedSCPs() []*inventory.SCP {
	scps, err := guardrails.SCPs(guardrails.Options{AuthorizedPrincipals: []string{"arn:aws:iam::*:role/BreakGlass"},
		ProtectedTags: map[string]string{"environment": "production"}})
	if err != nil {
		panic(err)
	}
	var out []*inventory.SCP
	for i, s := range scps {
		id := "p-gen" + string(rune('0'+i))
		out = append(out, &inventory.SCP{ID: id, Name: s.Name,
			ARN:      "arn:aws:organizations::999988887777:policy/o-abc/service_control_policy/" + id,
			Document: inventory.Document{Text: string(s.Document.Minified()), Form: inventory.FormJSON},
			Targets:  []inventory.SCPTarget{{ID: "r-root", Type: inventory.TargetRoot}}})
	}
	return out
}

func withSCPs(a *inventory.Account, path []inventory.OrgNode, scps ...*inventory.SCP) *inventory.Account {
	a.SCPs = inventory.Known(scps)
	if path != nil {
		a.OUPath = inventory.Known(path)
	} else {
		a.OUPath = inventory.Unknown[[]inventory.OrgNode](accessDenied("organizations:ListParents"))
	}
	return a
}

func scp(id string, target inventory.SCPTarget, statements ...string) *inventory.SCP {
	return &inventory.SCP{ID: id, Name: id, ARN: "arn:aws:organizations::999988887777:policy/o-abc/service_control_policy/" + id,
		Document: inventory.DocumentFromString(doc(statements...)), Targets: []inventory.SCPTarget{target}}
}
