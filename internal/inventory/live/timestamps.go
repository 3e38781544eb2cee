package live

import (
	"time"

	"github.com/kmsguard/kmsguard/internal/inventory/live/clijson"
)

// ts converts an SDK timestamp pointer to an optional CLI timestamp.
func ts(t *time.Time) *clijson.Timestamp {
	if t == nil {
		return nil
	}
	v := clijson.Timestamp(*t)
	return &v
}
