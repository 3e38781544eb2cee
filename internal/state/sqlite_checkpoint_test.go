package state

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
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
