// Package watch is the continuous detection pipeline behind `kmsguard
// watch`: each record a source delivers is matched against the rules,
// its alerts are enriched from the inventory, durably queued for
// notification and added to the alert history, and the whole is measured
// for Prometheus.
package watch

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/cloudtrail"
	"github.com/kmsguard/kmsguard/internal/detect"
)

// DetectFunc turns one record into its alerts. It is the per-record step
// shared with `kmsguard detect`; EngineDetect is the default.
type DetectFunc func(rec *cloudtrail.Record) []alert.Alert

// EngineDetect runs a detection engine on each record and feeds its matches
// to the correlator (nil: none), which also decides which matches alert on
// their own (Sigma's `generate`). Handle runs on several SQS workers at once
// and the correlator is not concurrency-safe, so its calls are serialised.
//
// Its correlation windows live in memory only: a restart starts them
// afresh. Pipeline.Correlation keeps them in the state store instead.
func EngineDetect(e *detect.Engine, c *detect.Correlator) DetectFunc {
	var mu sync.Mutex
	return func(rec *cloudtrail.Record) []alert.Alert {
		matches := e.Match(rec)
		if len(matches) == 0 {
			return nil
		}
		mu.Lock()
		defer mu.Unlock()
		return c.Alerts(matches, rec)
	}
}

// Enricher adds inventory facts to an alert (internal/enrich).
type Enricher interface{ Enrich(a *alert.Alert) }

// Submitter durably queues an alert for its channels (notify.Dispatcher).
// When Submit returns nil the alert survives a crash.
type Submitter interface {
	Submit(ctx context.Context, a alert.Alert) ([]string, error)
}

// History records alerts for `kmsguard alerts` (state.Store).
type History interface {
	RecordAlert(ctx context.Context, a alert.Alert) (added bool, err error)
}

// Pipeline is the per-record step every source calls.
type Pipeline struct {
	// Detect is the detection step when Correlation is nil.
	Detect DetectFunc
	// Correlation, when set, is the detection step instead of Detect, with
	// its correlation windows saved in the state store.
	Correlation *Correlation
	Enrich      Enricher // optional
	Submit      Submitter
	History     History // optional
	Metrics     *Metrics
	Logger      *slog.Logger
	Now         func() time.Time // nil: time.Now
}

// Handle processes one record; it returns nil only once every alert of the
// record is durably queued. It is idempotent: a redelivered record yields
// alerts with the same IDs, which the outbox and history do not take twice.
// Its signature is sqssource.RecordHandler and follow.RecordHandler.
func (p *Pipeline) Handle(ctx context.Context, rec *cloudtrail.Record, receivedAt time.Time) error {
	p.Metrics.event()
	if p.Correlation != nil {
		return p.Correlation.process(ctx, rec, func(alerts []alert.Alert) error {
			return p.queue(ctx, alerts, receivedAt)
		})
	}
	return p.queue(ctx, p.Detect(rec), receivedAt)
}

// Tick moves the correlation watermark to now (the wall clock), so that
// windows close and alert without new events, queues those alerts and
// saves the changed windows. Without Correlation it does nothing. Now is
// the right watermark, not now minus the allowed lateness: the correlator
// already accepts events up to its AllowedLateness behind the watermark.
func (p *Pipeline) Tick(ctx context.Context, now time.Time) error {
	if p.Correlation == nil {
		return nil
	}
	return p.Correlation.advance(ctx, now, func(alerts []alert.Alert) error {
		return p.queue(ctx, alerts, now)
	})
}

// queue enriches, durably queues and records each alert; it returns nil
// only once all are queued.
func (p *Pipeline) queue(ctx context.Context, alerts []alert.Alert, receivedAt time.Time) error {
	for i := range alerts {
		a := &alerts[i]
		if p.Enrich != nil {
			p.Enrich.Enrich(a)
		}
		if _, err := p.Submit.Submit(ctx, *a); err != nil {
			return fmt.Errorf("queue alert %s (rule %s, event %s): %w", a.ID, a.RuleID, a.EventID, err)
		}
		added := true
		if p.History != nil {
			var err error
			if added, err = p.History.RecordAlert(ctx, *a); err != nil {
				return fmt.Errorf("record alert %s in history: %w", a.ID, err)
			}
		}
		if !added {
			continue // a redelivery: already queued and counted
		}
		now := time.Now()
		if p.Now != nil {
			now = p.Now()
		}
		p.Metrics.alert(a.RuleID, now.Sub(a.EventTime), now.Sub(receivedAt))
		if p.Logger != nil {
			p.Logger.Info("alert", "id", a.ID, "rule", a.RuleID, "severity", a.Severity.String(),
				"event_id", a.EventID, "event_name", a.EventName, "actor", a.Actor.ARN)
		}
	}
	return nil
}
