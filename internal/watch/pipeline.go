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
	"github.com/kmsguard/kmsguard/internal/state"
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

// Router routes an alert to its notify channels and wakes their workers
// (notify.Dispatcher). Correlation alerts are queued in the outbox inside
// the window transaction that decides them, so the pipeline routes them
// itself and wakes the workers after the commit.
type Router interface {
	Route(a alert.Alert) []string
	Wake(channels []string)
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
	// Route routes correlation alerts; nil: Submit, if it is a Router.
	Route   Router
	History History // optional
	Metrics *Metrics
	Logger  *slog.Logger
	Now     func() time.Time // nil: time.Now
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
		}, p.queueTx(ctx, receivedAt))
	}
	return p.queue(ctx, p.Detect(rec), receivedAt)
}

// Tick settles the stored windows of the correlation rules that alert
// when a window closes, at the wall-clock time now, so that they close and
// alert without new events (see Correlation.advance). Without Correlation
// it does nothing. Now is the right watermark, not now minus the allowed
// lateness: the correlator already accepts events up to its
// AllowedLateness behind the watermark.
func (p *Pipeline) Tick(ctx context.Context, now time.Time) error {
	if p.Correlation == nil {
		return nil
	}
	return p.Correlation.advance(ctx, now, p.queueTx(ctx, now))
}

// queueTx returns the step that enriches, routes, queues and records
// correlation alerts inside a window transaction; its after function
// wakes the channel workers and counts and logs the new alerts once the
// transaction has committed. The outbox rows and history entries go to
// the store holding the windows, in their transaction; History only says
// whether a history is kept.
func (p *Pipeline) queueTx(ctx context.Context, receivedAt time.Time) txQueue {
	return func(tx state.WindowTx, alerts []alert.Alert) (func(), error) {
		r := p.Route
		if r == nil {
			r, _ = p.Submit.(Router)
		}
		if r == nil && len(alerts) > 0 {
			return nil, fmt.Errorf("queue correlation alerts: the pipeline has no Router")
		}
		var wake []string
		var fresh []alert.Alert
		for i := range alerts {
			a := &alerts[i]
			if p.Enrich != nil {
				p.Enrich.Enrich(a)
			}
			if chs := r.Route(*a); len(chs) > 0 {
				added, err := tx.Enqueue(ctx, *a, chs, p.now())
				if err != nil {
					return nil, fmt.Errorf("queue alert %s (rule %s, event %s): %w", a.ID, a.RuleID, a.EventID, err)
				}
				wake = append(wake, added...)
			}
			added := true
			if p.History != nil {
				var err error
				if added, err = tx.RecordAlert(ctx, *a); err != nil {
					return nil, fmt.Errorf("record alert %s in history: %w", a.ID, err)
				}
			}
			if added {
				fresh = append(fresh, *a)
			}
		}
		return func() {
			if r != nil {
				r.Wake(wake)
			}
			for i := range fresh {
				p.counted(&fresh[i], receivedAt)
			}
		}, nil
	}
}

func (p *Pipeline) now() time.Time {
	if p.Now != nil {
		return p.Now()
	}
	return time.Now()
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
		p.counted(a, receivedAt)
	}
	return nil
}

// counted measures and logs a new alert.
func (p *Pipeline) counted(a *alert.Alert, receivedAt time.Time) {
	now := p.now()
	p.Metrics.alert(a.RuleID, now.Sub(a.EventTime), now.Sub(receivedAt))
	if p.Logger != nil {
		p.Logger.Info("alert", "id", a.ID, "rule", a.RuleID, "severity", a.Severity.String(),
			"event_id", a.EventID, "event_name", a.EventName, "actor", a.Actor.ARN)
	}
}
