package notify

import (
	"context"
	"net/http"

	"github.com/kmsguard/kmsguard/internal/alert"
)

// Channel is one configured destination (a "channel instance", e.g.
// "slack-sec"). Send delivers one alert; a non-nil error is classified with
// IsRetryable and RetryAfterOf, and its message never contains a secret.
type Channel interface {
	Name() string
	Send(ctx context.Context, a alert.Alert) error
}

func clientOr(c *http.Client) *http.Client {
	if c == nil {
		return NewHTTPClient()
	}
	return c
}
