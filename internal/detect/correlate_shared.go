package detect

import (
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/cloudtrail"
)

// GroupRef names one correlation window: a correlation rule and the JSON
// group key of its group-by values (the state store's window key).
type GroupRef struct {
	RuleID   string
	GroupKey string
}

// GroupsOf returns the windows that Observe would touch for the matches
// ms on rec, each once, so that a caller sharing windows with other
// processes can lock and load exactly those before observing. Matches of
// rules no correlation uses, and events without a group-by field, touch
// no window.
func (c *Correlator) GroupsOf(ms []Match, rec *cloudtrail.Record) []GroupRef {
	var out []GroupRef
	seen := map[GroupRef]bool{}
	for _, m := range ms {
		for _, ref := range c.byRule[m.Rule.ID] {
			values := make([]string, len(ref.c.corr.GroupBy))
			ok := true
			for i, f := range ref.c.fields[ref.i] {
				if values[i], ok = correlationField(rec, f); !ok {
					break
				}
			}
			if !ok {
				continue
			}
			g := GroupRef{RuleID: ref.c.corr.ID, GroupKey: groupKey(values)}
			if !seen[g] {
				seen[g] = true
				out = append(out, g)
			}
		}
	}
	return out
}

// StandaloneAlerts returns NewAlert for every match whose rule alerts on
// its own (Standalone): the part of Alerts that needs no window.
func (c *Correlator) StandaloneAlerts(ms []Match, rec *cloudtrail.Record) []alert.Alert {
	var out []alert.Alert
	for _, m := range ms {
		if c == nil || c.Standalone(m.Rule) {
			out = append(out, NewAlert(m, rec))
		}
	}
	return out
}

// Sweep moves the watermark to t if it is later and, unlike Advance,
// visits every held group even when it does not move: windows that can no
// longer receive events close (alerting if their condition holds) and
// empty groups are dropped. A caller that loads one group from a shared
// store calls it to settle that group.
func (c *Correlator) Sweep(t time.Time) []alert.Alert {
	if t.Before(c.watermark) {
		t = c.watermark
	}
	return c.advance(t.UTC(), true)
}

// Forget drops every group held in memory without reporting them through
// Dirty: the caller keeps the windows elsewhere (a shared store) and
// loads the ones it needs before each event. Counters and the watermark
// are kept.
func (c *Correlator) Forget() {
	for _, cs := range c.corrs {
		clear(cs.groups)
		cs.lru.Init()
	}
	clear(c.dirty)
}

// ClosingRules lists the correlation rules whose windows alert when they
// close (conditions with an upper bound: lt, lte, eq, neq) rather than as
// an event arrives, so a live stream must settle their stored windows as
// time passes.
func (c *Correlator) ClosingRules() []string {
	var out []string
	for _, cs := range c.corrs {
		if !cs.corr.Condition.monotone() {
			out = append(out, cs.corr.ID)
		}
	}
	return out
}
