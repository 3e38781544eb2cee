package notify

import (
	"context"
	"errors"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/kmsguard/kmsguard/internal/alert"
)

func openOutbox(t *testing.T, dir string) *FileOutbox {
	t.Helper()
	o, err := OpenFileOutbox(dir, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = o.Close() })
	return o
}

func states(o *FileOutbox) map[string]string {
	m := map[string]string{}
	for _, e := range o.Entries() {
		m[e.AlertID+"/"+e.Channel] = e.State
	}
	return m
}

func TestFileOutboxLifecycle(t *testing.T) {
	ctx := context.Background()
	o := openOutbox(t, t.TempDir())
	now := time.Date(2026, 11, 24, 4, 0, 0, 0, time.UTC)
	a := testAlert()
	added, err := o.Enqueue(ctx, a, []string{"slack", "pd", "slack"}, now)
	if err != nil || !cmp.Equal(added, []string{"slack", "pd"}) {
		t.Fatalf("Enqueue = %q, %v", added, err)
	}
	if added, _ := o.Enqueue(ctx, a, []string{"slack", "pd"}, now); len(added) != 0 {
		t.Errorf("re-Enqueue added %q, want nothing (dedup)", added)
	}
	got, _ := o.Claim(ctx, "slack", now, time.Minute, 10)
	if len(got) != 1 || got[0].AlertID != a.ID || got[0].Alert.RuleID != a.RuleID {
		t.Fatalf("Claim = %+v", got)
	}
	if again, _ := o.Claim(ctx, "slack", now, time.Minute, 10); len(again) != 0 {
		t.Errorf("a leased delivery was claimed twice")
	}
	if err := o.Fail(ctx, got[0], now.Add(10*time.Second), "HTTP 500"); err != nil {
		t.Fatal(err)
	}
	if early, _ := o.Claim(ctx, "slack", now.Add(9*time.Second), time.Minute, 10); len(early) != 0 {
		t.Errorf("claimed before NextAttempt")
	}
	got, _ = o.Claim(ctx, "slack", now.Add(10*time.Second), time.Minute, 10)
	if len(got) != 1 || got[0].Attempts != 1 || got[0].LastError != "HTTP 500" {
		t.Fatalf("Claim after Fail = %+v", got)
	}
	if err := o.Ack(ctx, got[0], now.Add(11*time.Second)); err != nil {
		t.Fatal(err)
	}
	pd, _ := o.Claim(ctx, "pd", now, time.Minute, 10)
	if err := o.DeadLetter(ctx, pd[0], now, "HTTP 400"); err != nil {
		t.Fatal(err)
	}
	for _, ch := range []string{"slack", "pd"} {
		if left, _ := o.Claim(ctx, ch, now.Add(time.Hour), time.Minute, 10); len(left) != 0 {
			t.Errorf("%s: finished delivery claimed again", ch)
		}
	}
	if added, _ := o.Enqueue(ctx, a, []string{"slack", "pd"}, now); len(added) != 0 {
		t.Errorf("Enqueue after delivery added %q", added)
	}
	want := map[string]string{a.ID + "/slack": "delivered", a.ID + "/pd": "dead"}
	if diff := cmp.Diff(want, states(o)); diff != "" {
		t.Errorf("states (-want +got):\n%s", diff)
	}
}

func TestFileOutboxClaimOrderAndLeaseExpiry(t *testing.T) {
	ctx := context.Background()
	o := openOutbox(t, t.TempDir())
	now := time.Date(2026, 11, 24, 4, 0, 0, 0, time.UTC)
	for i, id := range []string{"c", "a", "b"} {
		a := testAlert()
		a.ID = id
		if _, err := o.Enqueue(ctx, a, []string{"x"}, now.Add(time.Duration(i)*time.Second)); err != nil {
			t.Fatal(err)
		}
	}
	got, _ := o.Claim(ctx, "x", now.Add(time.Minute), time.Minute, 2)
	if len(got) != 2 || got[0].AlertID != "c" || got[1].AlertID != "a" {
		t.Fatalf("Claim order = %+v, want oldest first", got)
	}
	// The worker holding c and a "crashed": after the lease they come back.
	later, _ := o.Claim(ctx, "x", now.Add(2*time.Minute), time.Minute, 10)
	if len(later) != 3 {
		t.Errorf("after lease expiry claimed %d, want 3", len(later))
	}
}

