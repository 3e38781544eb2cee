package access

import (
	"encoding/json"

	"github.com/kmsguard/kmsguard/internal/inventory"
)

// Builders for hand-written and random accounts.

const tAcct = "111122223333"

type obj = map[string]any

func doc(statements ...obj) inventory.Fact[inventory.Document] {
	b, err := json.Marshal(obj{"Version": "2012-10-17", "Statement": statements})
	if err != nil {
		panic(err)
	}
	return inventory.Known(inventory.Document{Text: string(b), Form: inventory.FormJSON})
}

func allow(action any, resource any) obj {
	return obj{"Effect": "Allow", "Action": action, "Resource": resource}
}

func deny(action any, resource any) obj {
	return obj{"Effect": "Deny", "Action": action, "Resource": resource}
}

func with(st obj, kv ...any) obj {
	out := obj{}
	for k, v := range st {
		out[k] = v
	}
	for i := 0; i+1 < len(kv); i += 2 {
		out[kv[i].(string)] = kv[i+1]
	}
	return out
}

func rootStmt() obj {
	return obj{"Sid": "EnableIAM", "Effect": "Allow", "Principal": obj{"AWS": "arn:aws:iam::" + tAcct + ":root"}, "Action": "kms:*", "Resource": "*"}
}

func roleARN(n string) string { return "arn:aws:iam::" + tAcct + ":role/" + n }
func userARN(n string) string { return "arn:aws:iam::" + tAcct + ":user/" + n }
func polARN(n string) string  { return "arn:aws:iam::" + tAcct + ":policy/" + n }

func tKey(id string, tags map[string]string, kp inventory.Fact[inventory.Document], grants ...inventory.Grant) *inventory.Key {
	k := &inventory.Key{ID: id, Region: "us-east-1", ARN: "arn:aws:kms:us-east-1:" + tAcct + ":key/" + id}
	k.Metadata = inventory.Known(inventory.KeyMetadata{AccountID: tAcct, Manager: inventory.ManagerCustomer, State: inventory.StateEnabled, Origin: inventory.OriginAWSKMS})
	if tags == nil {
		tags = map[string]string{}
	}
	k.Tags = inventory.Known(tags)
	k.Aliases = inventory.Known([]string{"alias/" + id})
	k.Grants = inventory.Known(grants)
	k.Policy = kp
	return k
}

type acctBuilder struct {
	a   *inventory.Account
	iam *inventory.IAM
}

func newAcct(keys ...*inventory.Key) *acctBuilder {
	iam := &inventory.IAM{}
	a := &inventory.Account{ID: tAcct, Partition: "aws", Keys: keys, IAM: inventory.Known(iam),
		SCPs: inventory.Known([]*inventory.SCP{}), OUPath: inventory.Known([]inventory.OrgNode{{ID: "r-1", Type: "ROOT"}, {ID: "ou-1", Type: "ORGANIZATIONAL_UNIT"}})}
	return &acctBuilder{a: a, iam: iam}
}

func inline(name string, d inventory.Fact[inventory.Document]) inventory.InlinePolicy {
	return inventory.InlinePolicy{Name: name, Document: d}
}

func (b *acctBuilder) role(name, boundary string, pols []inventory.InlinePolicy, managed ...string) *acctBuilder {
	r := &inventory.Role{Principal: inventory.Principal{ARN: roleARN(name), Name: name, Path: "/", InlinePolicies: pols, AttachedPolicyARNs: managed},
		TrustPolicy: doc(obj{"Effect": "Allow", "Principal": obj{"Service": "ec2.amazonaws.com"}, "Action": "sts:AssumeRole"}), PermissionsBoundaryARN: boundary}
	b.iam.Roles = append(b.iam.Roles, r)
	return b
}

func (b *acctBuilder) user(name, boundary string, groups []string, pols []inventory.InlinePolicy, managed ...string) *acctBuilder {
	u := &inventory.User{Principal: inventory.Principal{ARN: userARN(name), Name: name, Path: "/", InlinePolicies: pols, AttachedPolicyARNs: managed},
		Groups: groups, PermissionsBoundaryARN: boundary, Tags: map[string]string{"team": name}}
	b.iam.Users = append(b.iam.Users, u)
	return b
}

func (b *acctBuilder) group(name string, pols []inventory.InlinePolicy, managed ...string) *acctBuilder {
	b.iam.Groups = append(b.iam.Groups, &inventory.Group{Principal: inventory.Principal{ARN: "arn:aws:iam::" + tAcct + ":group/" + name, Name: name, Path: "/", InlinePolicies: pols, AttachedPolicyARNs: managed}})
	return b
}

func (b *acctBuilder) managed(name string, d inventory.Fact[inventory.Document]) *acctBuilder {
	b.iam.Policies = append(b.iam.Policies, &inventory.ManagedPolicy{ARN: polARN(name), Name: name, DefaultVersionID: "v1", Default: d})
	return b
}

func (b *acctBuilder) scp(id, target, targetType string, d inventory.Fact[inventory.Document]) *acctBuilder {
	scps, _ := b.a.SCPs.Get()
	dd, _ := d.Get()
	scps = append(scps, &inventory.SCP{ID: id, Name: id, Document: dd, Targets: []inventory.SCPTarget{{ID: target, Type: targetType}}})
	b.a.SCPs = inventory.Known(scps)
	return b
}
