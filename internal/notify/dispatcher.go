package notify

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"sync"
	"sync/atomic"
	"time"

	"golang.org/x/time/rate"

	"github.com/kmsguard/kmsguard/internal/alert"
)

// DispatcherOptions tune delivery; zero values get sensible defaults.
type DispatcherOptions struct {
	Retry RetryPolicy
	// Limits caps each channel's send rate; channels without one are not
	// limited.
	Limits       map[string]*rate.Limiter
	Clock        Clock                               // nil: SystemClock()
	Jitter       func(n time.Duration) time.Duration // nil: uniform random in [0, n)
	Logger       *slog.Logger                        // nil: slog.Default()
	PollInterval time.Duration                       // idle re-check of the outbox; default 1s
	SendTimeout  time.Duration                       // per attempt; default 30s
	Lease        time.Duration                       // claim lease; default SendTimeout + 1m
}

// DispatcherStats counts outcomes since the dispatcher started.
type DispatcherStats struct {
	Delivered, Retried, DeadLettered int64
}

// Dispatcher routes alerts into the outbox and drains it with one worker
// per channel.
type Dispatcher struct {
	out      Outbox
	router   *Router
	channels map[string]Channel
	order    []string
	opts     DispatcherOptions
	log      *slog.Logger
	wake     map[string]chan struct{}

	mu          sync.Mutex
	pausedUntil map[string]time.Time

	delivered, retried, dead atomic.Int64
}

// NewDispatcher wires an outbox, a router and the channels it may name.
func NewDispatcher(out Outbox, router *Router, channels []Channel, opts DispatcherOptions) (*Dispatcher, error) {
	if out == nil || router == nil {
		return nil, errors.New("dispatcher: outbox and router are required")
	}
	d := &Dispatcher{out: out, router: router, channels: map[string]Channel{},
		wake: map[string]chan struct{}{}, pausedUntil: map[string]time.Time{}}
	for _, c := range channels {
		if _, dup := d.channels[c.Name()]; dup || c.Name() == "" {
			return nil, fmt.Errorf("dispatcher: channel name %q is empty or used twice", c.Name())
		}
		d.channels[c.Name()] = c
		d.order = append(d.order, c.Name())
		d.wake[c.Name()] = make(chan struct{}, 1)
	}
	for _, c := range router.Channels() {
		if d.channels[c] == nil {
			return nil, fmt.Errorf("dispatcher: a route names channel %q, which is not configured", c)
		}
	}
	opts.Retry = opts.Retry.withDefaults()
	if opts.Clock == nil {
		opts.Clock = SystemClock()
	}
	if opts.Logger == nil {
		opts.Logger = slog.Default()
	}
	if opts.PollInterval <= 0 {
		opts.PollInterval = time.Second
	}
	if opts.SendTimeout <= 0 {
		opts.SendTimeout = 30 * time.Second
	}
	if opts.Lease <= 0 {
		opts.Lease = opts.SendTimeout + time.Minute
	}
	d.opts, d.log = opts, opts.Logger
	return d, nil
}

// Submit routes a and durably enqueues one delivery per matching channel.
// When it returns nil, the alert survives a crash (the caller may then, for
// example, delete the SQS message it came from). It returns the channels
// newly queued; an alert already queued or delivered adds none.
func (d *Dispatcher) Submit(ctx context.Context, a alert.Alert) ([]string, error) {
	chs := d.router.Match(a)
	if len(chs) == 0 {
		return nil, nil
	}
	added, err := d.out.Enqueue(ctx, a, chs, d.opts.Clock.Now())
	if err != nil {
		return nil, err
	}
	d.Wake(added)
	return added, nil
}

// Route returns the channels a goes to, for a caller that queues it in
// the outbox itself (inside a wider transaction) instead of Submit.
func (d *Dispatcher) Route(a alert.Alert) []string { return d.router.Match(a) }

// Wake tells the workers of channels that new deliveries are queued: a
// caller that queued them itself calls it after its commit.
func (d *Dispatcher) Wake(channels []string) {
	for _, c := range channels {
		select {
		case d.wake[c] <- struct{}{}:
		default:
		}
	}
}

// Stats returns outcome counters (for metrics).
func (d *Dispatcher) Stats() DispatcherStats {
	return DispatcherStats{Delivered: d.delivered.Load(), Retried: d.retried.Load(), DeadLettered: d.dead.Load()}
}

// Run drains the outbox until ctx ends, one worker per channel. When ctx
// ends no new delivery starts; one in flight finishes (within SendTimeout)
// and is recorded before Run returns.
func (d *Dispatcher) Run(ctx context.Context) error {
	var wg sync.WaitGroup
	for _, name := range d.order {
		wg.Go(func() { d.worker(ctx, name) })
	}
	wg.Wait()
	return nil
}

