package state

import (
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"github.com/kmsguard/kmsguard/internal/severity"
)

// crashDBEnv tells a re-executed test binary to act as the crashing worker.
const crashDBEnv = "KMSGUARD_STATE_CRASH_DB"

// TestSQLiteCrashSafety runs a worker in a child process that commits state
// and then dies by SIGKILL without closing the store; everything it committed
// must be there when the database is opened again, and the item it held a
// lease on must return to the queue when the lease expires.
func TestSQLiteCrashSafety(t *testing.T) {
	if path := os.Getenv(crashDBEnv); path != "" {
		crashingWorker(t, path)
		return
	}
	path := filepath.Join(t.TempDir(), "state.db")
	cmd := exec.Command(os.Args[0], "-test.run=^TestSQLiteCrashSafety$", "-test.count=1")
	cmd.Env = append(os.Environ(), crashDBEnv+"="+path)
	out, err := cmd.CombinedOutput()
	var exitErr *exec.ExitError
	if !errors.As(err, &exitErr) || exitErr.Sys().(syscall.WaitStatus).Signal() != syscall.SIGKILL {
		t.Fatalf("worker did not die by SIGKILL: %v\n%s", err, out)
	}
	if fi, err := os.Stat(path + "-wal"); err != nil || fi.Size() == 0 {
		t.Fatalf("expected the commits still in the write-ahead log after the crash: %v", err)
	}

	ctx := context.Background()
	clock := newTestClock()
	clock.Advance(time.Hour) // past the dead worker's lease
	st := openStore(t, path, clock)
	if pos, ok, err := st.GetCheckpoint(ctx, "s3://trail"); err != nil || !ok || pos != "key-42" {
		t.Errorf("checkpoint after crash = %q, %v, %v; want key-42", pos, ok, err)
	}
	if first, err := st.MarkSeen(ctx, "dedup-1", clock.Now().Add(time.Hour)); err != nil || first {
		t.Errorf("dedup key after crash: first = %v, %v; want false (still seen)", first, err)
	}
	if w, ok, err := st.LoadWindow(ctx, "corr", "alice"); err != nil || !ok || string(w.State) != "window" {
		t.Errorf("window after crash = %q, %v, %v; want the saved state", w.State, ok, err)
	}
	if recs, err := st.RecentAlerts(ctx, AlertQuery{}); err != nil || len(recs) != 1 || recs[0].Alert.ID != "al-1" {
		t.Errorf("history after crash = %+v, %v; want al-1", recs, err)
	}
	items, err := st.Claim(ctx, "slack", time.Minute, 10)
	if err != nil || len(items) != 1 || items[0].AlertID != "al-1" || items[0].Attempts != 2 {
		t.Errorf("claim after crash = %+v, %v; want al-1 on its second attempt", items, err)
	}
	if n, err := st.Pending(ctx, "email"); err != nil || n != 0 {
		t.Errorf("email item acked before the crash is pending again: %d, %v", n, err)
	}
}

// crashingWorker commits one of everything, then kills its own process.
func crashingWorker(t *testing.T, path string) {
	ctx := context.Background()
	clock := newTestClock()
	st, err := Open(ctx, path, WithClock(clock.Now))
	if err != nil {
		t.Fatal(err)
	}
	a := sampleAlert("al-1", "r", severity.High)
	steps := []func() error{
		func() error { return st.SetCheckpoint(ctx, "s3://trail", "key-42") },
		func() error { _, err := st.MarkSeen(ctx, "dedup-1", clock.Now().Add(24*time.Hour)); return err },
		func() error {
			_, err := st.SaveWindow(ctx, Window{RuleID: "corr", GroupKey: "alice", State: []byte("window"), ExpiresAt: clock.Now().Add(24 * time.Hour)})
			return err
		},
		func() error { _, err := st.RecordAlert(ctx, a); return err },
		func() error { _, err := st.Enqueue(ctx, a, []string{"slack", "email"}); return err },
		func() error { _, err := st.Claim(ctx, "slack", time.Minute, 1); return err },
		func() error {
			items, err := st.Claim(ctx, "email", time.Minute, 1)
			if err != nil || len(items) != 1 {
				return errors.Join(err, errors.New("no email item"))
			}
			return st.Ack(ctx, items[0])
		},
	}
	for i, step := range steps {
		if err := step(); err != nil {
			t.Fatalf("step %d: %v", i, err)
		}
	}
	_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
	time.Sleep(time.Minute) // the signal arrives first
}
