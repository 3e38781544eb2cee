// Package enrich adds what the inventory knows to an alert: for each KMS
// key it names, the aliases, the environment and owner tags, the manager,
// state, rotation and multi-region role; for the actor, whether the
// allowlist authorises it. It raises the severity of alerts on production
// keys and of alerts by actors the allowlist does not name (see Rules).
//
// The inventory can be swapped at any time (a live collect refreshed on an
// interval), so an Enricher is safe for concurrent use.
package enrich

import (
	"fmt"
	"maps"
	"slices"
	"strings"
	"sync"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/inventory"
)

// Rules say when severity rises. Each rule that applies raises it one level
// (capped at critical); the reasons are listed in the alert's enrichment
// under "severity.raised".
type Rules struct {
	// ProductionTagKeys are the tag keys naming a key's environment,
	// compared case-insensitively; default environment, env, stage.
	ProductionTagKeys []string
	// ProductionValues are the values meaning production, compared
	// case-insensitively; default production, prod.
	ProductionValues []string
	// Authorised reports whether an actor ARN is on the allowlist (and
	// why). Nil, or an allowlist with no entries, means the list is
	// unknown: nothing is raised for the actor.
	Authorised func(arn string) (ok bool, reason string)
}

func (r Rules) withDefaults() Rules {
	if len(r.ProductionTagKeys) == 0 {
		r.ProductionTagKeys = []string{"environment", "env", "stage"}
	}
	if len(r.ProductionValues) == 0 {
		r.ProductionValues = []string{"production", "prod"}
	}
	return r
}

// Enricher enriches alerts from the current inventory.
type Enricher struct {
	rules Rules
	mu    sync.RWMutex
	keys  map[string]*inventory.Key // by key ARN and by alias ARN
}

// New returns an enricher with an empty inventory.
func New(rules Rules) *Enricher {
	return &Enricher{rules: rules.withDefaults(), keys: map[string]*inventory.Key{}}
}

// SetInventory replaces the inventory the enricher reads.
func (e *Enricher) SetInventory(accounts []*inventory.Account) {
	keys := map[string]*inventory.Key{}
	for _, acct := range accounts {
		for _, k := range acct.Keys {
			keys[k.ARN] = k
			aliases, _ := k.Aliases.Get()
			prefix, _, ok := strings.Cut(k.ARN, ":key/")
			if !ok {
				continue
			}
			for _, a := range aliases {
				keys[prefix+":"+a] = k // arn:aws:kms:region:account:alias/name
			}
		}
	}
	e.mu.Lock()
	e.keys = keys
	e.mu.Unlock()
}

// Keys returns how many keys (by ARN and alias) the inventory indexes.
func (e *Enricher) Keys() int {
	e.mu.RLock()
	defer e.mu.RUnlock()
	return len(e.keys)
}

// Enrich adds the inventory's facts to a and raises its severity by the
// rules. Facts the inventory does not hold are left out, never guessed.
func (e *Enricher) Enrich(a *alert.Alert) {
	if a.Enrichment == nil {
		a.Enrichment = map[string]string{}
	}
	var raised []string
	e.mu.RLock()
	production := false
	for i, arn := range a.KeyARNs {
		prefix := "key."
		if i > 0 {
			prefix = fmt.Sprintf("key%d.", i+1)
		}
		k := e.keys[arn]
		if k == nil {
			a.Enrichment[prefix+"inventory"] = "not in inventory"
			continue
		}
		a.Enrichment[prefix+"arn"] = k.ARN
		if e.describeKey(a.Enrichment, prefix, k) {
			production = true
		}
	}
	e.mu.RUnlock()
	if production {
		raised = append(raised, "production key")
	}
	if e.rules.Authorised != nil && a.Actor.ARN != "" {
		ok, reason := e.rules.Authorised(a.Actor.ARN)
		a.Enrichment["actor.authorised"] = fmt.Sprint(ok)
		if ok && reason != "" {
			a.Enrichment["actor.authorised_reason"] = reason
		}
		if !ok {
			raised = append(raised, "actor not on the allowlist")
		}
	}
	if len(raised) > 0 {
		a.Enrichment["severity.original"] = a.Severity.String()
		a.Enrichment["severity.raised"] = strings.Join(raised, "; ")
		a.Severity = a.Severity.Raise(len(raised))
	}
}

// describeKey writes k's facts under prefix and reports whether k is
// tagged production.
func (e *Enricher) describeKey(out map[string]string, prefix string, k *inventory.Key) bool {
	if aliases, err := k.Aliases.Get(); err == nil && len(aliases) > 0 {
		out[prefix+"aliases"] = strings.Join(aliases, ",")
	}
	if md, err := k.Metadata.Get(); err == nil {
		out[prefix+"manager"] = string(md.Manager)
		out[prefix+"state"] = string(md.State)
		switch {
		case md.IsPrimary():
			out[prefix+"multi_region"] = "primary"
		case md.IsReplica():
			out[prefix+"multi_region"] = "replica"
		case md.MultiRegion:
			out[prefix+"multi_region"] = "multi-region"
		default:
			out[prefix+"multi_region"] = "single-region"
		}
	}
	if rot, err := k.Rotation.Get(); err == nil {
		switch {
		case !rot.Enabled:
			out[prefix+"rotation"] = "disabled"
		case rot.PeriodDays != nil:
			out[prefix+"rotation"] = fmt.Sprintf("enabled, every %d days", *rot.PeriodDays)
		default:
			out[prefix+"rotation"] = "enabled"
		}
	}
	tags, err := k.Tags.Get()
	if err != nil {
		return false
	}
	production := false
	for _, tk := range slices.Sorted(maps.Keys(tags)) {
		v := tags[tk]
		switch {
		case containsFold(e.rules.ProductionTagKeys, tk):
			out[prefix+"tag.environment"] = v
			if containsFold(e.rules.ProductionValues, v) {
				production = true
			}
		case strings.EqualFold(tk, "owner"):
			out[prefix+"tag.owner"] = v
		}
	}
	if production {
		out[prefix+"production"] = "true"
	}
	return production
}

func containsFold(list []string, s string) bool {
	return slices.ContainsFunc(list, func(x string) bool { return strings.EqualFold(x, s) })
}
