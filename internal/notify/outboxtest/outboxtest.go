// Package outboxtest is the contract test suite for notify.Outbox. Every
// implementation runs it: the file outbox in internal/notify, and the SQLite
// and PostgreSQL outboxes in internal/state.
package outboxtest

import (
	"context"
	"fmt"
	"math/rand/v2"
	"slices"
	"testing"
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
	"github.com/kmsguard/kmsguard/internal/notify"
)

// Factory makes outboxes for the suite.
type Factory struct {
	// Open returns a new, empty outbox; the suite calls it once per subtest.
	Open func(t *testing.T) notify.Outbox
	// Reopen closes o and opens the same storage again, as a restart
	// would. Nil skips the restart checks.
	Reopen func(t *testing.T, o notify.Outbox) notify.Outbox
}

var t0 = time.Date(2026, 11, 24, 4, 0, 0, 0, time.UTC)

func mkAlert(id string) alert.Alert {
	return alert.Alert{ID: id, RuleID: "rule-" + id, EventID: "ev-" + id}
}

func ids(ds []notify.Delivery) []string {
	out := []string{}
	for _, d := range ds {
		out = append(out, d.AlertID)
	}
	return out
}

// Run runs every contract test as a subtest.
func Run(t *testing.T, f Factory) {
	t.Run("enqueue dedups per alert and channel", func(t *testing.T) { testEnqueueDedup(t, f) })
	t.Run("claim order, limit and lease", func(t *testing.T) { testClaim(t, f) })
	t.Run("fail reschedules and counts", func(t *testing.T) { testFail(t, f) })
	t.Run("ack and dead letter are final and remembered", func(t *testing.T) { testTerminal(t, f) })
	t.Run("random operations match the model", func(t *testing.T) { testModel(t, f) })
}

func must(t *testing.T, err error) {
	t.Helper()
	if err != nil {
		t.Fatal(err)
	}
}

func testEnqueueDedup(t *testing.T, f Factory) {
	ctx := context.Background()
	o := f.Open(t)
	added, err := o.Enqueue(ctx, mkAlert("a"), []string{"x", "y", "x"}, t0)
	must(t, err)
	if !slices.Equal(added, []string{"x", "y"}) {
		t.Errorf("Enqueue = %q, want [x y]", added)
	}
	added, err = o.Enqueue(ctx, mkAlert("a"), []string{"y", "z"}, t0)
	must(t, err)
	if !slices.Equal(added, []string{"z"}) {
		t.Errorf("second Enqueue = %q, want [z]", added)
	}
	if f.Reopen != nil {
		o = f.Reopen(t, o)
		added, err = o.Enqueue(ctx, mkAlert("a"), []string{"x", "y", "z"}, t0)
		must(t, err)
		if len(added) != 0 {
			t.Errorf("Enqueue after restart = %q, want nothing", added)
		}
	}
	got, err := o.Claim(ctx, "x", t0, time.Minute, 10)
	must(t, err)
	if len(got) != 1 || got[0].Alert.RuleID != "rule-a" || got[0].Channel != "x" || got[0].Attempts != 0 {
		t.Errorf("Claim = %+v, want the stored alert", got)
	}
}

func testClaim(t *testing.T, f Factory) {
	ctx := context.Background()
	o := f.Open(t)
	for i, id := range []string{"c", "a", "b"} {
		_, err := o.Enqueue(ctx, mkAlert(id), []string{"x"}, t0.Add(time.Duration(i)*time.Second))
		must(t, err)
	}
	if got, _ := o.Claim(ctx, "x", t0, time.Minute, 10); !slices.Equal(ids(got), []string{"c"}) {
		t.Errorf("Claim at t0 = %q, want only the one due", ids(got))
	}
	if got, _ := o.Claim(ctx, "y", t0.Add(time.Hour), time.Minute, 10); len(got) != 0 {
		t.Errorf("Claim of another channel = %q", ids(got))
	}
	got, _ := o.Claim(ctx, "x", t0.Add(5*time.Second), time.Minute, 1)
	if !slices.Equal(ids(got), []string{"a"}) {
		t.Errorf("Claim limit 1 = %q, want oldest due first [a]", ids(got))
	}
	if got, _ := o.Claim(ctx, "x", t0.Add(30*time.Second), time.Minute, 10); !slices.Equal(ids(got), []string{"b"}) {
		t.Errorf("Claim during leases = %q, want [b]", ids(got))
	}
	got, _ = o.Claim(ctx, "x", t0.Add(2*time.Minute), time.Minute, 10)
	if !slices.Equal(ids(got), []string{"c", "a", "b"}) {
		t.Errorf("Claim after leases ran out = %q, want [c a b]", ids(got))
	}
}

