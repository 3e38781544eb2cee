package controls

import (
	"errors"
	"fmt"
	"sort"
	"time"

	"github.com/kmsguard/kmsguard/internal/config"
	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/policy"
)

// Result is the outcome of running a catalogue over accounts.
type Result struct {
	Findings []Finding
	// ExpiredSuppressions matched a finding but are past their expiry, so
	// they no longer apply; reports list them so they are renewed or removed.
	ExpiredSuppressions []*config.Suppression
	// Disabled lists the ids of controls the configuration turned off.
	Disabled []string
}

// Run evaluates every enabled control of cat on every account. It fills each
// finding's metadata from its control (with the configured severity
// override), applies active suppressions and collects expired ones.
// Findings are ordered by control (catalogue order), account, resource.
func Run(cc CheckContext, cat []Control, accts []*inventory.Account) Result {
	if cc.Config == nil {
		cc.Config = config.Default()
	}
	if cc.Analyzer == nil {
		cc.Analyzer = policy.NewAnalyzer(policy.DefaultMaxStates)
	}
	if cc.Now.IsZero() {
		cc.Now = time.Now().UTC()
	}
	var res Result
	seenExpired := map[*config.Suppression]bool{}
	for i := range cat {
		c := &cat[i]
		if !cc.Config.Enabled(c.ID) {
			res.Disabled = append(res.Disabled, c.ID)
			continue
		}
		sev := cc.Config.SeverityFor(c.ID, c.Severity)
		var fs []Finding
		for _, a := range accts {
			found := c.Check(cc, a)
			if c.ResourceType == keyResourceType {
				found = append(found, keyCoverageGaps(a)...)
			}
			for _, f := range found {
				f.ControlID, f.Title, f.Severity, f.Control = c.ID, c.Title, sev, c
				if f.ResourceType == "" {
					f.ResourceType = c.ResourceType
				}
				if f.AccountID == "" {
					f.AccountID = a.ID
				}
				active, expired := cc.Config.Suppress(c.ID, f.ResourceID, cc.Now)
				if active != nil {
					f.Suppressed = &Suppression{Reason: active.Reason, Expires: active.Expires}
				}
				for _, s := range expired {
					if !seenExpired[s] {
						seenExpired[s] = true
						res.ExpiredSuppressions = append(res.ExpiredSuppressions, s)
					}
				}
				fs = append(fs, f)
			}
		}
		sort.SliceStable(fs, func(i, j int) bool {
			if fs[i].AccountID != fs[j].AccountID {
				return fs[i].AccountID < fs[j].AccountID
			}
			return fs[i].ResourceID < fs[j].ResourceID
		})
		res.Findings = append(res.Findings, fs...)
	}
	return res
}

// ValidateConfig reports control ids named in the configuration that are not
// in the catalogue (a typo there would silently do nothing).
func ValidateConfig(cfg *config.Config, cat []Control) error {
	known := map[string]bool{}
	for _, c := range cat {
		known[c.ID] = true
	}
	var errs []error
	for _, r := range cfg.ControlRefs() {
		if !known[r.ID] {
			errs = append(errs, fmt.Errorf("line %d: %s: unknown control %q (see `kmsguard controls`)", r.Line, r.Where, r.ID))
		}
	}
	return errors.Join(errs...)
}
