package state

import (
	"context"
	"crypto/rand"
	"database/sql"
	"encoding/hex"
	"errors"
	"fmt"
	"time"
)

// sqlStore implements Store over database/sql. The two backends share this
// code and differ only in their dialect: the SQL text of each statement, how
// a time is passed as an argument, and how migrations are locked.
type sqlStore struct {
	db  *sql.DB
	d   *dialect
	now func() time.Time
	// stop ends the backend's background work (SQLite's checkpointer).
	stop func()
	// wal reports SQLite's write-ahead log; nil for PostgreSQL.
	wal func() WALStats
}

// WALStats implements WALReporter.
func (s *sqlStore) WALStats() (WALStats, bool) {
	if s.wal == nil {
		return WALStats{}, false
	}
	return s.wal(), true
}

// dialect is everything that differs between SQLite and PostgreSQL.
type dialect struct {
	name string
	// timeArg converts a time into a query argument of the backend's time
	// column type.
	timeArg func(time.Time) any
	// lockMigrations runs first in the migration transaction so that only
	// one process migrates at a time ("" if the transaction itself locks).
	lockMigrations   string
	createMigrations string
	migrations       []string
	q                queries
}

// queries holds one SQL statement per operation; the backend files define
// them. Arguments are numbered ($1 in PostgreSQL, ?1 in SQLite) so a value
// can appear twice.
type queries struct {
	getCheckpoint, setCheckpoint                        string
	markSeen, sweepDedup, sweepWindows                  string
	loadWindow, loadWindows, insertWindow, updateWindow string
	deleteWindow                                        string
	// lockWindow takes a transaction-scoped lock on one window key ("" when
	// the backend's write transaction already serialises writers);
	// putWindow stores a window whose lock the transaction holds.
	lockWindow, putWindow                                       string
	enqueue, claim, ack, fail, deadLetter, deadLetters, pending string
	insertAlert, insertAlertKey, recentAlerts                   string
	pruneAlerts, pruneOutbox                                    string
}

// dbTime scans a time stored either as a native timestamp or as Unix
// microseconds; NULL and 0 scan as the zero time.
type dbTime struct{ t time.Time }

func (d *dbTime) Scan(v any) error {
	switch x := v.(type) {
	case nil:
		d.t = time.Time{}
	case int64:
		if x == 0 {
			d.t = time.Time{}
		} else {
			d.t = time.UnixMicro(x).UTC()
		}
	case time.Time:
		d.t = x.UTC()
	default:
		return fmt.Errorf("scan time: unsupported type %T", v)
	}
	return nil
}

// clock returns the store's current time at the precision both backends keep.
func (s *sqlStore) clock() time.Time { return s.now().UTC().Truncate(time.Microsecond) }

func (s *sqlStore) ts(t time.Time) any { return s.d.timeArg(t.UTC().Truncate(time.Microsecond)) }

func (s *sqlStore) Close() error {
	if s.stop != nil {
		s.stop()
	}
	return s.db.Close()
}

// migrate brings the schema to the newest version in one transaction,
// recording each applied version in schema_migrations.
func migrate(ctx context.Context, db *sql.DB, d *dialect, now time.Time) error {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("migrate %s state: %w", d.name, err)
	}
	defer func() { _ = tx.Rollback() }() // a no-op after Commit
	if d.lockMigrations != "" {
		if _, err := tx.ExecContext(ctx, d.lockMigrations); err != nil {
			return fmt.Errorf("migrate %s state: lock: %w", d.name, err)
		}
	}
	if _, err := tx.ExecContext(ctx, d.createMigrations); err != nil {
		return fmt.Errorf("migrate %s state: create schema_migrations: %w", d.name, err)
	}
	var current int
	if err := tx.QueryRowContext(ctx, `SELECT COALESCE(MAX(version), 0) FROM schema_migrations`).Scan(&current); err != nil {
		return fmt.Errorf("migrate %s state: read version: %w", d.name, err)
	}
	if current > len(d.migrations) {
		return fmt.Errorf("migrate %s state: schema version %d is newer than this kmsguard supports (%d): upgrade kmsguard", d.name, current, len(d.migrations))
	}
	for v := current + 1; v <= len(d.migrations); v++ {
		if _, err := tx.ExecContext(ctx, d.migrations[v-1]); err != nil {
			return fmt.Errorf("migrate %s state to version %d: %w", d.name, v, err)
		}
		if _, err := tx.ExecContext(ctx, rebind(d, `INSERT INTO schema_migrations (version, applied_at) VALUES (?1, ?2)`), v, d.timeArg(now)); err != nil {
			return fmt.Errorf("migrate %s state: record version %d: %w", d.name, v, err)
		}
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("migrate %s state: commit: %w", d.name, err)
	}
	return nil
}

