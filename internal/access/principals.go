package access

import (
	"fmt"
	"runtime"
	"sync"

	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/policy"
)

func (an *Analysis) loadPrincipals() {
	acct, part := an.acct.ID, an.acct.Partition
	root := &prin{Principal: Principal{ARN: "arn:" + part + ":iam::" + acct + ":root", Kind: KindRoot, Account: acct}, group: -1}
	root.rp = policy.RequestPrincipal{ID: root.ARN, Account: acct}
	root.ctx = an.principalContext(root.ARN, "Account", "", nil)
	an.add(root)
	iam, rerr := an.acct.IAM.Get()
	if rerr != nil {
		an.iamErr = rerr
		return
	}
	policies := make(map[string]*inventory.ManagedPolicy, len(iam.Policies))
	for _, mp := range iam.Policies {
		policies[mp.ARN] = mp
	}
	managed := map[string]*cdoc{}
	managedErr := map[string]string{}
	an.parseManaged(iam, policies, managed, managedErr)
	managedDoc := func(arn, via string) (*cdoc, string) {
		key := via + "\x00" + arn
		if d, ok := managed[key]; ok {
			return d, managedErr[key]
		}
		name := "managed policy " + arn
		if via != "" {
			name += " (via group " + via + ")"
		}
		var doc inventory.Fact[inventory.Document]
		if mp := policies[arn]; mp != nil {
			doc = mp.Default
		} else {
			doc = inventory.Unknown[inventory.Document](&inventory.ReadError{Call: "iam:GetAccountAuthorizationDetails", Code: inventory.CodeIncomplete, Message: arn + " is not in the Policies list"})
		}
		d, why := parseDoc(source{"identity policy", name}, doc, part, &an.actions)
		managed[key], managedErr[key] = d, why
		return d, why
	}
	addDocs := func(p *prin, pr *inventory.Principal, inlineKind, via string) {
		for _, ip := range pr.InlinePolicies {
			d, why := parseDoc(source{"identity policy", fmt.Sprintf("%s %q", inlineKind, ip.Name)}, ip.Document, part, &an.actions)
			p.addDoc(d, why)
		}
		for _, arn := range pr.AttachedPolicyARNs {
			p.addDoc(managedDoc(arn, via))
		}
	}
	groupDocs := map[string]*prin{}
	for _, g := range iam.Groups {
		gp := &prin{}
		addDocs(gp, &g.Principal, "inline policy of group "+g.Name, g.Name)
		groupDocs[g.Name] = gp
	}
	boundary := func(p *prin, arn string) {
		if arn == "" {
			return
		}
		p.hasBnd = true
		var doc inventory.Fact[inventory.Document]
		if mp := policies[arn]; mp != nil {
			doc = mp.Default
		} else {
			doc = inventory.Unknown[inventory.Document](&inventory.ReadError{Call: "iam:GetAccountAuthorizationDetails", Code: inventory.CodeIncomplete, Message: arn + " is not in the Policies list"})
		}
		d, why := parseDoc(source{"permissions boundary", "permissions boundary " + arn}, doc, part, &an.actions)
		if d == nil {
			p.unknown = append(p.unknown, why)
		}
		p.boundary = d
	}
	for _, u := range iam.Users {
		p := &prin{Principal: Principal{ARN: u.ARN, Kind: KindUser, Account: acct}, group: -1}
		p.rp = policy.RequestPrincipal{ID: u.ARN, Account: acct}
		p.ctx = an.principalContext(u.ARN, "User", u.Name, u.Tags)
		addDocs(p, &u.Principal, "inline user policy", "")
		for _, g := range u.Groups {
			gp := groupDocs[g]
			if gp == nil {
				p.unknown = append(p.unknown, "group "+g+" is not in GroupDetailList")
				continue
			}
			p.docs = append(p.docs, gp.docs...)
			p.unknown = append(p.unknown, gp.unknown...)
		}
		boundary(p, u.PermissionsBoundaryARN)
		an.add(p)
	}
	for _, r := range iam.Roles {
		p := &prin{Principal: Principal{ARN: r.ARN, Kind: KindRole, Account: acct,
			Sessions: "arn:" + part + ":sts::" + acct + ":assumed-role/" + r.Name + "/*"}, group: -1}
		p.rp = policy.RequestPrincipal{ID: r.ARN, Account: acct}
		p.ctx = an.principalContext(r.ARN, "AssumedRole", "", r.Tags)
		addDocs(p, &r.Principal, "inline role policy", "")
		boundary(p, r.PermissionsBoundaryARN)
		an.add(p)
	}
}

// parseManaged parses, in parallel, the managed policies attached to users
// and roles (group attachments are named after their group and parsed
// when first met).
func (an *Analysis) parseManaged(iam *inventory.IAM, policies map[string]*inventory.ManagedPolicy, managed map[string]*cdoc, why map[string]string) {
	seen := map[string]bool{}
	var arns []string
	addAll := func(list []string) {
		for _, a := range list {
			if !seen[a] && policies[a] != nil {
				seen[a] = true
				arns = append(arns, a)
			}
		}
	}
	for _, u := range iam.Users {
		addAll(u.AttachedPolicyARNs)
	}
	for _, r := range iam.Roles {
		addAll(r.AttachedPolicyARNs)
	}
	docs := make([]*cdoc, len(arns))
	whys := make([]string, len(arns))
	workers := runtime.GOMAXPROCS(0)
	var wg sync.WaitGroup
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			for i := w; i < len(arns); i += workers {
				docs[i], whys[i] = parseDoc(source{"identity policy", "managed policy " + arns[i]}, policies[arns[i]].Default, an.acct.Partition, &an.actions)
			}
		}()
	}
	wg.Wait()
	for i, a := range arns {
		managed["\x00"+a], why["\x00"+a] = docs[i], whys[i]
	}
}

func (p *prin) addDoc(d *cdoc, why string) {
	if d == nil {
		p.unknown = append(p.unknown, why)
		return
	}
	p.docs = append(p.docs, d)
}

func (an *Analysis) add(p *prin) {
	p.auth = an.opts.Authorised != nil && an.opts.Authorised(p.ARN)
	p.idx = len(an.prins)
	an.prins = append(an.prins, p)
	an.byARN[p.ARN] = p
}

func (an *Analysis) principalContext(arn, typ, username string, tags map[string]string) policy.Context {
	acct := an.acct.ID
	ctx := policy.Context{"aws:PrincipalArn": {arn}, "aws:PrincipalAccount": {acct}, "kms:CallerAccount": {acct},
		"aws:ResourceAccount": {acct}, "aws:PrincipalType": {typ}, "aws:PrincipalIsAWSService": {"false"}}
	if username != "" {
		ctx["aws:username"] = []string{username}
	}
	for k, v := range tags {
		ctx["aws:PrincipalTag/"+k] = []string{v}
	}
	return ctx
}
