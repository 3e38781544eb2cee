package inventory

import (
	"io/fs"
	"path"
	"slices"
	"strings"
)

// Error files that stand for a whole directory (docs/snapshot-format.md,
// "Failed and missing calls"): kms/<region>.error.json is read in
// loadAccount, organizations/policies.error.json in loadOrg, and
// accounts/<id>.error.json here.

// regionNames lists the regions under kms/: each directory, and each
// <region>.error.json of a region whose key listing failed, sorted.
func regionNames(entries []fs.DirEntry) []string {
	var names []string
	for _, e := range entries {
		switch name := e.Name(); {
		case e.IsDir():
			names = append(names, name)
		case strings.HasSuffix(name, ".error.json"):
			names = append(names, strings.TrimSuffix(name, ".error.json"))
		}
	}
	slices.Sort(names)
	return slices.Compact(names)
}

// unreachableAccount stands for accounts/<id>.error.json: the account could
// not be read at all (in organisation mode, its role could not be assumed).
// It is kept as an account whose every fact is unknown with that reason, so
// reports show it as UNKNOWN instead of leaving it out, and it is reported
// as a load problem naming the account.
func unreachableAccount(l *loader, id string, o *org) *Account {
	file := path.Join("accounts", id+".error.json")
	rerr, _ := readErrorFile(l.fsys, file, "sts:AssumeRole", l.report)
	if rerr == nil {
		rerr = &ReadError{Call: "sts:AssumeRole", File: file, Code: CodeNotCollected}
	}
	l.report(Problem{File: file, Reason: "account " + id + " was not collected: " + rerr.Code + ": " + rerr.Message})
	a := &Account{
		ID: id, Partition: "aws", Name: o.accountNames[id],
		Caller:            Unknown[CallerIdentity](rerr),
		IAM:               Unknown[*IAM](rerr),
		RegionsIncomplete: rerr,
		SCPs:              o.scps,
	}
	a.OUPath = o.ouPath(l, id)
	return a
}
