package notify

import (
	"context"
	"errors"
	"fmt"
	"time"
)

// DeliveryError is a failed delivery attempt, classified for the retry loop.
type DeliveryError struct {
	// Retryable says whether trying again later can succeed (5xx, 429,
	// timeouts, refused connections); false means the request itself is
	// wrong (4xx, rejected recipients) and retrying only repeats the failure.
	Retryable bool
	// RetryAfter is the wait the server asked for (HTTP Retry-After), zero
	// when it did not say.
	RetryAfter time.Duration
	Err        error
}

func (e *DeliveryError) Error() string {
	kind := "permanent"
	if e.Retryable {
		kind = "retryable"
	}
	if e.RetryAfter > 0 {
		return fmt.Sprintf("%s (%s, retry after %s)", e.Err, kind, e.RetryAfter)
	}
	return fmt.Sprintf("%s (%s)", e.Err, kind)
}

func (e *DeliveryError) Unwrap() error { return e.Err }

// Permanent marks err as not worth retrying.
func Permanent(err error) error { return &DeliveryError{Err: err} }

// Retryable marks err as transient; after is the server-requested wait, or 0.
func Retryable(err error, after time.Duration) error {
	return &DeliveryError{Retryable: true, RetryAfter: after, Err: err}
}

// IsRetryable reports whether a Send error is worth retrying. Errors that a
// channel did not classify are treated as retryable (most are network
// trouble), except context cancellation, which means we are shutting down.
func IsRetryable(err error) bool {
	if err == nil {
		return false
	}
	var de *DeliveryError
	if errors.As(err, &de) {
		return de.Retryable
	}
	return !errors.Is(err, context.Canceled)
}

// RetryAfterOf returns the server-requested wait carried by err, or 0.
func RetryAfterOf(err error) time.Duration {
	var de *DeliveryError
	if errors.As(err, &de) {
		return de.RetryAfter
	}
	return 0
}