func (d *Dispatcher) worker(ctx context.Context, name string) {
	for ctx.Err() == nil {
		if _, err := d.DeliverDue(ctx, name); err != nil && ctx.Err() == nil {
			d.log.Error("notify outbox", "channel", name, "error", err)
		}
		wait := d.opts.PollInterval
		if until := d.pauseLeft(name); until > 0 {
			wait = until
		}
		waitCtx, cancel := context.WithCancel(ctx)
		go func() {
			select {
			case <-d.wake[name]:
				if d.pauseLeft(name) <= 0 {
					cancel()
				}
			case <-waitCtx.Done():
			}
		}()
		_ = d.opts.Clock.Sleep(waitCtx, wait)
		cancel()
	}
}

func (d *Dispatcher) pauseLeft(name string) time.Duration {
	d.mu.Lock()
	defer d.mu.Unlock()
	return d.pausedUntil[name].Sub(d.opts.Clock.Now())
}

// DeliverDue attempts every delivery of channel that is due now, one at a
// time, and returns how many it attempted. It stops early while the channel
// is paused by a server's Retry-After. Run calls it in a loop; tests and
// one-shot commands call it directly.
func (d *Dispatcher) DeliverDue(ctx context.Context, channel string) (int, error) {
	ch := d.channels[channel]
	if ch == nil {
		return 0, fmt.Errorf("dispatcher: unknown channel %q", channel)
	}
	n := 0
	for ctx.Err() == nil && d.pauseLeft(channel) <= 0 {
		claimed, err := d.out.Claim(ctx, channel, d.opts.Clock.Now(), d.opts.Lease, 1)
		if err != nil {
			return n, err
		}
		if len(claimed) == 0 {
			return n, nil
		}
		if !d.waitRate(ctx, channel) {
			return n, nil // shutting down; the lease returns the delivery
		}
		n++
		if err := d.attempt(ctx, ch, claimed[0]); err != nil {
			return n, err
		}
	}
	return n, nil
}

// waitRate waits for the channel's rate limiter; false means ctx ended.
func (d *Dispatcher) waitRate(ctx context.Context, channel string) bool {
	lim := d.opts.Limits[channel]
	if lim == nil {
		return true
	}
	now := d.opts.Clock.Now()
	r := lim.ReserveN(now, 1)
	if !r.OK() {
		return true // burst 0 would block forever; treat as unlimited
	}
	if err := d.opts.Clock.Sleep(ctx, r.DelayFrom(now)); err != nil {
		r.CancelAt(d.opts.Clock.Now())
		return false
	}
	return true
}

// attempt sends one delivery and records the outcome; only outbox errors
// are returned. The send and its bookkeeping run on a context that ignores
// cancellation (bounded by SendTimeout), so a shutdown lets an in-flight
// delivery finish and be recorded instead of cutting it off and sending it
// again after the restart.
//
// Between the channel accepting a delivery and the ack's commit, a crash
// repeats the delivery after the restart (with the same idempotency key),
// so the ack comes first, before any logging or counting.
func (d *Dispatcher) attempt(ctx context.Context, ch Channel, dl Delivery) error {
	ctx = context.WithoutCancel(ctx)
	sendCtx, cancel := context.WithTimeout(ctx, d.opts.SendTimeout)
	err := ch.Send(sendCtx, dl.Alert)
	cancel()
	if err == nil {
		ackErr := d.out.Ack(ctx, dl, d.opts.Clock.Now())
		d.delivered.Add(1)
		d.log.Info("notify delivered", "channel", dl.Channel, "alert_id", dl.AlertID, "rule_id", dl.Alert.RuleID, "attempt", dl.Attempts+1)
		return ackErr
	}
	now := d.opts.Clock.Now()
	log := d.log.With("channel", dl.Channel, "alert_id", dl.AlertID, "rule_id", dl.Alert.RuleID, "attempt", dl.Attempts+1)
	switch {
	case !IsRetryable(err) || dl.Attempts+1 >= d.opts.Retry.MaxAttempts:
		d.dead.Add(1)
		log.Error("notify gave up", "error", err.Error(), "retryable", IsRetryable(err))
		return d.out.DeadLetter(ctx, dl, now, err.Error())
	default:
		after := RetryAfterOf(err)
		if after > 0 {
			d.mu.Lock()
			d.pausedUntil[dl.Channel] = now.Add(min(after, d.opts.Retry.MaxRetryAfter))
			d.mu.Unlock()
		}
		next := now.Add(d.opts.Retry.Delay(dl.Attempts+1, after, d.opts.Jitter))
		d.retried.Add(1)
		log.Warn("notify retry", "error", err.Error(), "next_attempt", next)
		return d.out.Fail(ctx, dl, next, err.Error())
	}
}
