package controls

import "github.com/kmsguard/kmsguard/internal/inventory"

// keyCoverageGaps returns one UNKNOWN finding per place where keys may
// exist that the account's inventory does not list: a region whose key
// listing failed (kms/<region>.error.json), and all other regions when the
// region list itself is unknown (regions.error.json, or an account that
// could not be read at all). Every key control gets them, so a key that
// was never seen is reported as unknown instead of silently passing.
func keyCoverageGaps(a *inventory.Account) []Finding {
	var out []Finding
	partition := a.Partition
	if partition == "" {
		partition = "aws"
	}
	if rerr := a.RegionsIncomplete; rerr != nil {
		out = append(out, Unknown("arn:"+partition+":kms:*:"+a.ID+":key/*", "",
			"the account's regions (and so keys outside the regions listed)", rerr))
	}
	for _, r := range a.Regions {
		if rerr := r.KeyListing.Reason(); rerr != nil {
			out = append(out, Unknown("arn:"+partition+":kms:"+r.Name+":"+a.ID+":key/*", r.Name,
				"the keys of region "+r.Name, rerr))
		}
	}
	return out
}
