package state

import (
	"context"
	"database/sql"
	"errors"
	"log/slog"
	"net/url"
	"sync"
	"sync/atomic"
	"time"
)

// walCheckpointInterval is how often a store's background connection
// copies the SQLite write-ahead log back into the database file.
//
// Why not SQLite's automatic checkpoint: it runs inside the commit that
// crosses 1,000 WAL pages, on the store's only connection, so that commit
// (and every statement queued behind it, such as the ack of a delivery the
// channel has just accepted) waits for the copy and its fsync. A PASSIVE
// checkpoint on a second connection runs beside the writer without
// blocking it. BenchmarkSQLiteAckWindow/busy, five interleaved pairs on
// the shared 2-core machine (load 7-8): p99 of the accept-to-ack window
// 6.3-24.1 ms (median 18.7) with the automatic checkpoint, 9.1-18.1 ms
// (median 10.6) with the background one; the median window is unchanged
// (about 0.4 ms).
const walCheckpointInterval = time.Second

// checkpointFailureLogEvery: while checkpoints keep failing, every this
// many failures in a row log one more warning (one a minute at the default
// interval), so a lasting problem stays visible without flooding the log.
const checkpointFailureLogEvery = 60

// WALStats describe a SQLite store's write-ahead log, as its background
// checkpoints see it. A failing checkpoint is not an error of any call,
// but the WAL then grows without bound: watch exports these as metrics.
type WALStats struct {
	CheckpointFailures int64 // checkpoints that returned an error, since Open
	// CheckpointsBusy counts checkpoints skipped because another
	// connection held the checkpoint lock: normal now and then when
	// several processes share the file, a problem when it lasts.
	CheckpointsBusy int64
	Frames          int64 // frames in the WAL at the last successful checkpoint
	FramesPending   int64 // of those, frames it could not copy yet (readers still need them)
}

// WALReporter is implemented by every store; ok is false for backends
// without a write-ahead log to watch (PostgreSQL manages its own).
type WALReporter interface {
	WALStats() (stats WALStats, ok bool)
}

// checkpointer runs PASSIVE checkpoints on its own connection until stop.
type checkpointer struct {
	db     *sql.DB
	path   string
	log    *slog.Logger
	cancel context.CancelFunc
	done   sync.WaitGroup
	// checkpoint runs one checkpoint and returns the WAL's frames and how
	// many of them are checkpointed (tests replace it to make it fail).
	checkpoint func(ctx context.Context) (frames, copied int64, err error)

	failures, busy, frames, pending atomic.Int64
	// The current run of checkpoints that copied nothing: its length,
	// whether an error was logged in it, whether anything was. Only the
	// loop and stop touch them.
	streak        int64
	erred, warned bool
}

// startCheckpointer opens a second connection to the database at path with
// params and checkpoints every interval, logging failures to log.
func startCheckpointer(path string, params url.Values, interval time.Duration, log *slog.Logger) (*checkpointer, error) {
	db, err := sql.Open("sqlite", path+"?"+params.Encode())
	if err != nil {
		return nil, err
	}
	db.SetMaxOpenConns(1)
	ctx, cancel := context.WithCancel(context.Background())
	c := &checkpointer{db: db, path: path, log: log, cancel: cancel}
	c.checkpoint = c.passive
	c.done.Go(func() {
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-ctx.Done():
				return
			case <-t.C:
				c.run(ctx)
			}
		}
	})
	return c, nil
}

// errCheckpointBusy: another connection held the checkpoint lock.
var errCheckpointBusy = errors.New("another connection is checkpointing (SQLITE_BUSY)")

// passive runs PRAGMA wal_checkpoint(PASSIVE), whose row is (busy, frames
// in the WAL, frames checkpointed). A checkpoint that could not take the
// lock is no error to SQLite (busy 1, frames -1) but copied nothing: it
// counts as a failure here.
func (c *checkpointer) passive(ctx context.Context) (frames, copied int64, err error) {
	var busy int64
	if err := c.db.QueryRowContext(ctx, "PRAGMA wal_checkpoint(PASSIVE)").Scan(&busy, &frames, &copied); err != nil {
		return 0, 0, err
	}
	switch {
	case busy != 0:
		return 0, 0, errCheckpointBusy
	case frames < 0 || copied < 0:
		return 0, 0, errors.New("the database is not in WAL mode")
	}
	return frames, copied, nil
}

// run checkpoints once and records the outcome. A failure (the disk
// full, the file unreadable) or a busy lock is retried next tick; the WAL
// grows meanwhile, so each is counted, and logged: the first error of a
// run, every checkpointFailureLogEvery-th checkpoint of a run (a busy
// lock only then: another process checkpointing is no news), and the
// recovery after a logged run.
func (c *checkpointer) run(ctx context.Context) {
	frames, copied, err := c.checkpoint(ctx)
	if err != nil {
		if ctx.Err() != nil {
			return // stopping
		}
		c.streak++
		busy := errors.Is(err, errCheckpointBusy)
		if busy {
			c.busy.Add(1)
		} else {
			c.failures.Add(1)
		}
		if (!busy && !c.erred) || c.streak%checkpointFailureLogEvery == 0 {
			c.log.Warn("state: SQLite WAL checkpoint failed; the write-ahead log grows until one succeeds",
				"path", c.path, "error", err, "in_a_row", c.streak)
			c.warned = true
		}
		c.erred = c.erred || !busy
		return
	}
	if c.warned {
		c.log.Info("state: SQLite WAL checkpoint succeeded again", "path", c.path, "after", c.streak)
	}
	c.streak, c.erred, c.warned = 0, false, false
	c.frames.Store(frames)
	c.pending.Store(max(frames-copied, 0))
}

func (c *checkpointer) stats() WALStats {
	return WALStats{CheckpointFailures: c.failures.Load(), CheckpointsBusy: c.busy.Load(),
		Frames: c.frames.Load(), FramesPending: c.pending.Load()}
}

// stop ends the loop, checkpoints once more and closes the connection.
func (c *checkpointer) stop() {
	c.cancel()
	c.done.Wait()
	c.run(context.Background())
	_ = c.db.Close()
}
