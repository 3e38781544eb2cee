package notify

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sync"
	"time"

	"github.com/kmsguard/kmsguard/internal/alert"
)

// FileOutbox is an Outbox in one directory: an append-only journal of JSON
// lines (journal.jsonl), fsynced after every change and rewritten
// (compacted) when it grows to more than twice the live entries. It is for
// one process at a time; several workers sharing a queue use the state
// package's database outbox.
//
// Journal records, one JSON object per line:
//
//	{"op":"enqueue","delivery":{...Delivery...}}
//	{"op":"fail","alert_id":"…","channel":"…","attempts":2,"next":"…","error":"…"}
//	{"op":"ack","alert_id":"…","channel":"…","at":"…"}
//	{"op":"dead","alert_id":"…","channel":"…","at":"…","error":"…"}
type FileOutbox struct {
	mu        sync.Mutex
	dir       string
	f         journalFile
	entries   map[outboxKey]*outboxEntry
	queues    map[string]*dueQueue // pending entries per channel, by due time
	records   int                  // lines in the journal
	retention time.Duration        // how long delivered and dead entries are remembered
	// lastCompact is when the journal was last rewritten (zero after open,
	// so the first change of a run compacts).
	lastCompact  time.Time
	compactErr   error
	size         int64 // journal length after the last durable record
	compactSlack int
	// TornTail is the number of bytes of an incomplete last record found
	// (and cut off) when the journal was opened: a write interrupted by a
	// crash, whose change was never acknowledged to the caller.
	TornTail int64
}

// journalFile is what the outbox needs of its open journal (*os.File);
// tests substitute a failing one.
type journalFile interface {
	io.Writer
	Sync() error
	Truncate(size int64) error
	Close() error
}

type outboxKey struct{ alertID, channel string }

type entryState int

const (
	statePending entryState = iota
	stateDelivered
	stateDead
)

type outboxEntry struct {
	d          Delivery
	state      entryState
	doneAt     time.Time
	leaseUntil time.Time
}

type journalRecord struct {
	Op       string    `json:"op"`
	Delivery *Delivery `json:"delivery,omitempty"`
	AlertID  string    `json:"alert_id,omitempty"`
	Channel  string    `json:"channel,omitempty"`
	Attempts int       `json:"attempts,omitempty"`
	Next     time.Time `json:"next,omitzero"`
	At       time.Time `json:"at,omitzero"`
	Error    string    `json:"error,omitempty"`
}

const journalName = "journal.jsonl"

// DefaultRetention is how long a FileOutbox remembers finished deliveries
// for dedup.
const DefaultRetention = 7 * 24 * time.Hour

// OpenFileOutbox opens (creating if needed) the outbox in dir and replays
// its journal. retention 0 means DefaultRetention. A journal line that is
// complete but invalid is an error naming the line; an incomplete last line
// (a crash mid-write) is cut off and counted in TornTail.
func OpenFileOutbox(dir string, retention time.Duration) (*FileOutbox, error) {
	if retention <= 0 {
		retention = DefaultRetention
	}
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	path := filepath.Join(dir, journalName)
	// O_APPEND: after a Truncate the next write still lands at the end.
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_APPEND, 0o600)
	if err != nil {
		return nil, fmt.Errorf("outbox: %w", err)
	}
	o := &FileOutbox{dir: dir, f: f, entries: map[outboxKey]*outboxEntry{}, retention: retention,
		compactSlack: defaultCompactSlack}
	good, err := o.replay(f, path)
	if err != nil {
		_ = f.Close()
		return nil, err
	}
	o.size = good
	if st, err := f.Stat(); err == nil && st.Size() > good {
		o.TornTail = st.Size() - good
		if err := f.Truncate(good); err != nil {
			_ = f.Close()
			return nil, fmt.Errorf("outbox: cut torn tail of %s: %w", path, err)
		}
	}
	if _, err := f.Seek(0, io.SeekEnd); err != nil {
		_ = f.Close()
		return nil, fmt.Errorf("outbox: %w", err)
	}
	o.rebuildQueues()
	return o, nil
}

// replay applies every complete journal line and returns the offset after
// the last one.
func (o *FileOutbox) replay(r io.Reader, path string) (int64, error) {
	br := bufio.NewReader(r)
	var off int64
	for line := 1; ; line++ {
		b, err := br.ReadBytes('\n')
		if errors.Is(err, io.EOF) {
			return off, nil // b, if any, is a torn tail
		}
		if err != nil {
			return off, fmt.Errorf("outbox: read %s: %w", path, err)
		}
		if err := o.apply(bytes.TrimSpace(b)); err != nil {
			return off, fmt.Errorf("outbox: %s line %d (offset %d): %w", path, line, off, err)
		}
		off += int64(len(b))
		o.records++
	}
}

