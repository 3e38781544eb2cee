package follow

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kmsguard/kmsguard/internal/cloudtrail"
	"github.com/kmsguard/kmsguard/internal/state"
)

type collector struct {
	mu   sync.Mutex
	ids  []string
	fail bool
}

func (c *collector) handle(_ context.Context, rec *cloudtrail.Record, _ time.Time) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.fail {
		return fmt.Errorf("outbox down")
	}
	c.ids = append(c.ids, rec.EventID())
	return nil
}

func writeLog(t *testing.T, path string, ids ...string) {
	t.Helper()
	body := `{"Records":[`
	for i, id := range ids {
		if i > 0 {
			body += ","
		}
		body += `{"eventVersion":"1.09","eventID":"` + id + `","eventName":"DisableKey","eventSource":"kms.amazonaws.com","eventTime":"2026-03-02T10:00:00Z"}`
	}
	body += "]}"
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(body), 0o644); err != nil {
		t.Fatal(err)
	}
}

func poll(t *testing.T, f *Follower, want int) {
	t.Helper()
	n, err := f.Poll(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if n != want {
		t.Fatalf("Poll read %d files, want %d", n, want)
	}
}

func TestFollowerReadsNewFilesOnceAcrossRestarts(t *testing.T) {
	dir := t.TempDir()
	st, err := state.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	col := &collector{}
	f, err := New(st, Options{Dir: dir}, col.handle)
	if err != nil {
		t.Fatal(err)
	}
	writeLog(t, filepath.Join(dir, "2026/03/02/a.json"), "a1", "a2")
	poll(t, f, 0) // first sight: wait for the writer to finish
	poll(t, f, 1)
	poll(t, f, 0)
	writeLog(t, filepath.Join(dir, "2026/03/02/b.json"), "b1")
	poll(t, f, 0)
	writeLog(t, filepath.Join(dir, "2026/03/02/b.json"), "b1", "b2") // still growing
	poll(t, f, 0)
	poll(t, f, 1)
	if want := []string{"a1", "a2", "b1", "b2"}; !slices.Equal(col.ids, want) {
		t.Errorf("read %q, want %q", col.ids, want)
	}

	// A restart on the same state reads nothing again.
	f2, _ := New(st, Options{Dir: dir}, col.handle)
	poll(t, f2, 0)
	poll(t, f2, 0)
	if len(col.ids) != 4 {
		t.Errorf("restart re-read files: %q", col.ids)
	}
}

func TestFollowerRetriesAFailedFile(t *testing.T) {
	dir := t.TempDir()
	st, err := state.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	col := &collector{fail: true}
	f, _ := New(st, Options{Dir: dir}, col.handle)
	writeLog(t, filepath.Join(dir, "x.json"), "x1")
	poll(t, f, 0)
	// The handler fails: the file is not checkpointed, and Poll says so.
	if n, err := f.Poll(context.Background()); n != 0 || err == nil || !strings.Contains(err.Error(), "x.json") {
		t.Fatalf("Poll = %d, %v; want 0 and an error naming x.json", n, err)
	}
	col.fail = false
	poll(t, f, 1)
	if !slices.Equal(col.ids, []string{"x1"}) {
		t.Errorf("read %q", col.ids)
	}
	if pos, ok, _ := st.GetCheckpoint(context.Background(), checkpointKey(filepath.Join(dir, "x.json"))); !ok || pos == "" {
		t.Errorf("checkpoint = %q, %v", pos, ok)
	}
}

func TestFollowerRunStopsOnCancel(t *testing.T) {
	dir := t.TempDir()
	st, err := state.Open(context.Background(), filepath.Join(t.TempDir(), "state.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	col := &collector{}
	f, _ := New(st, Options{Dir: dir, Interval: 20 * time.Millisecond}, col.handle)
	writeLog(t, filepath.Join(dir, "r.json"), "r1")
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = f.Run(ctx); close(done) }()
	deadline := time.Now().Add(5 * time.Second)
	for time.Now().Before(deadline) {
		col.mu.Lock()
		n := len(col.ids)
		col.mu.Unlock()
		if n == 1 {
			break
		}
		time.Sleep(10 * time.Millisecond)
	}
	cancel()
	<-done
	if !slices.Equal(col.ids, []string{"r1"}) {
		t.Errorf("read %q", col.ids)
	}
}
