package live

import (
	"time"

	"github.com/kmsguard/kmsguard/internal/inventory/live/clijson"
)

// convert maps every element of in with f, keeping nil apart from empty:
// omitzero leaves an absent list out but prints an empty one as [], as the
// CLI does.
func convert[T, U any](in []T, f func(T) U) []U {
	if in == nil {
		return nil
	}
	out := make([]U, len(in))
	for i, v := range in {
		out[i] = f(v)
	}
	return out
}

// ts converts an SDK timestamp pointer to an optional CLI timestamp.
func ts(t *time.Time) *clijson.Timestamp {
	if t == nil {
		return nil
	}
	v := clijson.Timestamp(*t)
	return &v
}
