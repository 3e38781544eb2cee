package detect

import (
	"container/list"
	"encoding/json"
	"sort"
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/cloudtrail"
)

// entry is what a group keeps of one event: enough to count it, to tell
// distinct values and rules apart, and to report it in an alert.
type entry struct {
	Time    time.Time `json:"t"`
	EventID string    `json:"id"`
	Rule    int       `json:"r"`           // position in the correlation's rules
	Value   string    `json:"v,omitempty"` // value_count: the field's value
	Actor   string    `json:"a,omitempty"` // userIdentity.arn
	Account string    `json:"acct,omitempty"`
	Region  string    `json:"reg,omitempty"`
	Name    string    `json:"n,omitempty"` // eventName
	Keys    []string  `json:"k,omitempty"` // KMS key ARNs
}

// group is the window state of one group-by value tuple. Entries are
// sorted by eventTime (ties in arrival order). Events at or before closed
// belong to a window that already fired (or, for conditions with an upper
// bound, was already evaluated) and are not counted again.
type group struct {
	key     string
	values  []string
	entries []entry
	closed  time.Time
	elem    *list.Element
}

func (g *group) prune(h time.Time) {
	n := 0
	for n < len(g.entries) && g.entries[n].Time.Before(h) {
		n++
	}
	if n > 0 {
		g.entries = append(g.entries[:0:0], g.entries[n:]...)
	}
}

// empty reports a group that holds nothing an open window could need.
func (g *group) empty(h time.Time) bool {
	return len(g.entries) == 0 && (g.closed.IsZero() || g.closed.Before(h))
}

// observe adds one event to its group and fires the correlation if a
// window now qualifies (lower-bound conditions only; the others are
// evaluated when their window closes).
func (c *Correlator) observe(cs *corrState, ruleIdx int, t time.Time, rec *cloudtrail.Record) (alert.Alert, bool) {
	k := cs.corr
	h := c.horizon(cs)
	if t.Before(h) {
		cs.stats.Late++
		return alert.Alert{}, false
	}
	values := make([]string, len(k.GroupBy))
	for i, f := range cs.fields[ruleIdx] {
		v, ok := correlationField(rec, f)
		if !ok {
			cs.stats.MissingField++
			return alert.Alert{}, false
		}
		values[i] = v
	}
	e := entry{Time: t, EventID: rec.String("eventID"), Rule: ruleIdx}
	if k.Type == ValueCount {
		f := k.Field
		if m, ok := k.Aliases[f]; ok {
			f = m[k.Rules[ruleIdx]]
		}
		v, ok := correlationField(rec, f)
		if !ok {
			cs.stats.MissingField++
			return alert.Alert{}, false
		}
		e.Value = v
	}
	key := groupKey(values)
	g := cs.groups[key]
	if g == nil {
		if len(cs.groups) >= c.opts.MaxGroups {
			old := cs.lru.Front().Value.(*group)
			c.dropGroup(cs, old.key, old)
			cs.stats.GroupsEvicted++
		}
		g = &group{key: key, values: values}
		g.elem = cs.lru.PushBack(g)
		cs.groups[key] = g
	} else {
		cs.lru.MoveToBack(g.elem)
	}
	if !g.closed.IsZero() && !t.After(g.closed) {
		if k.Condition.monotone() {
			cs.stats.Suppressed++
		} else {
			cs.stats.Late++
		}
		return alert.Alert{}, false
	}
	perRule := k.Type == Temporal || k.Type == TemporalOrdered
	// A redelivered event has the same eventTime: only those are compared.
	for x := sort.Search(len(g.entries), func(i int) bool { return !g.entries[i].Time.Before(t) }); x < len(g.entries) && g.entries[x].Time.Equal(t); x++ {
		if d := g.entries[x]; d.EventID == e.EventID && e.EventID != "" && (!perRule || d.Rule == e.Rule) {
			cs.stats.Duplicates++
			return alert.Alert{}, false
		}
	}
	// The rest of the entry is only for the alert: filled once the event
	// is known to count.
	e.Actor, e.Account, e.Region = rec.String("userIdentity.arn"), rec.String("recipientAccountId"), rec.String("awsRegion")
	e.Name, e.Keys = rec.String("eventName"), keyARNs(rec)
	p := sort.Search(len(g.entries), func(i int) bool { return g.entries[i].Time.After(t) })
	g.entries = append(g.entries, entry{})
	copy(g.entries[p+1:], g.entries[p:])
	g.entries[p] = e
	if len(g.entries) > c.opts.MaxEventsPerGroup {
		copy(g.entries, g.entries[1:])
		g.entries = g.entries[:len(g.entries)-1]
		cs.stats.EventsTruncated++
		p--
	}
	c.dirty[groupRef{cs, key}] = true
	if !k.Condition.monotone() || p < 0 {
		return alert.Alert{}, false
	}
	lo := t.Add(-k.Timespan)
	if lo.Before(h) {
		lo = h
	}
	from := sort.Search(len(g.entries), func(i int) bool { return !g.entries[i].Time.Before(lo) })
	if i, j, n, ok := firstQualifying(k, g.entries, from, p); ok {
		return c.fire(cs, g, i, j, n), true
	}
	return alert.Alert{}, false
}