func testFail(t *testing.T, f Factory) {
	ctx := context.Background()
	o := f.Open(t)
	_, err := o.Enqueue(ctx, mkAlert("a"), []string{"x"}, t0)
	must(t, err)
	d, _ := o.Claim(ctx, "x", t0, time.Minute, 1)
	must(t, o.Fail(ctx, d[0], t0.Add(10*time.Second), "HTTP 500"))
	if got, _ := o.Claim(ctx, "x", t0.Add(9*time.Second), time.Minute, 1); len(got) != 0 {
		t.Error("claimed before the next attempt time")
	}
	if f.Reopen != nil {
		o = f.Reopen(t, o)
	}
	d, _ = o.Claim(ctx, "x", t0.Add(10*time.Second), time.Minute, 1)
	if len(d) != 1 || d[0].Attempts != 1 || d[0].LastError != "HTTP 500" {
		t.Fatalf("Claim after Fail = %+v, want attempts 1 and the reason", d)
	}
	must(t, o.Fail(ctx, d[0], t0.Add(20*time.Second), "HTTP 503"))
	d, _ = o.Claim(ctx, "x", t0.Add(20*time.Second), time.Minute, 1)
	if len(d) != 1 || d[0].Attempts != 2 || d[0].LastError != "HTTP 503" {
		t.Errorf("after a second Fail = %+v", d)
	}
	// The first claim's lease (until 1m10s) is long gone, but the one taken
	// at 20s runs until 1m20s: nothing may be claimed in between.
	if got, _ := o.Claim(ctx, "x", t0.Add(75*time.Second), time.Minute, 10); len(got) != 0 {
		t.Errorf("claimed during a live lease, via an earlier lease's expiry: %+v", got)
	}
	if got, _ := o.Claim(ctx, "x", t0.Add(80*time.Second), time.Minute, 10); len(got) != 1 {
		t.Errorf("not claimable after the live lease ended: %+v", got)
	}
}

func testTerminal(t *testing.T, f Factory) {
	ctx := context.Background()
	o := f.Open(t)
	_, err := o.Enqueue(ctx, mkAlert("a"), []string{"x", "y"}, t0)
	must(t, err)
	dx, _ := o.Claim(ctx, "x", t0, time.Minute, 1)
	dy, _ := o.Claim(ctx, "y", t0, time.Minute, 1)
	must(t, o.Ack(ctx, dx[0], t0))
	must(t, o.DeadLetter(ctx, dy[0], t0, "HTTP 400"))
	if f.Reopen != nil {
		o = f.Reopen(t, o)
	}
	for _, ch := range []string{"x", "y"} {
		if got, _ := o.Claim(ctx, ch, t0.Add(time.Hour), time.Minute, 10); len(got) != 0 {
			t.Errorf("%s: finished delivery claimed again", ch)
		}
	}
	if added, _ := o.Enqueue(ctx, mkAlert("a"), []string{"x", "y"}, t0.Add(time.Hour)); len(added) != 0 {
		t.Errorf("finished deliveries enqueued again: %q", added)
	}
}

type modelEntry struct {
	id, ch           string
	enq, next, lease time.Time
	done             bool
}

func (e *modelEntry) due() time.Time {
	if e.lease.After(e.next) {
		return e.lease
	}
	return e.next
}

// testModel runs random operations against the outbox and a plain model
// of the contract, with restarts when the factory supports them, and
// requires every Enqueue and Claim to agree with it.
func testModel(t *testing.T, f Factory) {
	ctx := context.Background()
	o := f.Open(t)
	rng := rand.New(rand.NewPCG(1, 2))
	now := t0
	model := map[string]*modelEntry{}
	var held []notify.Delivery
	channels := []string{"a", "b"}
	for step := range 600 {
		switch op := rng.IntN(10); {
		case op < 3:
			id := fmt.Sprintf("al-%03d", rng.IntN(30))
			chs := channels[:1+rng.IntN(2)]
			added, err := o.Enqueue(ctx, mkAlert(id), chs, now)
			must(t, err)
			want := []string{}
			for _, c := range chs {
				if model[id+"/"+c] == nil {
					model[id+"/"+c] = &modelEntry{id: id, ch: c, enq: now, next: now}
					want = append(want, c)
				}
			}
			if fmt.Sprint(added) != fmt.Sprint(want) {
				t.Fatalf("step %d: Enqueue(%s) added %q, model %q", step, id, added, want)
			}
		case op < 6:
			c := channels[rng.IntN(2)]
			limit := 1 + rng.IntN(3)
			lease := time.Duration(1+rng.IntN(30)) * time.Second
			got, err := o.Claim(ctx, c, now, lease, limit)
			must(t, err)
			claimable := map[string]*modelEntry{}
			for _, e := range model {
				if e.ch == c && !e.done && !e.due().After(now) {
					claimable[e.id] = e
				}
			}
			// Which due deliveries come first is only pinned down by the
			// ordered subtest: implementations may order by NextAttempt or
			// by lease end. Here: the right number, all claimable, no
			// repeats.
			if len(got) != min(limit, len(claimable)) {
				t.Fatalf("step %d: Claim(%s, limit %d) returned %d, %d are claimable", step, c, limit, len(got), len(claimable))
			}
			for _, d := range got {
				e := claimable[d.AlertID]
				if e == nil {
					t.Fatalf("step %d: Claim(%s) returned %s, which is not claimable", step, c, d.AlertID)
				}
				delete(claimable, d.AlertID)
				e.lease = now.Add(lease)
			}
			held = append(held, got...)
		case op < 8 && len(held) > 0:
			i := rng.IntN(len(held))
			d := held[i]
			held = slices.Delete(held, i, i+1)
			e := model[d.AlertID+"/"+d.Channel]
			if e.done || e.lease.Before(now) {
				continue // the lease ran out; the worker must not report
			}
			switch rng.IntN(3) {
			case 0:
				must(t, o.Ack(ctx, d, now))
				e.done = true
			case 1:
				must(t, o.DeadLetter(ctx, d, now, "x"))
				e.done = true
			default:
				next := now.Add(time.Duration(rng.IntN(20)) * time.Second)
				must(t, o.Fail(ctx, d, next, "x"))
				e.next, e.lease = next, time.Time{}
			}
		case op == 8:
			now = now.Add(time.Duration(rng.IntN(15)) * time.Second)
		case f.Reopen != nil:
			// A restart: every lease has run out by the time work resumes,
			// whether or not the implementation keeps leases.
			o = f.Reopen(t, o)
			now = now.Add(31 * time.Second)
			held = nil
		}
	}
}
