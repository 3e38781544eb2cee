package detect

import (
	"encoding/json"
	"errors"
	"fmt"
	"sort"
	"time"
)

// WindowState is the serialised window of one correlation rule and group,
// shaped for internal/state's Window (RuleID, GroupKey, State, ExpiresAt).
type WindowState struct {
	RuleID   string
	GroupKey string // JSON array of the group-by values
	State    []byte // versioned JSON; RestoreWindow reads it back
	// ExpiresAt is the eventTime after which the window can hold nothing
	// an open window needs: its newest event (or suppression end) plus
	// timespan plus allowed lateness. For a live stream eventTime is close
	// to the wall clock, so a store may sweep by it.
	ExpiresAt time.Time
	// Deleted means the group no longer exists: delete the stored window.
	Deleted bool
}

// windowStateVersion is the State encoding; RestoreWindow rejects others.
const windowStateVersion = 1

type windowDoc struct {
	V       int       `json:"v"`
	Values  []string  `json:"values"`
	Closed  time.Time `json:"closed,omitzero"`
	Entries []entry   `json:"entries"`
}

// maxWindowState bounds the bytes RestoreWindow decodes.
const maxWindowState = 64 << 20

// Dirty returns the windows changed or deleted since the last call, for
// the watch loop to save (SaveWindow) or delete (DeleteWindow).
func (c *Correlator) Dirty() []WindowState {
	var out []WindowState
	for ref := range c.dirty {
		if g, ok := ref.c.groups[ref.key]; ok {
			out = append(out, c.encodeWindow(ref.c, g))
		} else {
			out = append(out, WindowState{RuleID: ref.c.corr.ID, GroupKey: ref.key, Deleted: true})
		}
	}
	clear(c.dirty)
	sort.Slice(out, func(i, j int) bool {
		if out[i].RuleID != out[j].RuleID {
			return out[i].RuleID < out[j].RuleID
		}
		return out[i].GroupKey < out[j].GroupKey
	})
	return out
}

// Snapshot returns every live window, for a full save.
func (c *Correlator) Snapshot() []WindowState {
	var out []WindowState
	for _, cs := range c.corrs {
		for e := cs.lru.Front(); e != nil; e = e.Next() {
			out = append(out, c.encodeWindow(cs, e.Value.(*group)))
		}
	}
	return out
}

func (c *Correlator) encodeWindow(cs *corrState, g *group) WindowState {
	doc := windowDoc{V: windowStateVersion, Values: g.values, Closed: g.closed, Entries: g.entries}
	if doc.Entries == nil {
		doc.Entries = []entry{}
	}
	data, _ := json.Marshal(doc) // strings, times and ints always marshal
	newest := g.closed
	if n := len(g.entries); n > 0 && g.entries[n-1].Time.After(newest) {
		newest = g.entries[n-1].Time
	}
	return WindowState{RuleID: cs.corr.ID, GroupKey: g.key, State: data,
		ExpiresAt: newest.Add(cs.corr.Timespan + c.opts.AllowedLateness + closeGrace)}
}

// closeGrace keeps a stored window loadable for a while after it can
// close. A window closes once start+timespan+lateness is past, and when
// its newest event is its first that is the very moment it would expire:
// without the grace a store that drops expired windows would never hand it
// back to the periodic settle (watch ticks every 30 s) that fires the
// alerts of rules deciding at close time (lt, lte, eq, neq).
const closeGrace = 5 * time.Minute

// RestoreWindow loads a window saved from Dirty or Snapshot, replacing the
// group's current state, and moves the watermark up to its newest event.
// Malformed state is an error that says what is wrong; nothing is changed
// then.
func (c *Correlator) RestoreWindow(ruleID, groupKey string, state []byte) error {
	var cs *corrState
	for _, x := range c.corrs {
		if x.corr.ID == ruleID {
			cs = x
		}
	}
	if cs == nil {
		return fmt.Errorf("restore window: correlation rule %s is not loaded", ruleID)
	}
	g, err := decodeWindow(cs.corr, state, c.opts.MaxEventsPerGroup)
	if err != nil {
		return fmt.Errorf("restore window %s %s: %w", ruleID, groupKey, err)
	}
	if g.key != groupKey {
		return fmt.Errorf("restore window %s %s: state is for group %s", ruleID, groupKey, g.key)
	}
	if old, ok := cs.groups[groupKey]; ok {
		cs.lru.Remove(old.elem)
		delete(cs.groups, groupKey)
	} else if len(cs.groups) >= c.opts.MaxGroups {
		old := cs.lru.Front().Value.(*group)
		c.dropGroup(cs, old.key, old)
		cs.stats.GroupsEvicted++
	}
	g.elem = cs.lru.PushBack(g)
	cs.groups[groupKey] = g
	if n := len(g.entries); n > 0 && g.entries[n-1].Time.After(c.watermark) {
		c.watermark = g.entries[n-1].Time
	}
	return nil
}

// decodeWindow parses and checks a window state for correlation k.
func decodeWindow(k *Correlation, state []byte, maxEntries int) (*group, error) {
	if len(state) > maxWindowState {
		return nil, fmt.Errorf("state of %d bytes is larger than %d", len(state), maxWindowState)
	}
	var doc windowDoc
	if err := json.Unmarshal(state, &doc); err != nil {
		return nil, fmt.Errorf("decode: %w", err)
	}
	if doc.V != windowStateVersion {
		return nil, fmt.Errorf("state version %d: want %d", doc.V, windowStateVersion)
	}
	if len(doc.Values) != len(k.GroupBy) {
		return nil, fmt.Errorf("values: %d group-by values, want %d", len(doc.Values), len(k.GroupBy))
	}
	if len(doc.Entries) > maxEntries {
		return nil, fmt.Errorf("entries: %d events, more than the cap of %d", len(doc.Entries), maxEntries)
	}
	for i, e := range doc.Entries {
		switch {
		case e.Time.IsZero():
			return nil, fmt.Errorf("entries[%d].t: missing time", i)
		case i > 0 && e.Time.Before(doc.Entries[i-1].Time):
			return nil, fmt.Errorf("entries[%d].t: not in time order", i)
		case e.Rule < 0 || e.Rule >= len(k.Rules):
			return nil, fmt.Errorf("entries[%d].r: rule %d, the correlation has %d", i, e.Rule, len(k.Rules))
		case !doc.Closed.IsZero() && !e.Time.After(doc.Closed):
			return nil, fmt.Errorf("entries[%d].t: at or before the window's closed time", i)
		}
		doc.Entries[i].Time = e.Time.UTC()
	}
	if doc.Entries == nil {
		doc.Entries = []entry{}
	}
	if len(doc.Entries) == 0 && doc.Closed.IsZero() {
		return nil, errors.New("an empty window with no closed time holds nothing")
	}
	return &group{key: groupKey(doc.Values), values: doc.Values, entries: doc.Entries, closed: doc.Closed.UTC()}, nil
}
