package detect

import (
	"bytes"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"
)

// TestWindowStateRoundTrip saves the windows of one correlator, restores
// them into a fresh one (as watch does after a restart) and checks that
// the rest of the stream alerts exactly as without the restart.
func TestWindowStateRoundTrip(t *testing.T) {
	for _, tt := range []struct {
		name, correlation string
		before, after     []ev
		want              []string
	}{
		{"event_count", eventCount3in10m,
			[]ev{{"A", "e1", alice, "10:00:00", ""}, {"B", "e2", alice, "10:01:00", ""}, {"A", "x1", bob, "10:02:00", ""}},
			[]ev{{"A", "e3", alice, "10:03:00", ""}, {"A", "e4", alice, "10:04:00", ""}},
			[]string{"e1 e2 e3"}},
		{"suppression survives", eventCount3in10m,
			[]ev{{"A", "e1", alice, "10:00:00", ""}, {"B", "e2", alice, "10:01:00", ""}, {"A", "e3", alice, "10:02:00", ""}},
			[]ev{{"A", "e4", alice, "10:03:00", ""}, {"A", "e5", alice, "10:04:00", ""}, {"A", "e6", alice, "10:05:00", ""}},
			nil},
		{"temporal_ordered", orderedAB,
			[]ev{{"A", "e1", alice, "10:00:00", ""}},
			[]ev{{"B", "e2", alice, "10:30:00", ""}},
			[]string{"e1 e2"}},
		{"range condition at flush", rangeCount,
			[]ev{{"A", "e1", alice, "10:00:00", ""}},
			[]ev{{"A", "e2", alice, "10:01:00", ""}},
			[]string{"e1 e2"}},
	} {
		t.Run(tt.name, func(t *testing.T) {
			whole := newHarness(t, tt.correlation, CorrelatorOptions{})
			whole.feed(t, tt.before...)
			saved := whole.c.Dirty()
			if len(saved) == 0 {
				t.Fatal("no dirty windows after events")
			}
			restarted := newHarness(t, tt.correlation, CorrelatorOptions{})
			for _, w := range saved {
				if w.Deleted {
					continue
				}
				if w.RuleID != testCorrID || !w.ExpiresAt.After(at("10:00:00")) {
					t.Errorf("window %s %s expires %v", w.RuleID, w.GroupKey, w.ExpiresAt)
				}
				if err := restarted.c.RestoreWindow(w.RuleID, w.GroupKey, w.State); err != nil {
					t.Fatal(err)
				}
			}
			if diff := cmp.Diff(whole.c.Snapshot(), restarted.c.Snapshot()); diff != "" {
				t.Errorf("restored state differs (-want +got):\n%s", diff)
			}
			want := append(whole.feed(t, tt.after...), whole.c.Flush()...)
			got := append(restarted.feed(t, tt.after...), restarted.c.Flush()...)
			if diff := cmp.Diff(tt.want, eventIDs(got)); diff != "" {
				t.Errorf("alerts after restore (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("alerts differ from an unbroken run (-want +got):\n%s", diff)
			}
			for _, w := range restarted.c.Dirty() {
				if !w.Deleted {
					t.Errorf("window %s still live after Flush", w.GroupKey)
				}
			}
		})
	}
}

func TestRestoreWindowRejects(t *testing.T) {
	h := newHarness(t, eventCount3in10m, CorrelatorOptions{MaxEventsPerGroup: 2})
	key := groupKey([]string{alice})
	good := `{"v":1,"values":["` + alice + `"],"entries":[{"t":"2026-11-20T10:00:00Z","id":"e1","r":0}]}`
	if err := h.c.RestoreWindow(testCorrID, key, []byte(good)); err != nil {
		t.Fatalf("valid state rejected: %v", err)
	}
	tests := []struct {
		name, rule, key, state, want string
	}{
		{"not JSON", testCorrID, key, `{"v":1,`, "decode"},
		{"version", testCorrID, key, `{"v":2,"values":["x"],"entries":[]}`, "state version 2"},
		{"values", testCorrID, key, `{"v":1,"values":["a","b"],"entries":[]}`, "2 group-by values, want 1"},
		{"unsorted", testCorrID, key, strings.Replace(good, `[{"t"`, `[{"t":"2026-11-20T10:05:00Z","id":"e0","r":0},{"t"`, 1), "not in time order"},
		{"rule out of range", testCorrID, key, strings.Replace(good, `"r":0`, `"r":7`, 1), "rule 7, the correlation has 2"},
		{"missing time", testCorrID, key, strings.Replace(good, `"t":"2026-11-20T10:00:00Z",`, ``, 1), "missing time"},
		{"over the cap", testCorrID, key, strings.Replace(good, `[{"t"`, `[{"t":"2026-11-20T09:00:00Z","id":"a","r":0},{"t":"2026-11-20T09:00:00Z","id":"b","r":0},{"t"`, 1), "more than the cap of 2"},
		{"empty", testCorrID, key, `{"v":1,"values":["x"],"entries":[]}`, "holds nothing"},
		{"before closed", testCorrID, key, strings.Replace(good, `"entries"`, `"closed":"2026-11-20T10:05:00Z","entries"`, 1), "before the window's closed time"},
		{"other group", testCorrID, groupKey([]string{bob}), good, "state is for group"},
		{"unknown rule", "00000000-0000-4000-8000-000000000000", key, good, "is not loaded"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := h.c.RestoreWindow(tt.rule, tt.key, []byte(tt.state))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Errorf("err = %v, want %q", err, tt.want)
			}
		})
	}
}

