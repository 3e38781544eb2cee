package notify

import (
	"context"
	"math/rand/v2"
	"time"
)

// Clock is the dispatcher's view of time; tests replace it to run retries
// and rate limits without sleeping.
type Clock interface {
	Now() time.Time
	// Sleep waits d or until ctx ends, returning ctx.Err() in that case.
	Sleep(ctx context.Context, d time.Duration) error
}

type systemClock struct{}

// SystemClock is the real clock.
func SystemClock() Clock { return systemClock{} }

func (systemClock) Now() time.Time { return time.Now() }

func (systemClock) Sleep(ctx context.Context, d time.Duration) error {
	if d <= 0 {
		return ctx.Err()
	}
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// RetryPolicy bounds redelivery: exponential backoff with full jitter (the
// wait before attempt n+1 is uniform in [0, min(Max, Base·2^(n-1)))), at
// most MaxAttempts attempts, and a server's Retry-After honoured up to
// MaxRetryAfter.
type RetryPolicy struct {
	MaxAttempts   int           // total attempts including the first; default 8
	Base          time.Duration // default 2s
	Max           time.Duration // default 5m
	MaxRetryAfter time.Duration // default 1h
}

func (p RetryPolicy) withDefaults() RetryPolicy {
	if p.MaxAttempts <= 0 {
		p.MaxAttempts = 8
	}
	if p.Base <= 0 {
		p.Base = 2 * time.Second
	}
	if p.Max <= 0 {
		p.Max = 5 * time.Minute
	}
	if p.MaxRetryAfter <= 0 {
		p.MaxRetryAfter = time.Hour
	}
	return p
}

// Ceiling is the upper bound of the jittered wait after the given number of
// failed attempts (1 for the first failure).
func (p RetryPolicy) Ceiling(failures int) time.Duration {
	p = p.withDefaults()
	d := p.Base
	for i := 1; i < failures && d < p.Max; i++ {
		d *= 2
	}
	return min(d, p.Max)
}

// Delay is the wait before the next attempt: full jitter over Ceiling, but
// never less than the server's Retry-After (capped at MaxRetryAfter).
// jitter returns a uniform value in [0, n); nil uses math/rand/v2.
func (p RetryPolicy) Delay(failures int, retryAfter time.Duration, jitter func(n time.Duration) time.Duration) time.Duration {
	p = p.withDefaults()
	if jitter == nil {
		jitter = rand.N[time.Duration]
	}
	d := jitter(p.Ceiling(failures))
	return max(d, min(retryAfter, p.MaxRetryAfter))
}
