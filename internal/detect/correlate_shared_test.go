package detect

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/alert"
)

// sharedStore stands in for the state store: the only copy of each window.
type sharedStore map[GroupRef][]byte

// step is one worker's transaction for one event, as internal/watch runs
// it: load the event's windows, settle them at now, observe, save what
// changed, forget.
func (s sharedStore) step(t *testing.T, h *corrHarness, e ev, now time.Time) []alert.Alert {
	t.Helper()
	rec := record(t, e.json())
	ms := h.eng.Match(rec)
	h.c.Forget()
	defer h.c.Forget()
	for _, g := range h.c.GroupsOf(ms, rec) {
		if st, ok := s[g]; ok {
			if err := h.c.RestoreWindow(g.RuleID, g.GroupKey, st); err != nil {
				t.Fatal(err)
			}
		}
	}
	_ = h.c.Dirty()
	out := h.c.Sweep(now)
	for _, m := range ms {
		out = append(out, h.c.Observe(m, rec)...)
	}
	for _, w := range h.c.Dirty() {
		g := GroupRef{RuleID: w.RuleID, GroupKey: w.GroupKey}
		if w.Deleted {
			delete(s, g)
		} else {
			s[g] = w.State
		}
	}
	return out
}

func TestGroupsOf(t *testing.T) {
	h := newHarness(t, eventCount3in10m, CorrelatorOptions{})
	tests := []struct {
		name string
		ev   ev
		want []GroupRef
	}{
		{"correlated rule", ev{"A", "e1", alice, "10:00:00", ""}, []GroupRef{{testCorrID, `["` + alice + `"]`}}},
		{"rule no correlation uses", ev{"C", "e2", alice, "10:00:00", ""}, nil},
		{"no group-by value", ev{"B", "e3", "", "10:00:00", ""}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			rec := record(t, tt.ev.json())
			if diff := cmp.Diff(tt.want, h.c.GroupsOf(h.eng.Match(rec), rec)); diff != "" {
				t.Errorf("GroupsOf (-want +got):\n%s", diff)
			}
		})
	}
}

// TestSharedWindowsAcrossCorrelators: two correlators (two workers) that
// keep no window between events and share one store alert exactly once
// on a group whose events they split, out of order; each alone would
// have seen too few.
func TestSharedWindowsAcrossCorrelators(t *testing.T) {
	a := newHarness(t, eventCount3in10m, CorrelatorOptions{})
	b := newHarness(t, eventCount3in10m, CorrelatorOptions{})
	store := sharedStore{}
	now := at("10:10:00")
	var got []alert.Alert
	for i, e := range []ev{
		{"A", "e3", alice, "10:06:00", ""}, {"B", "e1", alice, "10:01:00", ""},
		{"A", "e2", alice, "10:03:00", ""}, {"A", "e4", alice, "10:07:00", ""},
	} {
		h := a
		if i%2 == 1 {
			h = b
		}
		got = append(got, store.step(t, h, e, now)...)
	}
	if diff := cmp.Diff([]string{"e1 e2 e3"}, eventIDs(got)); diff != "" {
		t.Errorf("alerts (-want +got):\n%s", diff)
	}
	if len(a.c.Snapshot())+len(b.c.Snapshot()) != 0 {
		t.Error("a correlator kept windows in memory between events")
	}
}

func TestClosingRulesAndSweep(t *testing.T) {
	if got := newHarness(t, eventCount3in10m, CorrelatorOptions{}).c.ClosingRules(); len(got) != 0 {
		t.Errorf("a gte condition is closing: %v", got)
	}
	h := newHarness(t, rangeCount, CorrelatorOptions{})
	if diff := cmp.Diff([]string{testCorrID}, h.c.ClosingRules()); diff != "" {
		t.Errorf("ClosingRules (-want +got):\n%s", diff)
	}
	// Two events, then the window is loaded again into a correlator whose
	// watermark is already past its end: Advance does nothing (the
	// watermark does not move), Sweep closes it and alerts.
	h.feed(t, ev{"A", "e1", alice, "10:00:00", ""}, ev{"A", "e2", alice, "10:02:00", ""})
	saved := h.c.Snapshot()
	h.c.Forget()
	if got := h.c.Advance(at("10:30:00")); len(got) != 0 {
		t.Fatalf("Advance with no windows alerted: %v", got)
	}
	if err := h.c.RestoreWindow(saved[0].RuleID, saved[0].GroupKey, saved[0].State); err != nil {
		t.Fatal(err)
	}
	if got := h.c.Advance(at("10:30:00")); len(got) != 0 {
		t.Errorf("Advance to the same watermark alerted: %v", eventIDs(got))
	}
	if diff := cmp.Diff([]string{"e1 e2"}, eventIDs(h.c.Sweep(at("10:30:00")))); diff != "" {
		t.Errorf("Sweep (-want +got):\n%s", diff)
	}
}
