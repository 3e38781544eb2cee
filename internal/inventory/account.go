package inventory

import (
	"slices"
	"strings"
)

// Account is everything kmsguard knows about one AWS account.
type Account struct {
	// ID is the 12-digit account id: from sts get-caller-identity, else the
	// organisation snapshot directory name, else the first key or IAM ARN. It
	// is empty only when none of these could be read (a load problem says so).
	ID string
	// Partition is "aws", "aws-cn" or "aws-us-gov" (from the caller ARN or key
	// ARNs; "aws" when nothing says otherwise).
	Partition string
	// Name is the account name from organizations list-accounts, if collected.
	Name string
	// Caller is the identity the snapshot was taken with.
	Caller Fact[CallerIdentity]

	// Regions lists the KMS regions in the snapshot, sorted by name.
	Regions []*Region
	// RegionsIncomplete is nil when Regions is every region that was meant
	// to be read. It says why not when the region list could not be read
	// (regions.error.json: EC2 DescribeRegions failed and only the home
	// region was read) or the account could not be read at all
	// (accounts/<id>.error.json); keys may then exist in regions not
	// listed. It is a pointer rather than a Fact so that an Account built
	// by other sources (fixtures, IaC) is complete by default.
	RegionsIncomplete *ReadError
	// Keys lists every key in every region, sorted by region then key id.
	Keys []*Key

	// IAM is the account authorization details: unknown as a whole when the
	// one call that provides it failed.
	IAM Fact[*IAM]

	// SCPs are the service control policies of the organisation with their
	// targets (all of them, not only those that apply here; see ApplicableSCPs).
	SCPs Fact[[]*SCP]
	// OUPath is the chain from the organisation root down to the account's
	// parent OU (root first), from organizations list-parents.
	OUPath Fact[[]OrgNode]
}

// CallerIdentity is sts get-caller-identity.
type CallerIdentity struct {
	UserID  string
	Account string
	ARN     string
}

// Region is the per-region KMS inventory that is not per key.
type Region struct {
	Name string
	// Aliases is kms list-aliases for the region (including aliases of
	// AWS-managed keys and aliases without a target).
	Aliases Fact[[]Alias]
	// KeyListing is known when the region's keys were listed; unknown (with
	// the ListKeys error) when the snapshot has kms/<region>.error.json, in
	// which case the region's keys and aliases are unknown.
	KeyListing Fact[struct{}]
}

// Alias is one entry of kms list-aliases.
type Alias struct {
	Name        string // alias/...
	ARN         string
	TargetKeyID string // empty for an alias without a target
}

// OrgNode is one step of an OU path.
type OrgNode struct {
	ID   string
	Type string // ROOT or ORGANIZATIONAL_UNIT
}

// Key looks up a key by ARN, key id or alias name ("alias/x") in region
// (region may be empty for an ARN). It returns nil when there is none.
func (a *Account) Key(region, ref string) *Key {
	for _, k := range a.Keys {
		if k.ARN == ref || (k.Region == region && k.ID == ref) {
			return k
		}
		if strings.HasPrefix(ref, "alias/") && k.Region == region {
			if names, err := k.Aliases.Get(); err == nil && slices.Contains(names, ref) {
				return k
			}
		}
	}
	return nil
}

// ApplicableSCPs returns the SCPs attached to the organisation root, to an OU
// on the account's path, or to the account itself. It is unknown when the SCPs
// are, and also when an SCP targets an OU while the OU path is unknown (the
// answer would then depend on a fact we do not have).
func (a *Account) ApplicableSCPs() Fact[[]*SCP] {
	scps, rerr := a.SCPs.Get()
	if rerr != nil {
		return Unknown[[]*SCP](rerr)
	}
	path, pathErr := a.OUPath.Get()
	onPath := map[string]bool{a.ID: true}
	for _, n := range path {
		onPath[n.ID] = true
	}
	var out []*SCP
	for _, p := range scps {
		applies := false
		for _, t := range p.Targets {
			switch t.Type {
			case TargetAccount:
				applies = applies || t.ID == a.ID
			case TargetRoot:
				// An organisation has a single root: every account is under it.
				applies = true
			default: // TargetOU
				if pathErr != nil {
					return Unknown[[]*SCP](pathErr)
				}
				applies = applies || onPath[t.ID]
			}
		}
		if applies {
			out = append(out, p)
		}
	}
	return Known(out)
}
