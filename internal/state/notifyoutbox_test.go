package state

import (
	"context"
	"path/filepath"
	"testing"

	"github.com/kmsguard/kmsguard/internal/notify"
	"github.com/kmsguard/kmsguard/internal/notify/outboxtest"
)

// notifyOutboxFactory runs notify's outbox contract suite on a store opened
// from the location dsn returns (a fresh one per subtest).
func notifyOutboxFactory(dsn func(t *testing.T) string) outboxtest.Factory {
	type opened struct {
		st   Store
		path string
	}
	open := func(t *testing.T, path string) (notify.Outbox, Store) {
		t.Helper()
		st, err := Open(context.Background(), path)
		if err != nil {
			t.Fatal(err)
		}
		o, err := NewNotifyOutbox(st)
		if err != nil {
			t.Fatal(err)
		}
		return o, st
	}
	stores := map[notify.Outbox]opened{}
	return outboxtest.Factory{
		Open: func(t *testing.T) notify.Outbox {
			path := dsn(t)
			o, st := open(t, path)
			stores[o] = opened{st, path}
			t.Cleanup(func() { _ = st.Close() })
			return o
		},
		Reopen: func(t *testing.T, o notify.Outbox) notify.Outbox {
			old := stores[o]
			if err := old.st.Close(); err != nil {
				t.Fatal(err)
			}
			n, st := open(t, old.path)
			stores[n] = opened{st, old.path}
			t.Cleanup(func() { _ = st.Close() })
			return n
		},
	}
}

func TestNotifyOutboxSQLite(t *testing.T) {
	outboxtest.Run(t, notifyOutboxFactory(func(t *testing.T) string {
		return filepath.Join(t.TempDir(), "state.db")
	}))
}

func TestNotifyOutboxPostgres(t *testing.T) {
	outboxtest.Run(t, notifyOutboxFactory(func(t *testing.T) string { return postgresDSN(t) }))
}

func TestNewNotifyOutboxRejectsForeignStore(t *testing.T) {
	if _, err := NewNotifyOutbox(nil); err == nil {
		t.Fatal("NewNotifyOutbox(nil) succeeded")
	}
}
