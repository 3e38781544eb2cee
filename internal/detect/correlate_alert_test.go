package detect

import (
	"encoding/json"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/severity"
)

// builtinCorrelation runs the events of a built-in correlation's first
// match sample and returns the alerts.
func builtinCorrelation(t *testing.T, id string) (*Correlation, []alert.Alert) {
	t.Helper()
	set, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := NewEngine(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCorrelator(set, CorrelatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range set.Correlations {
		if k.ID != id {
			continue
		}
		var out []alert.Alert
		for _, ev := range k.Samples[0].Events {
			rec := record(t, ev)
			for _, m := range eng.Match(rec) {
				out = append(out, c.Observe(m, rec)...)
			}
		}
		return k, append(out, c.Flush()...)
	}
	t.Fatalf("no built-in correlation %s", id)
	return nil, nil
}

func TestCorrelationAlert(t *testing.T) {
	const id = "a62c5a46-8805-4a4c-9332-16d8467f4960"
	k, got := builtinCorrelation(t, id)
	if len(got) != 1 {
		t.Fatalf("%d alerts, want 1", len(got))
	}
	const mallory = "arn:aws:iam::111122223333:user/mallory"
	key := func(id string) string { return "arn:aws:kms:us-east-1:111122223333:key/" + id }
	want := alert.Alert{
		ID:          AlertID(id, `["`+mallory+`"]`+"\x00c0a10004-0000-4000-8000-000000000001"),
		RuleID:      id,
		RuleTitle:   k.Title,
		Severity:    severity.Critical,
		Tags:        k.Tags,
		Description: k.Description,
		EventID:     "c0a10004-0000-4000-8000-000000000001",
		EventTime:   time.Date(2026, 11, 20, 10, 0, 0, 0, time.UTC),
		EventName:   "DisableKey,ScheduleKeyDeletion",
		AccountID:   "111122223333",
		Region:      "us-east-1",
		Outcome:     "success",
		Actor:       alert.Actor{ARN: mallory},
		KeyARNs:     []string{key("1234abcd-12ab-34cd-56ef-1234567890ab"), key("2345bcde-23bc-45de-67f0-234567890abc"), key("3456cdef-34cd-56ef-7801-34567890abcd")},
		EventIDs:    []string{"c0a10004-0000-4000-8000-000000000001", "c0a10004-0000-4000-8000-000000000002", "c0a10004-0000-4000-8000-000000000003"},
		Details: map[string]string{
			"correlation_type": "value_count", "window_start": "2026-11-20T10:00:00Z", "window_end": "2026-11-20T10:04:00Z",
			"timespan": "10m", "event_count": "3", "condition": "gte 3", "matched": "3",
			"group.userIdentity.arn": mallory, "actor_arns": mallory,
			"values": strings.Join([]string{key("1234abcd-12ab-34cd-56ef-1234567890ab"), key("2345bcde-23bc-45de-67f0-234567890abc"), key("3456cdef-34cd-56ef-7801-34567890abcd")}, ","),
		},
	}
	if diff := cmp.Diff(want, got[0], cmpopts.IgnoreFields(alert.Alert{}, "Guide")); diff != "" {
		t.Errorf("alert (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(got[0].Guide, mallory+" disabled or scheduled") {
		t.Errorf("guide not rendered from the group-by values:\n%s", got[0].Guide)
	}
}

func TestTemporalOrderedAlertUsesAlias(t *testing.T) {
	_, got := builtinCorrelation(t, "5d0f3f7e-8c1a-4b6e-9d2f-7a3b4c5d6e7f")
	if len(got) != 1 {
		t.Fatalf("%d alerts, want 1", len(got))
	}
	a := got[0]
	if a.Details["group.principal"] != "arn:aws:iam::111122223333:user/mallory" || a.Severity != severity.High ||
		a.EventName != "PutUserPolicy,ScheduleKeyDeletion" || len(a.EventIDs) != 2 || len(a.KeyARNs) != 1 {
		t.Errorf("alert %+v", a)
	}
	if !strings.HasPrefix(a.Guide, "arn:aws:iam::111122223333:user/mallory changed IAM") {
		t.Errorf("guide: %s", a.Guide)
	}
}

func TestCorrelationField(t *testing.T) {
	tests := []struct {
		name, event, path, want string
	}{
		{"plain path", `{"userIdentity":{"arn":"a"}}`, "userIdentity.arn", "a"},
		{"array index", `{"resources":[{"ARN":"r0"},{"ARN":"r1"}]}`, "resources.1.ARN", "r1"},
		{"number", `{"requestParameters":{"n":7}}`, "requestParameters.n", "7"},
		{"object as JSON", `{"requestParameters":{"o":{"b":1,"a":2}}}`, "requestParameters.o", `{"a":2,"b":1}`},
		{"null is missing", `{"a":null}`, "a", ""},
		{"empty is missing", `{"a":""}`, "a", ""},
		{"principal of an IAM user", `{"userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::1:user/u"}}`, PrincipalField, "arn:aws:iam::1:user/u"},
		{"principal of a role session", `{"userIdentity":{"type":"AssumedRole","arn":"arn:aws:sts::1:assumed-role/R/s","sessionContext":{"sessionIssuer":{"arn":"arn:aws:iam::1:role/R"}}}}`, PrincipalField, "arn:aws:iam::1:role/R"},
		{"derived field in the record wins", `{"kmsguard":{"actor":{"principal":"p"}},"userIdentity":{"arn":"a"}}`, PrincipalField, "p"},
		{"key from resources", `{"resources":[{"type":"AWS::KMS::Key","ARN":"arn:aws:kms:eu-west-1:111122223333:key/k"}]}`, KeyARNField, "arn:aws:kms:eu-west-1:111122223333:key/k"},
		{"key from a bare id", `{"awsRegion":"eu-west-1","recipientAccountId":"111122223333","userIdentity":{"arn":"arn:aws-cn:iam::111122223333:user/u"},"requestParameters":{"keyId":"1234abcd-12ab-34cd-56ef-1234567890ab"}}`, KeyARNField, "arn:aws-cn:kms:eu-west-1:111122223333:key/1234abcd-12ab-34cd-56ef-1234567890ab"},
		{"alias is not resolved", `{"awsRegion":"eu-west-1","recipientAccountId":"111122223333","requestParameters":{"keyId":"alias/x"}}`, KeyARNField, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := correlationField(record(t, tt.event), tt.path)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("= %q, %v; want %q", got, ok, tt.want)
			}
		})
	}
}

// TestGroupsExpire checks that groups are dropped once the watermark has
// passed them, and that Dirty reports the deletions for the store.
func TestGroupsExpire(t *testing.T) {
	h := newHarness(t, eventCount3in10m, CorrelatorOptions{})
	h.feed(t, ev{"A", "e1", alice, "10:00:00", ""}, ev{"A", "e2", bob, "10:01:00", ""})
	h.c.Dirty()
	if n := statsOf(t, h.c).Groups; n != 2 {
		t.Fatalf("%d groups, want 2", n)
	}
	h.c.Advance(at("10:25:00")) // horizon 10:00: nothing has expired yet
	if n := statsOf(t, h.c).Groups; n != 2 {
		t.Errorf("%d groups at 10:25, want 2", n)
	}
	h.c.Advance(at("10:26:30")) // horizon 10:01:30
	if n := statsOf(t, h.c).Groups; n != 0 {
		t.Errorf("%d groups at 10:26:30, want 0", n)
	}
	var deleted []string
	for _, w := range h.c.Dirty() {
		if w.Deleted {
			deleted = append(deleted, w.GroupKey)
		}
	}
	if diff := cmp.Diff([]string{groupKey([]string{alice}), groupKey([]string{bob})}, deleted); diff != "" {
		t.Errorf("deleted windows (-want +got):\n%s", diff)
	}
	if !h.c.Watermark().Equal(at("10:26:30")) {
		t.Errorf("watermark %v", h.c.Watermark())
	}
	if got := h.c.Advance(at("10:00:00")); got != nil || !h.c.Watermark().Equal(at("10:26:30")) {
		t.Error("Advance moved the watermark back")
	}
}

func TestStandaloneFollowsGenerate(t *testing.T) {
	for _, tt := range []struct {
		extra string
		want  bool
	}{{"", false}, {"generate: false\n", false}, {"generate: true\n", true}} {
		h := newHarness(t, eventCount3in10m+tt.extra, CorrelatorOptions{})
		for _, r := range h.set.Rules {
			want := tt.want || r.Name == "base_c" // base_c is not referenced
			if got := h.c.Standalone(r); got != want {
				t.Errorf("%q: Standalone(%s) = %v, want %v", tt.extra, r.Name, got, want)
			}
		}
	}
}

func TestGroupKeyIsJSON(t *testing.T) {
	for _, vals := range [][]string{{"arn:aws:iam::1:user/a"}, {`a"b`}, {`a\b`}, {"<&>"}, {"é"}, {"\x01"}, {"a", "b"}, {""}} {
		want, _ := json.Marshal(vals)
		if got := groupKey(vals); got != string(want) {
			t.Errorf("groupKey(%q) = %s, want %s", vals, got, want)
		}
	}
}

func TestAlertsPipelineStep(t *testing.T) {
	set, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := NewEngine(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	c, err := NewCorrelator(set, CorrelatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	var k *Correlation
	for _, x := range set.Correlations {
		if x.ID == "a62c5a46-8805-4a4c-9332-16d8467f4960" {
			k = x
		}
	}
	var withC, withoutC []string
	for _, js := range k.Samples[0].Events {
		rec := record(t, js)
		ms := eng.Match(rec)
		for _, a := range c.Alerts(ms, rec) {
			withC = append(withC, a.RuleID)
		}
		for _, a := range (*Correlator)(nil).Alerts(ms, rec) {
			withoutC = append(withoutC, a.RuleID)
		}
	}
	// DisableKey, ScheduleKeyDeletion (30 days), ScheduleKeyDeletion (7 days):
	// the standalone rules alert on each (configuration change, then the
	// medium or the 7-day rule), the base rules a158a400 and 2bbd7e87 never
	// do, and the correlation fires on the third.
	const config, medium, minimum, base, destructive = "f5696a95-2bdc-44fa-ab2b-949b746e05f0", "fcfcb8c4-0f20-4bf1-bfcf-798516697a85",
		"7bf60909-abe8-4f83-a37d-88fa0a684bd3", "a158a400-9e19-4fac-8461-a418c10a6475", "2bbd7e87-c449-49db-8716-08fa027fbe88"
	want := []string{config, medium, config, medium, config, minimum, "a62c5a46-8805-4a4c-9332-16d8467f4960"}
	wantPlain := []string{config, destructive, medium, base, config, destructive, medium, base, config, destructive, minimum, base}
	if diff := cmp.Diff(want, withC); diff != "" {
		t.Errorf("alerts with the correlator (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(wantPlain, withoutC); diff != "" {
		t.Errorf("alerts without a correlator (-want +got):\n%s", diff)
	}
}
