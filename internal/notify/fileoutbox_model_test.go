package notify

import (
	"context"
	"fmt"
	"math/rand/v2"
	"sort"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// modelEntry is the reference semantics of one outbox entry.
type modelEntry struct {
	id, ch     string
	enq, next  time.Time
	leaseUntil time.Time
	done       bool
	attempts   int
}

// TestFileOutboxMatchesModel runs random operations against FileOutbox
// and a plain filter-and-sort model of the Outbox contract, including a
// reopen now and then, and requires both to claim the same deliveries.
func TestFileOutboxMatchesModel(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	o, err := OpenFileOutbox(dir, 24*time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	defer func() { _ = o.Close() }()
	rng := rand.New(rand.NewPCG(1, 2))
	now := time.Date(2026, 11, 24, 4, 0, 0, 0, time.UTC)
	model := map[string]*modelEntry{}
	var held []Delivery // claimed, not yet finished
	channels := []string{"a", "b"}
	for step := range 800 {
		switch op := rng.IntN(10); {
		case op < 3: // enqueue (sometimes a duplicate)
			a := testAlert()
			a.ID = fmt.Sprintf("al-%03d", rng.IntN(200))
			chs := channels[:1+rng.IntN(2)]
			added, err := o.Enqueue(ctx, a, chs, now)
			if err != nil {
				t.Fatal(err)
			}
			var want []string
			for _, c := range chs {
				if model[a.ID+"/"+c] == nil {
					model[a.ID+"/"+c] = &modelEntry{id: a.ID, ch: c, enq: now, next: now}
					want = append(want, c)
				}
			}
			if !cmp.Equal(added, want, cmp.Comparer(func(x, y []string) bool { return fmt.Sprint(x) == fmt.Sprint(y) })) {
				t.Fatalf("step %d: Enqueue added %q, model %q", step, added, want)
			}
		case op < 6: // claim
			c := channels[rng.IntN(2)]
			max := 1 + rng.IntN(3)
			lease := time.Duration(1+rng.IntN(30)) * time.Second
			got, _ := o.Claim(ctx, c, now, lease, max)
			var due []*modelEntry
			for _, e := range model {
				if e.ch == c && !e.done && !e.next.After(now) && !e.leaseUntil.After(now) {
					due = append(due, e)
				}
			}
			sort.Slice(due, func(i, j int) bool {
				di, dj := maxTime(due[i].next, due[i].leaseUntil), maxTime(due[j].next, due[j].leaseUntil)
				if !di.Equal(dj) {
					return di.Before(dj)
				}
				if !due[i].enq.Equal(due[j].enq) {
					return due[i].enq.Before(due[j].enq)
				}
				return due[i].id < due[j].id
			})
			due = due[:min(max, len(due))]
			var gotIDs, wantIDs []string
			for _, d := range got {
				gotIDs = append(gotIDs, d.AlertID)
			}
			for _, e := range due {
				wantIDs = append(wantIDs, e.id)
				e.leaseUntil = now.Add(lease)
			}
			if fmt.Sprint(gotIDs) != fmt.Sprint(wantIDs) {
				t.Fatalf("step %d: Claim(%s) = %q, model %q", step, c, gotIDs, wantIDs)
			}
			held = append(held, got...)
		case op < 8 && len(held) > 0: // finish a held delivery
			i := rng.IntN(len(held))
			d := held[i]
			held = append(held[:i], held[i+1:]...)
			e := model[d.AlertID+"/"+d.Channel]
			if e.done || e.leaseUntil.Before(now) {
				continue // lease lost: another claim may own it now
			}
			switch rng.IntN(3) {
			case 0:
				_ = o.Ack(ctx, d, now)
				e.done = true
			case 1:
				_ = o.DeadLetter(ctx, d, now, "x")
				e.done = true
			default:
				next := now.Add(time.Duration(rng.IntN(20)) * time.Second)
				_ = o.Fail(ctx, d, next, "x")
				e.next, e.leaseUntil, e.attempts = next, time.Time{}, e.attempts+1
			}
		case op == 8: // time passes
			now = now.Add(time.Duration(rng.IntN(15)) * time.Second)
		default: // restart: leases are forgotten
			_ = o.Close()
			if o, err = OpenFileOutbox(dir, 24*time.Hour); err != nil {
				t.Fatalf("step %d: reopen: %v", step, err)
			}
			for _, e := range model {
				e.leaseUntil = time.Time{}
			}
			held = nil
		}
	}
}

func maxTime(a, b time.Time) time.Time {
	if a.After(b) {
		return a
	}
	return b
}
