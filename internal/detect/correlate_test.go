package detect

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

const (
	alice = "arn:aws:iam::111122223333:user/alice"
	bob   = "arn:aws:iam::111122223333:user/bob"
)

const eventCount3in10m = `    type: event_count
    rules: [base_a, base_b]
    group-by: [userIdentity.arn]
    timespan: 10m
    condition: {gte: 3}
`

func TestCorrelationWindows(t *testing.T) {
	tests := []struct {
		name        string
		correlation string
		opts        CorrelatorOptions
		events      []ev
		advance     string   // then Advance to this clock time
		flush       bool     // then Flush
		want        []string // EventIDs of each alert, space separated
		wantStats   CorrelationStats
	}{
		{
			name: "event_count in order", correlation: eventCount3in10m,
			events:    []ev{{"A", "e1", alice, "10:00:00", ""}, {"B", "e2", alice, "10:04:00", ""}, {"A", "e3", alice, "10:09:00", ""}},
			want:      []string{"e1 e2 e3"},
			wantStats: CorrelationStats{Observed: 3, Alerts: 1, Groups: 1},
		},
		{
			name: "event_count spread over more than the timespan", correlation: eventCount3in10m,
			events:    []ev{{"A", "e1", alice, "10:00:00", ""}, {"A", "e2", alice, "10:06:00", ""}, {"A", "e3", alice, "10:10:01", ""}},
			wantStats: CorrelationStats{Observed: 3, Groups: 1},
		},
		{
			name: "boundary: last event exactly one timespan after the first counts", correlation: eventCount3in10m,
			events:    []ev{{"A", "e1", alice, "10:00:00", ""}, {"A", "e2", alice, "10:06:00", ""}, {"A", "e3", alice, "10:10:00", ""}},
			want:      []string{"e1 e2 e3"},
			wantStats: CorrelationStats{Observed: 3, Alerts: 1, Groups: 1},
		},
		{
			name: "sliding window, not fixed buckets", correlation: eventCount3in10m,
			events:    []ev{{"A", "e1", alice, "10:00:00", ""}, {"A", "e2", alice, "10:09:00", ""}, {"A", "e3", alice, "10:11:00", ""}, {"A", "e4", alice, "10:12:00", ""}},
			want:      []string{"e2 e3 e4"},
			wantStats: CorrelationStats{Observed: 4, Alerts: 1, Groups: 1},
		},
		{
			name: "out-of-order delivery", correlation: eventCount3in10m,
			events:    []ev{{"A", "e3", alice, "10:09:00", ""}, {"A", "e1", alice, "10:01:00", ""}, {"B", "e2", alice, "10:05:00", ""}},
			want:      []string{"e1 e2 e3"},
			wantStats: CorrelationStats{Observed: 3, Alerts: 1, Groups: 1},
		},
		{
			name: "groups are separate", correlation: eventCount3in10m,
			events:    []ev{{"A", "e1", alice, "10:00:00", ""}, {"A", "e2", bob, "10:01:00", ""}, {"A", "e3", alice, "10:02:00", ""}},
			wantStats: CorrelationStats{Observed: 3, Groups: 2},
		},
		{
			name: "one alert per burst, then the window restarts", correlation: eventCount3in10m,
			events: []ev{
				{"A", "e1", alice, "10:00:00", ""}, {"A", "e2", alice, "10:00:30", ""}, {"A", "e3", alice, "10:01:00", ""},
				{"A", "e4", alice, "10:02:00", ""}, {"A", "e5", alice, "10:03:00", ""}, {"A", "e6", alice, "10:10:00", ""},
				{"A", "e7", alice, "10:10:01", ""}, {"A", "e8", alice, "10:11:00", ""}, {"A", "e9", alice, "10:12:00", ""},
			},
			want:      []string{"e1 e2 e3", "e7 e8 e9"},
			wantStats: CorrelationStats{Observed: 9, Suppressed: 3, Alerts: 2, Groups: 1},
		},
		{
			name: "redelivered event counts once", correlation: eventCount3in10m,
			events:    []ev{{"A", "e1", alice, "10:00:00", ""}, {"A", "e1", alice, "10:00:00", ""}, {"A", "e1", alice, "10:00:00", ""}},
			wantStats: CorrelationStats{Observed: 3, Duplicates: 2, Groups: 1},
		},
		{
			name: "late within lateness still counts", correlation: eventCount3in10m,
			// watermark 10:30; horizon = 10:30 - 15m - 10m = 10:05.
			events:    []ev{{"A", "e3", alice, "10:30:00", ""}, {"A", "x", bob, "10:30:00", ""}, {"A", "e1", alice, "10:21:00", ""}, {"A", "e2", alice, "10:22:00", ""}},
			want:      []string{"e1 e2 e3"},
			wantStats: CorrelationStats{Observed: 4, Alerts: 1, Groups: 2},
		},
		{
			name: "late beyond lateness is dropped and counted", correlation: eventCount3in10m,
			events: []ev{{"A", "e1", alice, "10:00:00", ""}, {"A", "e2", alice, "10:01:00", ""}, {"A", "w", bob, "10:40:00", ""},
				{"A", "e3", alice, "10:02:00", ""}},
			// horizon 10:15: alice's window expired with the watermark.
			wantStats: CorrelationStats{Observed: 4, Late: 1, Groups: 1},
		},
		{
			name: "shorter allowed lateness", correlation: eventCount3in10m, opts: CorrelatorOptions{AllowedLateness: time.Minute},
			// horizon = 10:30 - 1m - 10m = 10:19
			events:    []ev{{"A", "w", bob, "10:30:00", ""}, {"A", "e1", alice, "10:18:00", ""}, {"A", "e2", alice, "10:20:00", ""}},
			wantStats: CorrelationStats{Observed: 3, Late: 1, Groups: 2},
		},
		{
			name: "missing group-by field joins no group",
			correlation: `    type: event_count
    rules: [base_a]
    group-by: [requestParameters.keyId]
    timespan: 10m
    condition: {gte: 1}
`,
			events:    []ev{{"A", "e1", alice, "10:00:00", ""}, {"A", "e2", alice, "10:00:01", "k1"}},
			want:      []string{"e2"},
			wantStats: CorrelationStats{Observed: 2, MissingField: 1, Alerts: 1, Groups: 1},
		},
		{
			name: "value_count counts distinct values",
			correlation: `    type: value_count
    rules: [base_a]
    group-by: [userIdentity.arn]
    timespan: 10m
    condition: {field: kmsguard.key.arn, gte: 3}
`,
			events: []ev{{"A", "e1", alice, "10:00:00", "11111111-1111-4111-8111-111111111111"}, {"A", "e2", alice, "10:01:00", "11111111-1111-4111-8111-111111111111"},
				{"A", "e3", alice, "10:02:00", "22222222-2222-4222-8222-222222222222"}, {"A", "e4", alice, "10:03:00", "arn:aws:kms:us-east-1:111122223333:key/11111111-1111-4111-8111-111111111111"},
				{"A", "e5", alice, "10:04:00", "33333333-3333-4333-8333-333333333333"}},
			want:      []string{"e1 e2 e3 e4 e5"},
			wantStats: CorrelationStats{Observed: 5, Alerts: 1, Groups: 1},
		},
		{
			name: "value_count field through an alias",
			correlation: `    type: value_count
    rules: [base_a, base_b]
    group-by: [userIdentity.arn]
    timespan: 10m
    condition: {field: thing, gte: 3}
    aliases:
        thing:
            base_a: requestParameters.keyId
            base_b: eventID
`,
			events:    []ev{{"A", "e1", alice, "10:00:00", "k1"}, {"A", "e2", alice, "10:01:00", "k1"}, {"B", "e3", alice, "10:02:00", ""}, {"A", "e4", alice, "10:03:00", "k2"}},
			want:      []string{"e1 e2 e3 e4"},
			wantStats: CorrelationStats{Observed: 4, Alerts: 1, Groups: 1},
		},
		{
			name: "temporal in any order",
			correlation: `    type: temporal
    rules: [base_a, base_b, base_c]
    group-by: [userIdentity.arn]
    timespan: 5m
`,
			events:    []ev{{"C", "e1", alice, "10:00:00", ""}, {"A", "e2", alice, "10:02:00", ""}, {"A", "e3", bob, "10:02:00", ""}, {"B", "e4", alice, "10:04:00", ""}},
			want:      []string{"e1 e2 e4"},
			wantStats: CorrelationStats{Observed: 4, Alerts: 1, Groups: 2},
		},
		{
			name: "temporal needs every rule",
			correlation: `    type: temporal
    rules: [base_a, base_b, base_c]
    group-by: [userIdentity.arn]
    timespan: 5m
`,
			events:    []ev{{"C", "e1", alice, "10:00:00", ""}, {"A", "e2", alice, "10:02:00", ""}, {"C", "e3", alice, "10:04:00", ""}},
			wantStats: CorrelationStats{Observed: 3, Groups: 1},
		},
		{
			name: "temporal with a condition on distinct rules",
			correlation: `    type: temporal
    rules: [base_a, base_b, base_c]
    group-by: [userIdentity.arn]
    timespan: 5m
    condition: {gte: 2}
`,
			events:    []ev{{"C", "e1", alice, "10:00:00", ""}, {"C", "e2", alice, "10:01:00", ""}, {"A", "e3", alice, "10:02:00", ""}},
			want:      []string{"e1 e2 e3"},
			wantStats: CorrelationStats{Observed: 3, Alerts: 1, Groups: 1},
		},
		{
			name: "temporal_ordered in order", correlation: orderedAB,
			events:    []ev{{"A", "e1", alice, "10:00:00", ""}, {"B", "e2", alice, "10:30:00", ""}},
			want:      []string{"e1 e2"},
			wantStats: CorrelationStats{Observed: 2, Alerts: 1, Groups: 1},
		},
		{
			name: "temporal_ordered out of order does not fire", correlation: orderedAB,
			events:    []ev{{"B", "e1", alice, "10:00:00", ""}, {"A", "e2", alice, "10:30:00", ""}},
			wantStats: CorrelationStats{Observed: 2, Groups: 1},
		},
		{
			name: "temporal_ordered delivered out of order fires by eventTime", correlation: orderedAB,
			events:    []ev{{"B", "e2", alice, "10:30:00", ""}, {"A", "e1", alice, "10:00:00", ""}},
			want:      []string{"e1 e2"},
			wantStats: CorrelationStats{Observed: 2, Alerts: 1, Groups: 1},
		},
		{
			name: "temporal_ordered: the same second counts as in order", correlation: orderedAB,
			events:    []ev{{"B", "e2", alice, "10:00:00", ""}, {"A", "e1", alice, "10:00:00", ""}},
			want:      []string{"e2 e1"}, // equal eventTimes keep arrival order
			wantStats: CorrelationStats{Observed: 2, Alerts: 1, Groups: 1},
		},
		{
			name: "temporal_ordered after many second-rule events", correlation: orderedAB,
			events: []ev{{"B", "b1", alice, "10:00:00", ""}, {"B", "b2", alice, "10:01:00", ""}, {"B", "b3", alice, "10:02:00", ""},
				{"A", "e1", alice, "10:03:00", ""}, {"B", "b1", alice, "10:00:00", ""}, {"B", "e2", alice, "10:04:00", ""}},
			want:      []string{"e1 e2"},
			wantStats: CorrelationStats{Observed: 6, Duplicates: 1, Alerts: 1, Groups: 1},
		},
		{
			name: "temporal_ordered beyond the timespan", correlation: orderedAB,
			events:    []ev{{"A", "e1", alice, "10:00:00", ""}, {"B", "e2", alice, "11:00:01", ""}},
			wantStats: CorrelationStats{Observed: 2, Groups: 1},
		},
		{
			name: "aliases join different fields",
			correlation: `    type: temporal
    rules: [base_a, base_b]
    group-by: [who]
    timespan: 5m
    aliases:
        who:
            base_a: userIdentity.arn
            base_b: requestParameters.keyId
`,
			events:    []ev{{"A", "e1", alice, "10:00:00", ""}, {"B", "e2", bob, "10:01:00", alice}},
			want:      []string{"e1 e2"},
			wantStats: CorrelationStats{Observed: 2, Alerts: 1, Groups: 1},
		},
		{
			name: "range condition is evaluated when the window closes", correlation: rangeCount,
			events:  []ev{{"A", "e1", alice, "10:00:00", ""}, {"A", "e2", alice, "10:01:00", ""}, {"A", "f1", bob, "10:00:00", ""}, {"A", "f2", bob, "10:01:00", ""}, {"A", "f3", bob, "10:02:00", ""}, {"A", "f4", bob, "10:03:00", ""}},
			advance: "10:26:00", // window 10:00-10:10 closes once the watermark passes 10:25
			want:    []string{"e1 e2"},
			// bob's four events are outside gt 1 and lte 3. Both groups stay
			// (closed until 10:10) so that late events of the evaluated
			// window are not counted in a new one.
			wantStats: CorrelationStats{Observed: 6, Alerts: 1, Groups: 2},
		},
		{
			name: "range condition waits for the window", correlation: rangeCount,
			events:    []ev{{"A", "e1", alice, "10:00:00", ""}, {"A", "e2", alice, "10:01:00", ""}},
			advance:   "10:20:00",
			wantStats: CorrelationStats{Observed: 2, Groups: 1},
		},
		{
			name: "eq on distinct values at window close",
			correlation: `    type: value_count
    rules: [base_a]
    group-by: [userIdentity.arn]
    timespan: 10m
    condition: {field: kmsguard.key.arn, eq: 2}
`,
			events: []ev{{"A", "e1", alice, "10:00:00", "11111111-1111-4111-8111-111111111111"}, {"A", "e2", alice, "10:05:00", "22222222-2222-4222-8222-222222222222"},
				{"A", "e3", alice, "10:11:00", "22222222-2222-4222-8222-222222222222"}, {"A", "e4", alice, "10:08:00", "22222222-2222-4222-8222-222222222222"}},
			flush:     true,
			want:      []string{"e1 e2 e4"},
			wantStats: CorrelationStats{Observed: 4, Alerts: 1},
		},
		{
			name: "flush evaluates open windows", correlation: rangeCount,
			events:    []ev{{"A", "e1", alice, "10:00:00", ""}, {"A", "e2", alice, "10:01:00", ""}},
			flush:     true,
			want:      []string{"e1 e2"},
			wantStats: CorrelationStats{Observed: 2, Alerts: 1},
		},
		{
			name: "group cap evicts the least recently updated group", correlation: eventCount3in10m, opts: CorrelatorOptions{MaxGroups: 2},
			events: []ev{{"A", "e1", alice, "10:00:00", ""}, {"A", "e2", alice, "10:00:01", ""}, {"A", "x1", bob, "10:00:02", ""},
				{"A", "y1", "arn:aws:iam::111122223333:user/carol", "10:00:03", ""}, {"A", "e3", alice, "10:00:04", ""}},
			// carol's group evicted alice's (least recently updated); alice starts over.
			wantStats: CorrelationStats{Observed: 5, GroupsEvicted: 2, Groups: 2},
		},
		{
			name: "event cap drops the oldest events and says so", correlation: eventCount3in10m, opts: CorrelatorOptions{MaxEventsPerGroup: 2},
			events:    []ev{{"A", "e1", alice, "10:00:00", ""}, {"A", "e2", alice, "10:00:01", ""}, {"A", "e3", alice, "10:00:02", ""}},
			wantStats: CorrelationStats{Observed: 3, EventsTruncated: 1, Groups: 1},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			h := newHarness(t, tt.correlation, tt.opts)
			got := h.feed(t, tt.events...)
			if tt.advance != "" {
				got = append(got, h.c.Advance(at(tt.advance))...)
			}
			if tt.flush {
				got = append(got, h.c.Flush()...)
			}
			if diff := cmp.Diff(tt.want, eventIDs(got)); diff != "" {
				t.Errorf("alerts (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.wantStats, statsOf(t, h.c)); diff != "" {
				t.Errorf("stats (-want +got):\n%s", diff)
			}
		})
	}
}

const orderedAB = `    type: temporal_ordered
    rules: [base_a, base_b]
    group-by: [userIdentity.arn]
    timespan: 1h
`

const rangeCount = `    type: event_count
    rules: [base_a]
    group-by: [userIdentity.arn]
    timespan: 10m
    condition: {gt: 1, lte: 3}
`

// Rules are matched to correlations by id, so an engine and a correlator
// loaded separately (two Builtin calls) still agree on which rules are silent.
func TestCorrelatorKnowsRulesByID(t *testing.T) {
	forEngine, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	forCorrelator, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCorrelator(forCorrelator, CorrelatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	silent, loud := 0, 0
	for _, r := range forEngine.Rules {
		if c.Standalone(r) {
			loud++
		} else {
			silent++
		}
	}
	if silent == 0 || loud == 0 {
		t.Errorf("%d silent and %d standalone rules seen through a separately loaded set; want both kinds", silent, loud)
	}
}
