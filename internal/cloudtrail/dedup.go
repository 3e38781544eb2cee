package cloudtrail

import "sync"

// Dedup remembers the most recent event IDs so that a record delivered
// twice (CloudTrail delivers at least once; trails overlap) is processed
// once. It is bounded: after capacity IDs the oldest is forgotten. A
// persistent history across runs belongs to internal/state. Safe for
// concurrent use.
type Dedup struct {
	mu   sync.Mutex
	seen map[string]struct{}
	ring []string
	next int
}

// NewDedup returns a Dedup remembering up to capacity IDs (at least 1).
func NewDedup(capacity int) *Dedup {
	capacity = max(capacity, 1)
	return &Dedup{seen: make(map[string]struct{}, capacity), ring: make([]string, 0, capacity)}
}

// Seen reports whether id was seen before, and remembers it. The empty ID
// is never a duplicate (records without eventID cannot be told apart).
func (d *Dedup) Seen(id string) bool {
	if id == "" {
		return false
	}
	d.mu.Lock()
	defer d.mu.Unlock()
	if _, ok := d.seen[id]; ok {
		return true
	}
	if len(d.ring) < cap(d.ring) {
		d.ring = append(d.ring, id)
	} else {
		delete(d.seen, d.ring[d.next])
		d.ring[d.next] = id
		d.next = (d.next + 1) % len(d.ring)
	}
	d.seen[id] = struct{}{}
	return false
}
