package notify

import (
	"container/heap"
	"time"
)

// due is when the entry can next be claimed: its NextAttempt, or the end of
// its lease if that is later.
func (e *outboxEntry) due() time.Time {
	if e.leaseUntil.After(e.d.NextAttempt) {
		return e.leaseUntil
	}
	return e.d.NextAttempt
}

// dueItem is a scheduled claim of an entry. Items are never removed when an
// entry changes; an item whose entry is no longer pending, or whose due
// time no longer matches the entry's, is stale and dropped when it reaches
// the top. That keeps Claim O(log n) however many deliveries are queued or
// remembered.
type dueItem struct {
	e   *outboxEntry
	due time.Time
}

func (it dueItem) stale() bool { return it.e.state != statePending || !it.due.Equal(it.e.due()) }

// dueQueue is a min-heap by due time, then enqueue time, then alert ID.
type dueQueue []dueItem

func (q dueQueue) Len() int { return len(q) }
func (q dueQueue) Less(i, j int) bool {
	a, b := q[i], q[j]
	if !a.due.Equal(b.due) {
		return a.due.Before(b.due)
	}
	if !a.e.d.EnqueuedAt.Equal(b.e.d.EnqueuedAt) {
		return a.e.d.EnqueuedAt.Before(b.e.d.EnqueuedAt)
	}
	return a.e.d.AlertID < b.e.d.AlertID
}
func (q dueQueue) Swap(i, j int) { q[i], q[j] = q[j], q[i] }
func (q *dueQueue) Push(x any)   { *q = append(*q, x.(dueItem)) }
func (q *dueQueue) Pop() any {
	old := *q
	it := old[len(old)-1]
	*q = old[:len(old)-1]
	return it
}

// schedule makes e claimable at its due time.
func (o *FileOutbox) schedule(e *outboxEntry) {
	q := o.queues[e.d.Channel]
	if q == nil {
		q = &dueQueue{}
		o.queues[e.d.Channel] = q
	}
	heap.Push(q, dueItem{e: e, due: e.due()})
}

// rebuildQueues schedules every pending entry afresh, dropping stale items.
func (o *FileOutbox) rebuildQueues() {
	o.queues = map[string]*dueQueue{}
	for _, e := range o.entries {
		if e.state == statePending {
			o.schedule(e)
		}
	}
}

// claimLocked pops up to max due entries of channel and leases them.
func (o *FileOutbox) claimLocked(channel string, now time.Time, lease time.Duration, max int) []Delivery {
	q := o.queues[channel]
	var out []Delivery
	for q != nil && q.Len() > 0 && len(out) < max {
		top := (*q)[0]
		if top.stale() {
			heap.Pop(q)
			continue
		}
		if top.due.After(now) {
			break
		}
		heap.Pop(q)
		top.e.leaseUntil = now.Add(lease)
		out = append(out, top.e.d)
		o.schedule(top.e) // claimable again if the lease runs out
	}
	return out
}
