package hunt

import (
	"context"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"testing"

	"github.com/kmsguard/kmsguard/internal/alert"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/cloudtrail/ctgen"
	"github.com/kmsguard/kmsguard/internal/detect"
	"github.com/kmsguard/kmsguard/internal/policy"
	"github.com/kmsguard/kmsguard/internal/source"
)

func builtinEngine(t testing.TB) *detect.Engine {
	t.Helper()
	set, err := detect.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	eng, err := detect.NewEngine(set, detect.Options{Policy: policy.ExposureAnalyzer{}})
	if err != nil {
		t.Fatal(err)
	}
	return eng
}

// builtinOptions run the built-in set as `kmsguard detect` does: with the
// correlator, so generate:false base rules do not alert on their own.
func builtinOptions(t testing.TB) Options {
	t.Helper()
	set, err := detect.Builtin()
	if err != nil {
		t.Fatal(err)
	}
	// One RuleSet for both, as the CLI does.
	eng, err := detect.NewEngine(set, detect.Options{Policy: policy.ExposureAnalyzer{}})
	if err != nil {
		t.Fatal(err)
	}
	corr, err := detect.NewCorrelator(set, detect.CorrelatorOptions{})
	if err != nil {
		t.Fatal(err)
	}
	return Options{Engine: eng, Correlator: corr}
}

// Rule ids of the built-in set, by file, for the recall expectations.
const (
	ruleDisableOrDelete = "fcfcb8c4-0f20-4bf1-bfcf-798516697a85"
	ruleDeletion7Days   = "7bf60909-abe8-4f83-a37d-88fa0a684bd3"
	ruleConfigChange    = "f5696a95-2bdc-44fa-ab2b-949b746e05f0"
	rulePolicyExposed   = "66cbb2f4-017b-448d-bc7f-7e95fe7c8b80"
	ruleGrant           = "0e20847c-10e1-44b5-b85e-c3edd800848e"
	ruleDenied          = "c6420a7c-fd12-4e87-804d-bcdff4e32e19"
	ruleImportedDeleted = "8f8d3aef-3c78-4e9f-92b3-5e015fa17891"
	ruleTrail           = "d0a9a051-7626-4700-8bbd-4d31d1986ea2"
	ruleS3ForeignKey    = "a8ac1382-bd36-4dd0-ac44-cef61aac17c2"
	ruleAWSDestruction  = "65d4e41f-42e5-4f42-940e-0db154daf1f8"
)

// expectedRules is, for each planted kind, the set of rules that must
// alert on it: the specific rule, and the every-change record (rule 2)
// for successful KMS configuration calls.
var expectedRules = map[string][]string{
	ctgen.PlantDisableKey:               {ruleDisableOrDelete, ruleConfigChange},
	ctgen.PlantScheduleKeyDeletion7:     {ruleDeletion7Days, ruleConfigChange}, // rule 1 defers to its 7-day variant
	ctgen.PlantScheduleKeyDeletion30:    {ruleDisableOrDelete, ruleConfigChange},
	ctgen.PlantPutKeyPolicyPublic:       {rulePolicyExposed, ruleConfigChange},
	ctgen.PlantCreateGrantCrossAccount:  {ruleGrant, ruleConfigChange},
	ctgen.PlantScheduleKeyDeletionDeny:  {ruleDenied},
	ctgen.PlantDeleteImportedKeyMat:     {ruleImportedDeleted, ruleConfigChange},
	ctgen.PlantEventSelectorsExcludeKMS: {ruleTrail},
	ctgen.PlantStopLogging:              {ruleTrail},
	ctgen.PlantS3CopyForeignKMSKey:      {ruleS3ForeignKey},
	ctgen.PlantDeleteKeyServiceEvent:    {ruleAWSDestruction},
}

// TestRecall runs the built-in rules over a generated corpus and checks
// that every planted event raised exactly its expected alerts, and that
// nothing else alerted.
func TestRecall(t *testing.T) {
	dir := t.TempDir()
	m, err := ctgen.WriteDir(context.Background(), dir, ctgen.Config{Events: 20000, Seed: 7, PlantEach: 2})
	if err != nil {
		t.Fatal(err)
	}
	src, err := source.Open(filepath.Join(dir, "AWSLogs"), source.Options{})
	if err != nil {
		t.Fatal(err)
	}
	res, err := Run(context.Background(), []source.Source{src}, builtinOptions(t))
	if err != nil {
		t.Fatal(err)
	}
	if res.Stats.Partial() || res.Stats.Events != int64(m.Events) {
		t.Fatalf("read %d events with %d errors, manifest has %d", res.Stats.Events, res.Stats.ErrorCount, m.Events)
	}
	want := map[string][]string{} // eventID -> sorted rule ids
	for kind, ids := range m.Planted {
		rules, ok := expectedRules[kind]
		if !ok {
			t.Fatalf("planted kind %q has no expectation: add it to expectedRules", kind)
		}
		for _, id := range ids {
			want[id] = append(want[id], rules...)
			sort.Strings(want[id])
		}
	}
	got := map[string][]string{}
	for _, a := range res.Alerts {
		got[a.EventID] = append(got[a.EventID], a.RuleID)
	}
	for id := range got {
		sort.Strings(got[id])
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("alerts per planted eventID (-want +got):\n%s", diff)
	}
	if !slices.IsSortedFunc(res.Alerts, func(a, b alertT) int { return a.EventTime.Compare(b.EventTime) }) {
		t.Error("alerts are not sorted by event time")
	}
}

func BenchmarkHunt(b *testing.B) {
	dir := os.Getenv("KMSGUARD_BENCH_CORPUS")
	if dir == "" {
		dir = b.TempDir()
		if _, err := ctgen.WriteDir(context.Background(), dir, ctgen.Config{Events: 50000, Seed: 1}); err != nil {
			b.Fatal(err)
		}
	}
	eng := builtinEngine(b)
	src, err := source.Open(filepath.Join(dir, "AWSLogs"), source.Options{})
	if err != nil {
		b.Fatal(err)
	}
	b.ResetTimer()
	for b.Loop() {
		res, err := Run(context.Background(), []source.Source{src}, Options{Engine: eng})
		if err != nil || res.Stats.Partial() {
			b.Fatal(err, res.Stats.Summary())
		}
		b.ReportMetric(float64(res.Stats.Events), "events/op")
	}
}

type alertT = alert.Alert