func TestFileOutboxSurvivesReopen(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	o, err := OpenFileOutbox(dir, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 4, 0, 0, 0, time.UTC)
	for _, id := range []string{"a1", "a2", "a3"} {
		a := testAlert()
		a.ID = id
		if _, err := o.Enqueue(ctx, a, []string{"slack", "pd"}, now); err != nil {
			t.Fatal(err)
		}
	}
	c, _ := o.Claim(ctx, "slack", now, time.Minute, 3)
	_ = o.Ack(ctx, c[0], now)
	_ = o.Fail(ctx, c[1], now.Add(time.Minute), "boom")
	_ = o.DeadLetter(ctx, c[2], now, "bad")
	_, _ = o.Claim(ctx, "pd", now, time.Minute, 1) // leased, never finished
	before := o.Entries()
	_ = o.Close()

	re := openOutbox(t, dir)
	if diff := cmp.Diff(before, re.Entries()); diff != "" {
		t.Errorf("entries after reopen (-before +after):\n%s", diff)
	}
	if pd, _ := re.Claim(ctx, "pd", now, time.Minute, 10); len(pd) != 3 {
		t.Errorf("after restart %d pd deliveries are claimable, want 3 (leases do not survive)", len(pd))
	}
}

func TestFileOutboxTornTail(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	o, _ := OpenFileOutbox(dir, time.Hour)
	now := time.Date(2026, 11, 24, 4, 0, 0, 0, time.UTC)
	if _, err := o.Enqueue(ctx, testAlert(), []string{"slack"}, now); err != nil {
		t.Fatal(err)
	}
	_ = o.Close()
	torn := `{"op":"ack","alert_id":"a1b2c3d4e5f60718","chan`
	f, _ := os.OpenFile(filepath.Join(dir, journalName), os.O_APPEND|os.O_WRONLY, 0)
	_, _ = f.WriteString(torn)
	_ = f.Close()

	re, err := OpenFileOutbox(dir, time.Hour)
	if err != nil {
		t.Fatalf("reopen with a torn tail: %v", err)
	}
	if re.TornTail != int64(len(torn)) {
		t.Errorf("TornTail = %d, want %d", re.TornTail, len(torn))
	}
	if s := states(re); s["a1b2c3d4e5f60718/slack"] != "pending" {
		t.Errorf("states = %v, want the delivery still pending (the ack never completed)", s)
	}
	c, _ := re.Claim(ctx, "slack", now, time.Minute, 1)
	if err := re.Ack(ctx, c[0], now); err != nil {
		t.Fatal(err)
	}
	_ = re.Close()
	again := openOutbox(t, dir)
	if again.TornTail != 0 || states(again)["a1b2c3d4e5f60718/slack"] != "delivered" {
		t.Errorf("after repair: TornTail %d, states %v", again.TornTail, states(again))
	}
}

func TestFileOutboxRejectsCorruptJournal(t *testing.T) {
	tests := map[string]struct{ journal, want string }{
		"garbage line":   {"{\"op\":\"enqueue\",\"delivery\":{\"alert_id\":\"a\",\"channel\":\"c\"}}\nnot json\n", "line 2"},
		"unknown op":     {"{\"op\":\"enqueue\",\"delivery\":{\"alert_id\":\"a\",\"channel\":\"c\"}}\n{\"op\":\"zap\",\"alert_id\":\"a\",\"channel\":\"c\"}\n", `unknown op "zap"`},
		"ack of nothing": {"{\"op\":\"ack\",\"alert_id\":\"a\",\"channel\":\"c\"}\n", "line 1"},
		"no delivery":    {"{\"op\":\"enqueue\"}\n", "without delivery"},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			dir := t.TempDir()
			if err := os.WriteFile(filepath.Join(dir, journalName), []byte(tt.journal), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := OpenFileOutbox(dir, time.Hour)
			if err == nil || !strings.Contains(err.Error(), tt.want) || !strings.Contains(err.Error(), journalName) {
				t.Fatalf("err = %v, want one naming the journal and %q", err, tt.want)
			}
		})
	}
}