// firstQualifying tries every window [s, s+timespan] that starts at an
// event between from and p (so holds the new event at p and is still
// open), earliest first, and returns the first whose count satisfies the
// condition. Counting windows slide with two pointers, so a busy group
// costs O(events) per new event; temporal_ordered windows need only start
// at an event of the first rule.
func firstQualifying(k *Correlation, entries []entry, from, p int) (i, j int, n int64, ok bool) {
	if k.Type == TemporalOrdered {
		for i := from; i <= p; i++ {
			if entries[i].Rule != 0 {
				continue
			}
			// Events of the same second before i are in the window too
			// (ties count as in order).
			start := entries[i].Time
			i0 := sort.Search(i, func(x int) bool { return !entries[x].Time.Before(start) })
			end := start.Add(k.Timespan)
			j := sort.Search(len(entries), func(x int) bool { return entries[x].Time.After(end) })
			if n := metric(k, entries[i0:j]); k.Condition.Holds(n) {
				return i0, j, n, true
			}
		}
		return 0, 0, 0, false
	}
	values := map[string]int{}
	rules := map[int]int{}
	add := func(e entry, d int) {
		switch k.Type {
		case ValueCount:
			values[e.Value] += d
			if values[e.Value] == 0 {
				delete(values, e.Value)
			}
		case Temporal:
			rules[e.Rule] += d
			if rules[e.Rule] == 0 {
				delete(rules, e.Rule)
			}
		}
	}
	j = from
	for i := from; i <= p; i++ {
		end := entries[i].Time.Add(k.Timespan)
		for ; j < len(entries) && !entries[j].Time.After(end); j++ {
			add(entries[j], 1)
		}
		switch k.Type {
		case ValueCount:
			n = int64(len(values))
		case Temporal:
			n = int64(len(rules))
		default:
			n = int64(j - i)
		}
		if k.Condition.Holds(n) {
			return i, j, n, true
		}
		add(entries[i], -1)
	}
	return 0, 0, 0, false
}

// closeWindows evaluates the closed windows of a correlation whose
// condition has an upper bound (lt, lte, eq, neq): a window starts at the
// group's earliest event and closes once start + timespan is before
// watermark - lateness, that is once the start is before h (or at once
// when final). Lower-bound correlations fire from observe and have
// nothing to do here.
func (c *Correlator) closeWindows(cs *corrState, g *group, h time.Time, final bool) []alert.Alert {
	k := cs.corr
	if k.Condition.monotone() {
		return nil
	}
	var out []alert.Alert
	for len(g.entries) > 0 && (final || g.entries[0].Time.Before(h)) {
		end := g.entries[0].Time.Add(k.Timespan)
		j := sort.Search(len(g.entries), func(x int) bool { return g.entries[x].Time.After(end) })
		if n := metric(k, g.entries[:j]); k.Condition.Holds(n) {
			out = append(out, c.fire(cs, g, 0, j, n))
		} else {
			g.entries = append(g.entries[:0:0], g.entries[j:]...)
		}
		g.closed = end
		c.dirty[groupRef{cs, g.key}] = true
	}
	return out
}

// metric is what a correlation's condition counts in a window: events,
// distinct values of the field, distinct rules, or for temporal_ordered
// how many of the rules occur in order.
func metric(k *Correlation, win []entry) int64 {
	switch k.Type {
	case EventCount:
		return int64(len(win))
	case ValueCount:
		seen := map[string]bool{}
		for _, e := range win {
			seen[e.Value] = true
		}
		return int64(len(seen))
	case Temporal:
		seen := map[int]bool{}
		for _, e := range win {
			seen[e.Rule] = true
		}
		return int64(len(seen))
	}
	// temporal_ordered: greedily take, for each rule in turn, the earliest
	// event not before the previous step (equal eventTimes count as in
	// order: CloudTrail times have one-second resolution).
	var prev time.Time
	step := 0
	for step < len(k.Rules) {
		found := -1
		for x, e := range win {
			if e.Rule == step && (step == 0 || !e.Time.Before(prev)) {
				found = x
				break
			}
		}
		if found < 0 {
			break
		}
		prev = win[found].Time
		step++
	}
	return int64(step)
}

// fire builds the alert for window entries[i:j] of g, suppresses the group
// until that window ends and drops the events it consumed.
func (c *Correlator) fire(cs *corrState, g *group, i, j int, n int64) alert.Alert {
	k := cs.corr
	a := correlationAlert(k, g, g.entries[i:j], n)
	end := g.entries[i].Time.Add(k.Timespan)
	if end.After(g.closed) {
		g.closed = end
	}
	rest := g.entries[:0:0]
	for _, e := range g.entries {
		if e.Time.After(g.closed) {
			rest = append(rest, e)
		}
	}
	g.entries = rest
	cs.stats.Alerts++
	c.dirty[groupRef{cs, g.key}] = true
	return a
}

// groupKey encodes group-by values unambiguously (it is also the state
// store's window key).
func groupKey(values []string) string {
	if len(values) == 1 && plainJSON(values[0]) {
		return `["` + values[0] + `"]` // the common case, as json.Marshal writes it
	}
	b, _ := json.Marshal(values) // strings always marshal
	return string(b)
}

// plainJSON reports a string that json.Marshal writes unescaped.
func plainJSON(s string) bool {
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c >= 0x7f || c == '"' || c == '\\' || c == '<' || c == '>' || c == '&' {
			return false
		}
	}
	return true
}

func sortAlerts(as []alert.Alert) {
	sort.SliceStable(as, func(i, j int) bool { return as[i].EventTime.Before(as[j].EventTime) })
}
