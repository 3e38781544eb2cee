// Package hunt runs detection rules over CloudTrail archives: it reads
// every source in parallel (internal/source), screens each raw record with
// literal checks so that only records some rule could match are decoded,
// matches the candidates (internal/detect) and collects the alerts,
// deduplicated across the whole run and in a deterministic order.
//
// The pipeline, per worker goroutine (one object at a time, GOMAXPROCS
// workers by default):
//
//	inflate + scan (source.Read) -> time window (eventTime, raw) ->
//	prefilter (eventName/eventSource, raw; then the members the rules
//	require, Engine.MayMatchRaw) -> cloudtrail.Decode -> Engine.Match ->
//	sink (dedup by AlertID; correlation plugs in here)
//
// Records no rule could match cost an inflate, a structural scan and an
// allocation-free lookup of eventName and eventSource
// (cloudtrail.RawNameSource); nothing else is kept per record, so memory
// grows with the alerts found, not with the corpus.
package hunt

import (
	"cmp"
	"context"
	"slices"
	"sync"
	"sync/atomic"
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/cloudtrail"
	"github.com/kmsguard/kmsguard/internal/detect"
	"github.com/kmsguard/kmsguard/internal/source"
)

// Options configure Run.
type Options struct {
	Engine *detect.Engine
	// Correlator, when set, receives every match and decides which rules
	// alert on their own (Sigma's generate); nil: every match alerts.
	Correlator *detect.Correlator
	Workers    int // objects read at once; GOMAXPROCS when <= 0
	// Since and Until bound eventTime (inclusive); zero means unbounded.
	// Whole log files whose delivery date is outside are not read.
	Since, Until time.Time
	// Validate decodes every record, not only those a rule could match, so
	// that damage inside a record whose brackets and strings still balance
	// (a missing comma, say) is reported as an input error. Slower.
	Validate bool
}

// Result is what a run found.
type Result struct {
	Alerts      []alert.Alert // one per rule and eventID, sorted by event time, rule id, event id
	Stats       *source.Stats // files, events, skipped files, input errors
	OutOfWindow int64         // records outside Since/Until
	Candidates  int64         // records decoded because a rule could match them
	Duplicates  int64         // alerts not repeated: same rule and eventID seen before
}

// Run reads every source and returns the alerts. Bad input is counted in
// Result.Stats and reading goes on; the error is for a cancelled context.
func Run(ctx context.Context, sources []source.Source, opts Options) (*Result, error) {
	pf := newPrefilter(opts.Engine)
	res := &Result{}
	s := &sink{corr: opts.Correlator, seen: map[string]struct{}{}}
	var outOfWindow, candidates atomic.Int64
	window := !opts.Since.IsZero() || !opts.Until.IsZero()
	stats, err := source.Read(ctx, sources, source.ReadOptions{Workers: opts.Workers, Since: opts.Since, Until: opts.Until},
		func(_ int, it source.Item) error {
			if window && !inWindow(it.Raw, opts.Since, opts.Until) {
				outOfWindow.Add(1)
				return nil
			}
			candidate := pf.candidate(it.Raw)
			if !candidate && !opts.Validate {
				return nil
			}
			rec, err := cloudtrail.Decode(it.Raw)
			if err != nil {
				return it.Errorf("%v", err)
			}
			if !candidate {
				return nil
			}
			candidates.Add(1)
			if matches := opts.Engine.Match(rec); len(matches) > 0 {
				s.add(matches, rec)
			}
			return nil
		})
	res.Stats = stats
	res.OutOfWindow, res.Candidates = outOfWindow.Load(), candidates.Load()
	res.Alerts, res.Duplicates = s.finish()
	return res, err
}

// inWindow reports whether the record's eventTime is within [since,
// until]. A record whose time cannot be read is kept: the rules see it.
func inWindow(raw []byte, since, until time.Time) bool {
	v, ok := cloudtrail.RawString(raw, "eventTime")
	if !ok {
		return true
	}
	t, err := time.Parse(time.RFC3339, string(v))
	if err != nil {
		return true
	}
	return (since.IsZero() || !t.Before(since)) && (until.IsZero() || !t.After(until))
}

// sink collects alerts from all workers. Matches are rare, so one mutex is
// enough; memory is bounded by the alerts kept.
type sink struct {
	mu     sync.Mutex
	corr   *detect.Correlator // nil: no correlation rules
	alerts []alert.Alert
	seen   map[string]struct{} // AlertID of every (rule, eventID) kept
	dups   int64
}

// add records a record's matches. Duplicates (a redelivered record) are
// dropped before the correlator sees them, so they are not counted twice;
// the correlator is called under the lock, which serialises it (it
// tolerates out-of-order event times).
func (s *sink) add(matches []detect.Match, rec *cloudtrail.Record) {
	eventID := rec.String("eventID")
	s.mu.Lock()
	defer s.mu.Unlock()
	fresh := matches[:0:0]
	for _, m := range matches {
		if eventID != "" { // records without an eventID cannot be told apart
			id := detect.AlertID(m.Rule.ID, eventID)
			if _, dup := s.seen[id]; dup {
				if s.corr == nil || s.corr.Standalone(m.Rule) {
					s.dups++ // only matches that would have alerted count as duplicate alerts
				}
				continue
			}
			s.seen[id] = struct{}{}
		}
		fresh = append(fresh, m)
	}
	s.alerts = append(s.alerts, s.corr.Alerts(fresh, rec)...)
}

// finish returns the alerts in a deterministic order: event time, rule id,
// event id, alert id (the order workers met them in is not).
func (s *sink) finish() ([]alert.Alert, int64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.corr != nil {
		s.alerts = append(s.alerts, s.corr.Flush()...)
	}
	out := s.alerts
	slices.SortStableFunc(out, func(a, b alert.Alert) int {
		return cmp.Or(a.EventTime.Compare(b.EventTime), cmp.Compare(a.RuleID, b.RuleID),
			cmp.Compare(a.EventID, b.EventID), cmp.Compare(a.ID, b.ID))
	})
	return out, s.dups
}
