package state

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/stdlib"
)

// migrationLockID is the advisory lock key that serialises schema
// migrations of kmsguard workers sharing one database ("kmsguard" in ASCII).
const migrationLockID = 0x6b6d736775617264

// openPostgres connects to the PostgreSQL database at dsn and migrates its
// schema. Connection problems are reported without the DSN, which may hold
// a password.
func openPostgres(ctx context.Context, dsn string, o options) (Store, error) {
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		return nil, fmt.Errorf("open postgres state: invalid URL (not shown, it may hold a password)")
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(16)
	db.SetConnMaxIdleTime(5 * time.Minute)
	target := fmt.Sprintf("postgres database %q on %s", cfg.Database, cfg.Host)
	if err := db.PingContext(ctx); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open state in %s: %w", target, err)
	}
	if err := migrate(ctx, db, &postgresDialect, o.now().UTC()); err != nil {
		_ = db.Close()
		return nil, fmt.Errorf("open state in %s: %w", target, err)
	}
	return &sqlStore{db: db, d: &postgresDialect, now: o.now}, nil
}

// postgresDialect keeps times as timestamptz; the caller's clock (not the
// server's) decides what is due, so tests can move time.
var postgresDialect = dialect{
	name:           "postgres",
	timeArg:        func(t time.Time) any { return t },
	lockMigrations: fmt.Sprintf(`SELECT pg_advisory_xact_lock(%d)`, int64(migrationLockID)),
	createMigrations: `CREATE TABLE IF NOT EXISTS schema_migrations (
		version    integer PRIMARY KEY,
		applied_at timestamptz NOT NULL
	)`,
	migrations: []string{postgresSchemaV1},
	q: queries{
		getCheckpoint: `SELECT position FROM checkpoints WHERE source = $1`,
		setCheckpoint: `INSERT INTO checkpoints (source, position, updated_at) VALUES ($1, $2, $3)
			ON CONFLICT (source) DO UPDATE SET position = EXCLUDED.position, updated_at = EXCLUDED.updated_at`,

		// Concurrent inserts of one key wait for each other; the loser sees
		// the conflict, finds the key live and changes nothing.
		markSeen: `INSERT INTO dedup_keys (key, expires_at) VALUES ($1, $2)
			ON CONFLICT (key) DO UPDATE SET expires_at = EXCLUDED.expires_at
			WHERE dedup_keys.expires_at <= $3`,
		sweepDedup:   `DELETE FROM dedup_keys WHERE expires_at <= $1`,
		sweepWindows: `DELETE FROM windows WHERE expires_at <= $1`,

		loadWindow: `SELECT state, expires_at, version, updated_at FROM windows
			WHERE rule_id = $1 AND group_key = $2 AND expires_at > $3`,
		loadWindows: `SELECT group_key, state, expires_at, version, updated_at FROM windows
			WHERE rule_id = $1 AND expires_at > $2
			ORDER BY updated_at, group_key LIMIT $3`,
		insertWindow: `INSERT INTO windows (rule_id, group_key, state, expires_at, version, updated_at)
			VALUES ($1, $2, $3, $4, 1, $5)
			ON CONFLICT (rule_id, group_key) DO UPDATE
				SET state = EXCLUDED.state, expires_at = EXCLUDED.expires_at,
				    version = windows.version + 1, updated_at = EXCLUDED.updated_at
				WHERE windows.expires_at <= $5
			RETURNING version`,
		updateWindow: `UPDATE windows SET state = $3, expires_at = $4, version = version + 1, updated_at = $5
			WHERE rule_id = $1 AND group_key = $2 AND version = $6 AND expires_at > $5
			RETURNING version`,
		deleteWindow: `DELETE FROM windows WHERE rule_id = $1 AND group_key = $2`,
		// A row lock (SELECT ... FOR UPDATE) cannot lock a window that does
		// not exist yet, and two workers would then both create it: a
		// transaction-scoped advisory lock on the window's key covers absent
		// rows too, and is released at commit or rollback.
		lockWindow: `SELECT pg_advisory_xact_lock($1)`,
		putWindow: `INSERT INTO windows (rule_id, group_key, state, expires_at, version, updated_at)
			VALUES ($1, $2, $3, $4, 1, $5)
			ON CONFLICT (rule_id, group_key) DO UPDATE
				SET state = EXCLUDED.state, expires_at = EXCLUDED.expires_at,
				    version = windows.version + 1, updated_at = EXCLUDED.updated_at`,

		enqueue: `INSERT INTO outbox (alert_id, channel, payload, next_at, created_at)
			VALUES ($1, $2, $3, $4, $4)
			ON CONFLICT (alert_id, channel) DO NOTHING`,
		// SKIP LOCKED lets concurrent workers each take different rows
		// without waiting; the row lock lasts until the lease is written.
		claim: `UPDATE outbox SET lease_token = $1, lease_until = $2, attempts = attempts + 1
			WHERE id IN (
				SELECT id FROM outbox
				WHERE channel = $3 AND status = 'pending' AND next_at <= $4
				  AND (lease_until IS NULL OR lease_until <= $4)
				ORDER BY next_at, id
				LIMIT $5
				FOR UPDATE SKIP LOCKED)
			RETURNING ` + outboxColumns,
		ack: `UPDATE outbox SET status = 'delivered', done_at = $3, lease_token = '', lease_until = NULL
			WHERE id = $1 AND lease_token = $2 AND status = 'pending'`,
		fail: `UPDATE outbox SET next_at = $3, last_error = $4, lease_token = '', lease_until = NULL
			WHERE id = $1 AND lease_token = $2 AND status = 'pending'`,
		deadLetter: `UPDATE outbox SET status = 'dead', done_at = $3, last_error = $4, lease_token = '', lease_until = NULL
			WHERE id = $1 AND lease_token = $2 AND status = 'pending'`,
		deadLetters: `SELECT ` + outboxColumns + ` FROM outbox
			WHERE status = 'dead' AND ($1 = '' OR channel = $1)
			ORDER BY done_at DESC, id DESC LIMIT $2`,
		pending: `SELECT count(*) FROM outbox WHERE status = 'pending' AND ($1 = '' OR channel = $1)`,

		insertAlert: `INSERT INTO alerts (alert_id, recorded_at, event_time, rule_id, severity, body)
			VALUES ($1, $2, $3, $4, $5, $6)
			ON CONFLICT (alert_id) DO NOTHING
			RETURNING seq`,
		insertAlertKey: `INSERT INTO alert_keys (seq, key_arn) VALUES ($1, $2)`,
		recentAlerts: `SELECT seq, alert_id, recorded_at, body FROM alerts
			WHERE recorded_at >= $1 AND ($2 = '' OR rule_id = $2) AND severity >= $3
			  AND ($4 = '' OR seq IN (SELECT seq FROM alert_keys WHERE key_arn = $4))
			ORDER BY recorded_at DESC, seq DESC LIMIT $5`,
		pruneAlerts: `DELETE FROM alerts WHERE recorded_at < $1`,
		pruneOutbox: `DELETE FROM outbox WHERE status IN ('delivered', 'dead') AND done_at < $1`,
	},
}