func TestFileOutboxCompaction(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	o, _ := OpenFileOutbox(dir, time.Hour)
	o.compactSlack = 64
	now := time.Date(2026, 11, 24, 4, 0, 0, 0, time.UTC)
	for i := range 300 {
		a := alert.Alert{ID: "alert-" + string(rune('a'+i%26)) + "-" + time.Duration(i).String(), RuleID: "r"}
		if _, err := o.Enqueue(ctx, a, []string{"x"}, now); err != nil {
			t.Fatal(err)
		}
		c, _ := o.Claim(ctx, "x", now, time.Minute, 1)
		if err := o.Fail(ctx, c[0], now, "again"); err != nil { // three records per alert
			t.Fatal(err)
		}
		if i%2 == 0 {
			c, _ = o.Claim(ctx, "x", now, time.Minute, 1)
			if err := o.Ack(ctx, c[0], now); err != nil {
				t.Fatal(err)
			}
		}
	}
	if o.records > 2*len(o.entries)+o.compactSlack {
		t.Errorf("journal has %d records for %d entries: automatic compaction did not run", o.records, len(o.entries))
	}
	if err := o.Compact(now.Add(2 * time.Hour)); err != nil { // past retention
		t.Fatal(err)
	}
	if n := len(o.Entries()); n != 150 {
		t.Errorf("after retention compaction %d entries, want the 150 pending", n)
	}
	before := o.Entries()
	_ = o.Close()
	re := openOutbox(t, dir)
	if diff := cmp.Diff(before, re.Entries()); diff != "" {
		t.Errorf("compacted journal replays differently (-want +got):\n%s", diff)
	}
}

// FuzzJournalReplay: any journal content either opens or fails with an
// error; it never panics, and what opens survives compaction unchanged.
func FuzzJournalReplay(f *testing.F) {
	f.Add([]byte("{\"op\":\"enqueue\",\"delivery\":{\"alert_id\":\"a\",\"channel\":\"c\"}}\n{\"op\":\"ack\",\"alert_id\":\"a\",\"channel\":\"c\",\"at\":\"2026-11-24T04:00:00Z\"}\n"))
	f.Add([]byte("{\"op\":\"enqueue\",\"delivery\":{\"alert_id\":\"a\",\"channel\":\"c\",\"attempts\":2}}\n{\"op\":\"fail\",\"alert_id\":\"a\",\"channel\":\"c\",\"attempts\":3,\"next\":\"2026-11-24T04:00:00Z\"}\n{\"op\":\"dead\""))
	f.Add([]byte("\n\n{}\n"))
	f.Add([]byte("null\n"))
	f.Fuzz(func(t *testing.T, journal []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, journalName), journal, 0o600); err != nil {
			t.Fatal(err)
		}
		o, err := OpenFileOutbox(dir, 100*365*24*time.Hour)
		if err != nil {
			return
		}
		before := o.Entries()
		if err := o.Compact(time.Date(2026, 11, 24, 4, 0, 0, 0, time.UTC)); err != nil {
			t.Fatal(err)
		}
		_ = o.Close()
		re, err := OpenFileOutbox(dir, 100*365*24*time.Hour)
		if err != nil {
			t.Fatalf("compacted journal does not reopen: %v", err)
		}
		defer func() { _ = re.Close() }()
		if diff := cmp.Diff(before, re.Entries()); diff != "" {
			t.Fatalf("compaction changed the entries (-before +after):\n%s", diff)
		}
	})
}

// shortWriter writes half of what it is given, then fails, like a full disk.
type shortWriter struct{ *os.File }

func (w shortWriter) Write(b []byte) (int, error) {
	n, _ := w.File.Write(b[:len(b)/2])
	return n, errors.New("no space left on device")
}

func TestFileOutboxFailedAppendLeavesJournalReadable(t *testing.T) {
	ctx := context.Background()
	dir := t.TempDir()
	o, err := OpenFileOutbox(dir, time.Hour)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 24, 4, 0, 0, 0, time.UTC)
	first := testAlert()
	if _, err := o.Enqueue(ctx, first, []string{"x"}, now); err != nil {
		t.Fatal(err)
	}
	real := o.f.(*os.File)
	o.f = shortWriter{real}
	second := testAlert()
	second.ID = "second"
	if _, err := o.Enqueue(ctx, second, []string{"x"}, now); err == nil || !strings.Contains(err.Error(), "no space") {
		t.Fatalf("Enqueue on a full disk = %v", err)
	}
	o.f = real // space freed
	third := testAlert()
	third.ID = "third"
	if _, err := o.Enqueue(ctx, third, []string{"x"}, now); err != nil {
		t.Fatal(err)
	}
	_ = o.Close()
	re := openOutbox(t, dir)
	want := map[string]string{first.ID + "/x": "pending", "third/x": "pending"}
	if diff := cmp.Diff(want, states(re)); diff != "" || re.TornTail != 0 {
		t.Errorf("after reopen (-want +got):\n%s (torn tail %d)", diff, re.TornTail)
	}
}
