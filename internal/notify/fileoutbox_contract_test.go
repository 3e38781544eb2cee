package notify_test

import (
	"testing"
	"time"

	"github.com/kmsguard/kmsguard/internal/notify"
	"github.com/kmsguard/kmsguard/internal/notify/outboxtest"
)

// TestFileOutboxContract runs the shared Outbox suite, with restarts.
func TestFileOutboxContract(t *testing.T) {
	dirs := map[notify.Outbox]string{}
	open := func(t *testing.T, dir string) notify.Outbox {
		o, err := notify.OpenFileOutbox(dir, 24*time.Hour)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { _ = o.Close() })
		dirs[o] = dir
		return o
	}
	outboxtest.Run(t, outboxtest.Factory{
		Open: func(t *testing.T) notify.Outbox { return open(t, t.TempDir()) },
		Reopen: func(t *testing.T, o notify.Outbox) notify.Outbox {
			if err := o.(*notify.FileOutbox).Close(); err != nil {
				t.Fatal(err)
			}
			return open(t, dirs[o])
		},
	})
}