// The alert body is text, not jsonb: it is written and read only by
// kmsguard, and text keeps the bytes exactly as written.
const postgresSchemaV1 = `
CREATE TABLE checkpoints (
	source     text PRIMARY KEY,
	position   text NOT NULL,
	updated_at timestamptz NOT NULL
);

CREATE TABLE dedup_keys (
	key        text PRIMARY KEY,
	expires_at timestamptz NOT NULL
);
CREATE INDEX dedup_keys_expiry ON dedup_keys (expires_at);

CREATE TABLE windows (
	rule_id    text NOT NULL,
	group_key  text NOT NULL,
	state      bytea NOT NULL,
	expires_at timestamptz NOT NULL,
	version    bigint NOT NULL,
	updated_at timestamptz NOT NULL,
	PRIMARY KEY (rule_id, group_key)
);
CREATE INDEX windows_expiry ON windows (expires_at);

-- One row per (alert, channel), kept after delivery: the row is the record
-- that the pair was delivered, and the unique key stops it being queued again.
CREATE TABLE outbox (
	id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	alert_id    text NOT NULL,
	channel     text NOT NULL,
	payload     text NOT NULL,
	status      text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
	attempts    integer NOT NULL DEFAULT 0,
	last_error  text NOT NULL DEFAULT '',
	next_at     timestamptz NOT NULL,
	lease_token text NOT NULL DEFAULT '',
	lease_until timestamptz,
	created_at  timestamptz NOT NULL,
	done_at     timestamptz,
	UNIQUE (alert_id, channel)
);
CREATE INDEX outbox_due ON outbox (channel, status, next_at, id);

CREATE TABLE alerts (
	seq         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
	alert_id    text NOT NULL UNIQUE,
	recorded_at timestamptz NOT NULL,
	event_time  timestamptz NOT NULL,
	rule_id     text NOT NULL,
	severity    integer NOT NULL,
	body        text NOT NULL
);
CREATE INDEX alerts_recorded ON alerts (recorded_at);
CREATE INDEX alerts_rule ON alerts (rule_id, recorded_at);

CREATE TABLE alert_keys (
	seq     bigint NOT NULL REFERENCES alerts (seq) ON DELETE CASCADE,
	key_arn text NOT NULL,
	PRIMARY KEY (key_arn, seq)
);
`