func (o *FileOutbox) apply(line []byte) error {
	if len(line) == 0 {
		return nil
	}
	var rec journalRecord
	if err := json.Unmarshal(line, &rec); err != nil {
		return err
	}
	if rec.Op == "enqueue" {
		if rec.Delivery == nil || rec.Delivery.AlertID == "" || rec.Delivery.Channel == "" {
			return errors.New("enqueue record without delivery alert_id and channel")
		}
		d := *rec.Delivery
		o.entries[outboxKey{d.AlertID, d.Channel}] = &outboxEntry{d: d}
		return nil
	}
	e := o.entries[outboxKey{rec.AlertID, rec.Channel}]
	if e == nil {
		return fmt.Errorf("%s record for unknown delivery (alert %q, channel %q)", rec.Op, rec.AlertID, rec.Channel)
	}
	switch rec.Op {
	case "fail":
		e.d.Attempts, e.d.NextAttempt, e.d.LastError = rec.Attempts, rec.Next, rec.Error
	case "ack":
		e.state, e.doneAt = stateDelivered, rec.At
	case "dead":
		e.state, e.doneAt, e.d.LastError = stateDead, rec.At, rec.Error
	default:
		return fmt.Errorf("unknown op %q", rec.Op)
	}
	return nil
}

// write appends records and fsyncs; on failure the in-memory state is not
// changed by the caller, so memory never runs ahead of the disk.
func (o *FileOutbox) write(recs ...journalRecord) error {
	var buf bytes.Buffer
	for _, r := range recs {
		b, err := json.Marshal(r)
		if err != nil {
			return fmt.Errorf("outbox: %w", err)
		}
		buf.Write(b)
		buf.WriteByte('\n')
	}
	_, err := o.f.Write(buf.Bytes())
	if err == nil {
		err = o.f.Sync()
	}
	if err != nil {
		// Cut off whatever part of the records reached the file (disk
		// full, I/O error), so that later appends do not follow a torn line
		// and the journal stays readable.
		if terr := o.f.Truncate(o.size); terr != nil {
			return fmt.Errorf("outbox: append: %w (and restoring the journal failed: %w)", err, terr)
		}
		return fmt.Errorf("outbox: append: %w", err)
	}
	o.size += int64(buf.Len())
	o.records += len(recs)
	return nil
}

// Enqueue implements Outbox.
func (o *FileOutbox) Enqueue(_ context.Context, a alert.Alert, channels []string, now time.Time) ([]string, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	id := DedupKey(a)
	var added []string
	var recs []journalRecord
	seen := map[string]bool{}
	for _, ch := range channels {
		if seen[ch] || o.entries[outboxKey{id, ch}] != nil {
			continue
		}
		seen[ch] = true
		d := Delivery{AlertID: id, Channel: ch, Alert: a, EnqueuedAt: now, NextAttempt: now}
		recs = append(recs, journalRecord{Op: "enqueue", Delivery: &d})
		added = append(added, ch)
	}
	if len(recs) == 0 {
		return nil, nil
	}
	if err := o.write(recs...); err != nil {
		return nil, err
	}
	for _, r := range recs {
		e := &outboxEntry{d: *r.Delivery}
		o.entries[outboxKey{id, r.Delivery.Channel}] = e
		o.schedule(e)
	}
	o.maybeCompact(now)
	return added, nil
}

// Claim implements Outbox.
func (o *FileOutbox) Claim(_ context.Context, channel string, now time.Time, lease time.Duration, max int) ([]Delivery, error) {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.claimLocked(channel, now, lease, max), nil
}

func (o *FileOutbox) entry(d Delivery) (*outboxEntry, error) {
	e := o.entries[outboxKey{d.AlertID, d.Channel}]
	if e == nil {
		return nil, fmt.Errorf("outbox: no delivery of alert %q to channel %q", d.AlertID, d.Channel)
	}
	return e, nil
}

// Ack implements Outbox.
func (o *FileOutbox) Ack(_ context.Context, d Delivery, now time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, err := o.entry(d)
	if err != nil {
		return err
	}
	if err := o.write(journalRecord{Op: "ack", AlertID: d.AlertID, Channel: d.Channel, At: now}); err != nil {
		return err
	}
	e.state, e.doneAt, e.leaseUntil = stateDelivered, now, time.Time{}
	o.maybeCompact(now)
	return nil
}

// Fail implements Outbox.
func (o *FileOutbox) Fail(_ context.Context, d Delivery, next time.Time, reason string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, err := o.entry(d)
	if err != nil {
		return err
	}
	attempts := e.d.Attempts + 1
	if err := o.write(journalRecord{Op: "fail", AlertID: d.AlertID, Channel: d.Channel, Attempts: attempts, Next: next, Error: reason}); err != nil {
		return err
	}
	e.d.Attempts, e.d.NextAttempt, e.d.LastError, e.leaseUntil = attempts, next, reason, time.Time{}
	o.schedule(e)
	return nil
}

// DeadLetter implements Outbox.
func (o *FileOutbox) DeadLetter(_ context.Context, d Delivery, now time.Time, reason string) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	e, err := o.entry(d)
	if err != nil {
		return err
	}
	if err := o.write(journalRecord{Op: "dead", AlertID: d.AlertID, Channel: d.Channel, At: now, Error: reason}); err != nil {
		return err
	}
	e.state, e.doneAt, e.d.LastError, e.leaseUntil = stateDead, now, reason, time.Time{}
	o.maybeCompact(now)
	return nil
}

// Close closes the journal.
func (o *FileOutbox) Close() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.f.Close()
}
