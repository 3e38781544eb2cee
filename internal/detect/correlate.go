package detect

import (
	"container/list"
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/cloudtrail"
)

// CorrelatorOptions bound a Correlator's tolerance and memory. Zero values
// take the defaults.
type CorrelatorOptions struct {
	// AllowedLateness is how far behind the watermark (the latest eventTime
	// seen, or passed to Advance) an event may be and still count: see the
	// package's correlation semantics in docs/detection-rules.md. Default
	// 15 minutes; CloudTrail delivers most events within 5.
	AllowedLateness time.Duration
	// MaxGroups caps the live groups (distinct group-by values) per
	// correlation rule; beyond it the least recently updated group is
	// evicted and counted in Stats. Default 100,000.
	MaxGroups int
	// MaxEventsPerGroup caps the events one group keeps; beyond it the
	// oldest is dropped and counted in Stats. Default 10,000.
	MaxEventsPerGroup int
}

// Default correlator bounds.
const (
	DefaultAllowedLateness   = 15 * time.Minute
	DefaultMaxGroups         = 100_000
	DefaultMaxEventsPerGroup = 10_000
)

// Correlator evaluates Sigma correlation rules over the matches of their
// referenced detection rules. Feed it every match with Observe (events may
// arrive in any order), then Advance as time passes or Flush at the end of
// input. It is not safe for concurrent use.
type Correlator struct {
	opts  CorrelatorOptions
	corrs []*corrState
	// Rules are known by id (required and unique), not by pointer, so an
	// engine and a correlator built from separately loaded rule sets agree.
	byRule    map[string][]ruleRef
	silent    map[string]bool // referenced only by correlations with generate: false
	watermark time.Time
	dirty     map[groupRef]bool
}

// ruleRef is one place a detection rule is used: correlation c, position i
// in its rules list.
type ruleRef struct {
	c *corrState
	i int
}

type groupRef struct {
	c   *corrState
	key string
}

// corrState is one correlation rule's live windows.
type corrState struct {
	corr   *Correlation
	fields [][]string // fields[i][g]: the event field of group-by g for rule i
	groups map[string]*group
	lru    *list.List // of *group, least recently updated first
	stats  CorrelationStats
	swept  time.Time // watermark at the last expiry sweep
}

// CorrelationStats counts what a correlation rule did with its events;
// nothing is dropped without being counted here.
type CorrelationStats struct {
	RuleID string
	Title  string
	// Observed matches of the referenced rules.
	Observed uint64
	// Late events: older than their window can be (see AllowedLateness).
	Late uint64
	// Suppressed events: in a window that already alerted.
	Suppressed uint64
	// Duplicates: the same eventID seen again for the same rule and group.
	Duplicates uint64
	// MissingField: events without a group-by field, the value_count field
	// or a parseable eventTime; like SQL GROUP BY over nulls, they join no
	// group.
	MissingField uint64
	// GroupsEvicted: groups dropped by the MaxGroups cap.
	GroupsEvicted uint64
	// EventsTruncated: events dropped by the MaxEventsPerGroup cap.
	EventsTruncated uint64
	// Alerts fired.
	Alerts uint64
	// Groups currently held.
	Groups int
}

// Standalone reports whether a match of r should also produce its own
// alert: true unless every correlation that refers to r has generate
// false (Sigma's default for referenced rules).
func (c *Correlator) Standalone(r *Rule) bool { return !c.silent[r.ID] }

// Wants reports whether any correlation refers to r.
func (c *Correlator) Wants(r *Rule) bool { return len(c.byRule[r.ID]) > 0 }

// Watermark is the latest eventTime seen or passed to Advance.
func (c *Correlator) Watermark() time.Time { return c.watermark }

// Observe feeds one match of a detection rule on rec (after Engine.Match,
// which adds the derived fields) and returns the correlation alerts it
// completes. Matches may arrive in any eventTime order; an event without a
// parseable eventTime is counted in MissingField and ignored.
func (c *Correlator) Observe(m Match, rec *cloudtrail.Record) []alert.Alert {
	refs := c.byRule[m.Rule.ID]
	if len(refs) == 0 {
		return nil
	}
	t, err := time.Parse(time.RFC3339, rec.String("eventTime"))
	var out []alert.Alert
	for _, ref := range refs {
		cs := ref.c
		cs.stats.Observed++
		if err != nil {
			cs.stats.MissingField++
			continue
		}
		if a, ok := c.observe(cs, ref.i, t.UTC(), rec); ok {
			out = append(out, a)
		}
	}
	if err == nil && t.After(c.watermark) {
		out = append(out, c.advance(t.UTC(), false)...)
	}
	return out
}

// Advance moves the watermark to t (if later), closes the windows that
// can no longer receive events, drops expired groups and returns the
// alerts the closed windows produce. Call it as wall-clock time passes in
// a live stream, so that quiet periods still close windows. It visits
// every group: call it every few seconds, not per event.
func (c *Correlator) Advance(t time.Time) []alert.Alert {
	if !t.After(c.watermark) {
		return nil
	}
	return c.advance(t.UTC(), true)
}

// Flush ends the input: every open window is evaluated as if closed, and
// all state is dropped (reported through Dirty as deleted groups).
func (c *Correlator) Flush() []alert.Alert {
	var out []alert.Alert
	for _, cs := range c.corrs {
		for key, g := range cs.groups {
			out = append(out, c.closeWindows(cs, g, time.Time{}, true)...)
			c.dropGroup(cs, key, g)
		}
	}
	sortAlerts(out)
	return out
}

// Stats returns the counters of every correlation rule, in load order.
func (c *Correlator) Stats() []CorrelationStats {
	out := make([]CorrelationStats, len(c.corrs))
	for i, cs := range c.corrs {
		out[i] = cs.stats
		out[i].Groups = len(cs.groups)
	}
	return out
}

// horizon is the earliest eventTime a window may still start at: windows
// ending before watermark - lateness are closed.
func (c *Correlator) horizon(cs *corrState) time.Time {
	if c.watermark.IsZero() {
		return time.Time{}
	}
	return c.watermark.Add(-c.opts.AllowedLateness - cs.corr.Timespan)
}

func (c *Correlator) advance(t time.Time, always bool) []alert.Alert {
	c.watermark = t
	var out []alert.Alert
	for _, cs := range c.corrs {
		// As events move the watermark, sweep every group at most once per
		// quarter timespan of event time: expiry is then late by that
		// much, and the cost stays amortised.
		if !always && !cs.swept.IsZero() && t.Sub(cs.swept) < cs.corr.Timespan/4 {
			continue
		}
		cs.swept = t
		h := c.horizon(cs)
		for key, g := range cs.groups {
			out = append(out, c.closeWindows(cs, g, h, false)...)
			g.prune(h)
			if g.empty(h) {
				c.dropGroup(cs, key, g)
			}
		}
	}
	sortAlerts(out)
	return out
}

func (c *Correlator) dropGroup(cs *corrState, key string, g *group) {
	cs.lru.Remove(g.elem)
	delete(cs.groups, key)
	c.dirty[groupRef{cs, key}] = true
}

// Alerts is the detection pipeline's step for one record: given the
// engine's matches on rec, it returns NewAlert for every match whose rule
// alerts on its own (Standalone) and the correlation alerts the matches
// complete. A nil Correlator only builds the standalone alerts.
func (c *Correlator) Alerts(ms []Match, rec *cloudtrail.Record) []alert.Alert {
	out := c.StandaloneAlerts(ms, rec)
	if c != nil {
		for _, m := range ms {
			out = append(out, c.Observe(m, rec)...)
		}
	}
	return out
}
