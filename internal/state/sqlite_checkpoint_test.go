package state

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/kmsguard/kmsguard/internal/severity"
)

func withCheckpointInterval(d time.Duration) Option {
	return func(o *options) { o.walCheckpointInterval = d }
}

// TestSQLiteBackgroundCheckpoint: commits no longer checkpoint the WAL
// themselves, so the background connection must: the pages written reach
// the database file itself (which, without a checkpoint, keeps its size
// after the migration while everything new stays in the WAL), and nothing
// written is lost.
func TestSQLiteBackgroundCheckpoint(t *testing.T) {
	for _, tt := range []struct {
		name     string
		interval time.Duration
		wait     time.Duration
		grows    bool
	}{
		{"running", 20 * time.Millisecond, 10 * time.Second, true},
		{"not yet due", time.Hour, 300 * time.Millisecond, false},
	} {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			path := filepath.Join(t.TempDir(), "state.db")
			st, err := Open(ctx, path, withCheckpointInterval(tt.interval))
			if err != nil {
				t.Fatal(err)
			}
			defer st.Close()
			size := func() int64 {
				fi, err := os.Stat(path)
				if err != nil {
					t.Fatal(err)
				}
				return fi.Size()
			}
			before := size()
			const n = 300
			for i := range n {
				if _, err := st.Enqueue(ctx, sampleAlert(fmt.Sprintf("ckpt-%d", i), "r", severity.High, keyProd), []string{"siem"}); err != nil {
					t.Fatal(err)
				}
			}
			deadline := time.Now().Add(tt.wait)
			for size() == before && time.Now().Before(deadline) {
				time.Sleep(10 * time.Millisecond)
			}
			if grew := size() > before; grew != tt.grows {
				t.Errorf("database file %d -> %d bytes after %d commits; want growth %v", before, size(), n, tt.grows)
			}
			if got, err := st.Pending(ctx, "siem"); err != nil || got != n {
				t.Errorf("Pending = %d, %v; want %d", got, err, n)
			}
		})
	}
}

// TestSQLiteCheckpointFailuresReported: a checkpoint that fails is
// retried, but the WAL grows meanwhile, so each failure is counted, the
// first of a run and every checkpointFailureLogEvery-th are logged, and so
// is the recovery. The real PRAGMA runs before and after the failures.
func TestSQLiteCheckpointFailuresReported(t *testing.T) {
	ctx := context.Background()
	c, _, logs := checkpointerOnWrittenStore(t, 20)

	c.run(ctx)
	if s := c.stats(); s.Frames == 0 || s.CheckpointFailures != 0 {
		t.Fatalf("after 20 commits and a real checkpoint: %+v, want frames > 0 and no failure", s)
	}
	c.checkpoint = func(context.Context) (int64, int64, error) { return 0, 0, errors.New("disk I/O error") }
	const failures = 2*checkpointFailureLogEvery + 1
	for range failures {
		c.run(ctx)
	}
	if got := c.stats().CheckpointFailures; got != failures {
		t.Errorf("CheckpointFailures = %d, want %d", got, failures)
	}
	if got := strings.Count(logs.String(), "WAL checkpoint failed"); got != 3 {
		t.Errorf("%d warnings for %d failures in a row, want 3 (the first, the 60th, the 120th):\n%s", got, failures, logs.String())
	}
	if !strings.Contains(logs.String(), "disk I/O error") {
		t.Errorf("the warning does not say why:\n%s", logs.String())
	}
	c.checkpoint = c.passive
	c.run(ctx)
	if !strings.Contains(logs.String(), "succeeded again") || !strings.Contains(logs.String(), fmt.Sprintf("after=%d", failures)) {
		t.Errorf("the recovery is not logged:\n%s", logs.String())
	}
	if got := c.stats().CheckpointFailures; got != failures {
		t.Errorf("CheckpointFailures after recovery = %d, want %d (a total, not a streak)", got, failures)
	}
}

// TestSQLiteWALStats: the store reports its background checkpoints; a
// store without a WAL to watch says so.
func TestSQLiteWALStats(t *testing.T) {
	ctx := context.Background()
	st, err := Open(ctx, filepath.Join(t.TempDir(), "state.db"), withCheckpointInterval(10*time.Millisecond))
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	r, ok := st.(WALReporter)
	if !ok {
		t.Fatal("the SQLite store is no WALReporter")
	}
	if _, err := st.Enqueue(ctx, sampleAlert("wal-stats", "r", severity.High, keyProd), []string{"siem"}); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(10 * time.Second)
	for {
		s, ok := r.WALStats()
		if !ok {
			t.Fatal("WALStats: ok false for SQLite")
		}
		if s.Frames > 0 {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no checkpoint seen the WAL's frames after 10 s: %+v", s)
		}
		time.Sleep(10 * time.Millisecond)
	}
	if _, ok := (&sqlStore{}).WALStats(); ok {
		t.Error("a store without a checkpointer reports WAL stats")
	}
}

// checkpointerOnWrittenStore opens a store, commits n alerts into its WAL
// (its own checkpoints are an hour away) and starts a second checkpointer
// on the file, whose checkpoints the test runs by hand (c.run) and whose
// log it returns.
func checkpointerOnWrittenStore(t *testing.T, n int) (c *checkpointer, path string, logs *syncBuffer) {
	t.Helper()
	ctx := context.Background()
	path = filepath.Join(t.TempDir(), "state.db")
	st, err := Open(ctx, path, withCheckpointInterval(time.Hour))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = st.Close() })
	for i := range n {
		if _, err := st.Enqueue(ctx, sampleAlert(fmt.Sprintf("wal-%d", i), "r", severity.High, keyProd), []string{"siem"}); err != nil {
			t.Fatal(err)
		}
	}
	logs = &syncBuffer{}
	params := url.Values{}
	params.Add("_pragma", "busy_timeout(5000)")
	c, err = startCheckpointer(path, params, time.Hour, slog.New(slog.NewTextHandler(logs, nil)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.stop) // before the store closes: cleanups run last first
	return c, path, logs
}

// syncBuffer is a bytes.Buffer safe for the logger and the test at once.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