// FuzzRestoreWindow feeds arbitrary bytes to the window decoder: it must
// never panic, and a state it accepts must restore, survive further events
// and encode back to an equivalent state.
func FuzzRestoreWindow(f *testing.F) {
	h := newHarness(f, eventCount3in10m, CorrelatorOptions{})
	h.feed(f, ev{"A", "e1", alice, "10:00:00", ""}, ev{"B", "e2", alice, "10:01:00", ""})
	for _, w := range h.c.Dirty() {
		f.Add(w.State)
	}
	h.feed(f, ev{"A", "e3", alice, "10:02:00", ""})
	for _, w := range h.c.Dirty() {
		f.Add(w.State)
	}
	f.Add([]byte(`{"v":1,"values":["x"],"closed":"2026-11-20T10:00:00Z","entries":[]}`))
	f.Add([]byte(`{"v":1,"values":["x"],"entries":[{"t":"2026-11-20T10:00:00Z","id":"e1","r":1,"k":["a"]}]}`))
	f.Add([]byte(`{"v":1}`))
	f.Add([]byte(`null`))
	f.Add([]byte(``))
	base := newHarness(f, eventCount3in10m, CorrelatorOptions{})
	k := base.set.Correlations[0]
	f.Fuzz(func(t *testing.T, data []byte) {
		corr, err := NewCorrelator(base.set, CorrelatorOptions{MaxEventsPerGroup: 50})
		if err != nil {
			t.Fatal(err)
		}
		c := &corrHarness{eng: base.eng, c: corr, set: base.set}
		g, err := decodeWindow(k, data, 50)
		if err != nil {
			return
		}
		if err := c.c.RestoreWindow(testCorrID, g.key, data); err != nil {
			t.Fatalf("decoded state does not restore: %v", err)
		}
		snap := c.c.Snapshot()
		if len(snap) != 1 {
			t.Fatalf("snapshot has %d windows", len(snap))
		}
		again, err := decodeWindow(k, snap[0].State, 50)
		if err != nil {
			t.Fatalf("re-encoded state does not decode: %v", err)
		}
		if diff := cmp.Diff(g.entries, again.entries, cmpopts.EquateEmpty()); diff != "" {
			t.Fatalf("entries changed in a round trip:\n%s", diff)
		}
		c.feed(t, ev{"A", "n1", alice, "10:00:00", ""}, ev{"A", "n2", "x", "10:00:30", ""})
		c.c.Advance(at("23:00:00"))
		c.c.Flush()
	})
}

// FuzzLoadCorrelation parses arbitrary rule files that may hold
// correlations: parsing, compiling and running them must never panic.
func FuzzLoadCorrelation(f *testing.F) {
	for _, name := range []string{"mr_kms_keys_destroyed_by_one_principal.yml", "mr_iam_kms_grant_then_destructive_action.yml"} {
		data, err := builtinFS.ReadFile("rules/" + name)
		if err != nil {
			f.Fatal(err)
		}
		// Without the bulky samples, which stall the fuzzer.
		if i := bytes.Index(data, []byte("\n    tests:")); i > 0 {
			data = data[:i+1]
		}
		f.Add(data)
	}
	for _, body := range []string{eventCount3in10m, orderedAB, rangeCount,
		"    type: temporal\n    rules: [base_a, base_b]\n    group-by: [who]\n    timespan: 5m\n    aliases:\n        who:\n            base_a: userIdentity.arn\n            base_b: requestParameters.keyId\n",
		"    type: value_count\n    rules: [base_a]\n    group-by: [awsRegion]\n    timespan: 1d\n    condition: {field: kmsguard.key.arn, gt: 1, lte: 4}\n",
	} {
		f.Add([]byte(corrBaseRules + "---\ntitle: t\nid: " + testCorrID + "\ncorrelation:\n" + body))
	}
	f.Add([]byte("title: c\ncorrelation: {type: event_count}\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		set, err := ParseRuleSet("fuzz.yml", data)
		if err != nil {
			return
		}
		eng, err := NewEngine(set, Options{NoFilters: true})
		if err != nil {
			return
		}
		c, err := NewCorrelator(set, CorrelatorOptions{MaxGroups: 4, MaxEventsPerGroup: 4})
		if err != nil {
			return
		}
		h := &corrHarness{eng: eng, c: c, set: set}
		h.feed(t, ev{"A", "e1", alice, "10:00:00", "k"}, ev{"B", "e2", alice, "10:01:00", ""}, ev{"C", "e3", bob, "09:59:00", "k"})
		c.Dirty()
		c.Flush()
		if _, err := eng.RunCorrelationSamples(set.Correlations, CorrelatorOptions{}); err != nil {
			t.Fatalf("correlator compiled once but not for samples: %v", err)
		}
	})
}
