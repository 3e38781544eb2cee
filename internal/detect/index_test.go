package detect

import (
	"slices"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestIndexPlacement(t *testing.T) {
	tests := []struct {
		name      string
		detection string
		want      Prefilter
		watched   []string
	}{
		{
			name:      "source and names",
			detection: "sel:\n    eventSource: kms.amazonaws.com\n    eventName:\n        - DisableKey\n        - EnableKey\ncondition: sel",
			want:      Prefilter{Pairs: []EventKey{{"kms.amazonaws.com", "DisableKey"}, {"kms.amazonaws.com", "EnableKey"}}},
			watched:   []string{"kms.amazonaws.com:DisableKey", "kms.amazonaws.com:EnableKey"},
		},
		{
			name:      "name only, through or of selections",
			detection: "a:\n    eventName: StopLogging\nb:\n    eventName: DeleteTrail\n    awsRegion: x\ncondition: 1 of them",
			want:      Prefilter{Names: []string{"StopLogging", "DeleteTrail"}},
			watched:   []string{"*:StopLogging", "*:DeleteTrail"},
		},
		{
			name:      "source only",
			detection: "sel:\n    eventSource: s3.amazonaws.com\ncondition: sel",
			want:      Prefilter{Sources: []string{"s3.amazonaws.com"}},
			watched:   []string{"s3.amazonaws.com:*"},
		},
		{
			name:      "wildcard name is catch-all",
			detection: "sel:\n    eventName: Delete*\ncondition: sel",
			want:      Prefilter{CatchAll: true},
			watched:   []string{"*"},
		},
		{
			name:      "negated name is catch-all",
			detection: "sel:\n    eventName: Decrypt\ncondition: not sel",
			want:      Prefilter{CatchAll: true},
			watched:   []string{"*"},
		},
		{
			name:      "or with an unconstrained branch is catch-all",
			detection: "a:\n    eventName: DisableKey\nb:\n    awsRegion: x\ncondition: a or b",
			want:      Prefilter{CatchAll: true},
			watched:   []string{"*"},
		},
		{
			name:      "and intersects",
			detection: "a:\n    eventName:\n        - DisableKey\n        - EnableKey\nb:\n    eventName: enablekey\ncondition: a and b",
			want:      Prefilter{Names: []string{"EnableKey"}},
			watched:   []string{"*:EnableKey"},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			eng, err := NewEngine(mustParse(t, ruleWith(tt.detection)), Options{})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, eng.Prefilter()); diff != "" {
				t.Errorf("prefilter (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.watched, WatchedEvents(eng.Rules()[0])); diff != "" {
				t.Errorf("watched (-want +got):\n%s", diff)
			}
		})
	}
}

func TestBuiltinIndex(t *testing.T) {
	set, err := Builtin()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := NewEngine(set, Options{})
	if err != nil {
		t.Fatal(err)
	}
	pf := eng.Prefilter()
	if pf.CatchAll {
		t.Error("a built-in rule is catch-all; every built-in rule must name its events")
	}
	if !slices.Contains(pf.Pairs, EventKey{"kms.amazonaws.com", "ScheduleKeyDeletion"}) {
		t.Errorf("prefilter pairs %v lack kms ScheduleKeyDeletion", pf.Pairs)
	}
	tests := []struct {
		source, name string
		want         int // candidate rules
	}{
		{"kms.amazonaws.com", "ScheduleKeyDeletion", 6}, // rule 1, 1b, 2, 6 and two correlation bases
		{"KMS.amazonaws.com", "schedulekeydeletion", 6},
		{"kms.amazonaws.com", "Decrypt", 0},
		{"kms.amazonaws.com", "DeleteKey", 1},
		{"s3.amazonaws.com", "PutObject", 1},
		{"s3.amazonaws.com", "GetObject", 0},
		{"cloudtrail.amazonaws.com", "StopLogging", 1},
		{"ec2.amazonaws.com", "RunInstances", 0},
	}
	for _, tt := range tests {
		t.Run(tt.source+"/"+tt.name, func(t *testing.T) {
			got := len(eng.index.candidates(tt.source, tt.name, nil))
			if got != tt.want {
				t.Errorf("candidates = %d, want %d", got, tt.want)
			}
			if eng.Wants(tt.source, tt.name) != (tt.want > 0) {
				t.Errorf("Wants = %v, want %v", tt.want <= 0, tt.want > 0)
			}
		})
	}
}
