package notify

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"time"
)

// defaultCompactSlack is how many records beyond twice the live entries
// the journal may hold before it is rewritten.
const defaultCompactSlack = 1024

// compactEvery bounds how long expired entries linger in the journal.
const compactEvery = time.Hour

// maybeCompact compacts when the journal has grown or an hour has passed.
// A failed compaction leaves the old journal in place (the change that
// triggered it is already durable), so it is only remembered and retried
// after compactEvery; Compact reports errors directly.
func (o *FileOutbox) maybeCompact(now time.Time) {
	if now.Sub(o.lastCompact) < compactEvery && (o.records <= 2*len(o.entries)+o.compactSlack || o.compactErr != nil) {
		return
	}
	o.compactErr = o.compactLocked(now)
	if o.compactErr != nil {
		o.lastCompact = now
	}
}

// CompactError returns the error of the last failed automatic compaction,
// or nil.
func (o *FileOutbox) CompactError() error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.compactErr
}

// Compact rewrites the journal with one record set per remembered delivery
// and forgets delivered and dead-lettered entries finished more than the
// retention period before now.
func (o *FileOutbox) Compact(now time.Time) error {
	o.mu.Lock()
	defer o.mu.Unlock()
	return o.compactLocked(now)
}

func (o *FileOutbox) compactLocked(now time.Time) error {
	keys := make([]outboxKey, 0, len(o.entries))
	for k, e := range o.entries {
		if e.state != statePending && now.Sub(e.doneAt) > o.retention {
			continue
		}
		keys = append(keys, k)
	}
	sort.Slice(keys, func(i, j int) bool {
		if keys[i].alertID != keys[j].alertID {
			return keys[i].alertID < keys[j].alertID
		}
		return keys[i].channel < keys[j].channel
	})
	var buf bytes.Buffer
	n := 0
	add := func(r journalRecord) error {
		b, err := json.Marshal(r)
		if err != nil {
			return err
		}
		buf.Write(b)
		buf.WriteByte('\n')
		n++
		return nil
	}
	for _, k := range keys {
		e := o.entries[k]
		d := e.d
		if err := add(journalRecord{Op: "enqueue", Delivery: &d}); err != nil {
			return fmt.Errorf("outbox: compact: %w", err)
		}
		var err error
		switch e.state {
		case stateDelivered:
			err = add(journalRecord{Op: "ack", AlertID: k.alertID, Channel: k.channel, At: e.doneAt})
		case stateDead:
			err = add(journalRecord{Op: "dead", AlertID: k.alertID, Channel: k.channel, At: e.doneAt, Error: e.d.LastError})
		}
		if err != nil {
			return fmt.Errorf("outbox: compact: %w", err)
		}
	}
	path := filepath.Join(o.dir, journalName)
	tmp := path + ".tmp"
	// Write through the handle we keep: once the rename is done there is
	// nothing left that can fail and leave us appending to a dead file.
	f, err := writeFileSync(tmp, buf.Bytes())
	if err != nil {
		return fmt.Errorf("outbox: compact: %w", err)
	}
	if err := os.Rename(tmp, path); err != nil {
		_ = f.Close()
		return fmt.Errorf("outbox: compact: %w", err)
	}
	if d, err := os.Open(o.dir); err == nil { // make the rename durable
		_ = d.Sync()
		_ = d.Close()
	}
	_ = o.f.Close()
	o.f = f
	o.size = int64(buf.Len())
	o.records = n
	live := make(map[outboxKey]*outboxEntry, len(keys))
	for _, k := range keys {
		live[k] = o.entries[k]
	}
	o.entries = live
	o.lastCompact = now
	o.rebuildQueues()
	return nil
}

// writeFileSync writes b to a new file, fsyncs it and returns it open for
// appending.
func writeFileSync(path string, b []byte) (*os.File, error) {
	f, err := os.OpenFile(path, os.O_RDWR|os.O_CREATE|os.O_TRUNC|os.O_APPEND, 0o600)
	if err != nil {
		return nil, err
	}
	if _, err := f.Write(b); err != nil {
		_ = f.Close()
		return nil, err
	}
	if err := f.Sync(); err != nil {
		_ = f.Close()
		return nil, err
	}
	return f, nil
}

// OutboxEntry is a FileOutbox entry as reported by Entries.
type OutboxEntry struct {
	Delivery
	State  string    `json:"state"` // "pending", "delivered" or "dead"
	DoneAt time.Time `json:"done_at,omitzero"`
}

// Entries lists every remembered delivery, ordered by alert ID and channel
// (for `kmsguard notify outbox` style inspection and for tests).
func (o *FileOutbox) Entries() []OutboxEntry {
	o.mu.Lock()
	defer o.mu.Unlock()
	out := make([]OutboxEntry, 0, len(o.entries))
	for _, e := range o.entries {
		out = append(out, OutboxEntry{Delivery: e.d, State: [...]string{"pending", "delivered", "dead"}[e.state], DoneAt: e.doneAt})
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].AlertID != out[j].AlertID {
			return out[i].AlertID < out[j].AlertID
		}
		return out[i].Channel < out[j].Channel
	})
	return out
}