// rebind turns SQLite's ?N placeholders into PostgreSQL's $N for the few
// statements written once for both.
func rebind(d *dialect, query string) string {
	if d.name != "postgres" {
		return query
	}
	b := []byte(query)
	for i := range b {
		if b[i] == '?' {
			b[i] = '$'
		}
	}
	return string(b)
}

func (s *sqlStore) GetCheckpoint(ctx context.Context, source string) (string, bool, error) {
	var pos string
	err := s.db.QueryRowContext(ctx, s.d.q.getCheckpoint, source).Scan(&pos)
	if errors.Is(err, sql.ErrNoRows) {
		return "", false, nil
	}
	if err != nil {
		return "", false, fmt.Errorf("get checkpoint %q: %w", source, err)
	}
	return pos, true, nil
}

func (s *sqlStore) SetCheckpoint(ctx context.Context, source, position string) error {
	if _, err := s.db.ExecContext(ctx, s.d.q.setCheckpoint, source, position, s.ts(s.clock())); err != nil {
		return fmt.Errorf("set checkpoint %q: %w", source, err)
	}
	return nil
}

func (s *sqlStore) MarkSeen(ctx context.Context, key string, expiresAt time.Time) (bool, error) {
	res, err := s.db.ExecContext(ctx, s.d.q.markSeen, key, s.ts(expiresAt), s.ts(s.clock()))
	if err != nil {
		return false, fmt.Errorf("mark seen %q: %w", key, err)
	}
	n, err := res.RowsAffected()
	if err != nil {
		return false, fmt.Errorf("mark seen %q: %w", key, err)
	}
	return n == 1, nil
}

func (s *sqlStore) Sweep(ctx context.Context) (SweepStats, error) {
	now := s.ts(s.clock())
	var st SweepStats
	for _, step := range []struct {
		query string
		count *int
		what  string
	}{
		{s.d.q.sweepDedup, &st.DedupKeys, "dedup keys"},
		{s.d.q.sweepWindows, &st.Windows, "windows"},
	} {
		res, err := s.db.ExecContext(ctx, step.query, now)
		if err != nil {
			return st, fmt.Errorf("sweep expired %s: %w", step.what, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return st, fmt.Errorf("sweep expired %s: %w", step.what, err)
		}
		*step.count = int(n)
	}
	return st, nil
}

func (s *sqlStore) Prune(ctx context.Context, before time.Time) (PruneStats, error) {
	var st PruneStats
	for _, step := range []struct {
		query string
		count *int
		what  string
	}{
		{s.d.q.pruneAlerts, &st.Alerts, "alert history"},
		{s.d.q.pruneOutbox, &st.OutboxItems, "finished outbox items"},
	} {
		res, err := s.db.ExecContext(ctx, step.query, s.ts(before))
		if err != nil {
			return st, fmt.Errorf("prune %s: %w", step.what, err)
		}
		n, err := res.RowsAffected()
		if err != nil {
			return st, fmt.Errorf("prune %s: %w", step.what, err)
		}
		*step.count = int(n)
	}
	return st, nil
}

// newLeaseToken returns a random token naming one claim.
func newLeaseToken() string {
	var b [16]byte
	_, _ = rand.Read(b[:]) // crypto/rand.Read never fails on Linux
	return hex.EncodeToString(b[:])
}
