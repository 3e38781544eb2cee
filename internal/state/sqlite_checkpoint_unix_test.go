//go:build unix

package state

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
)

// holdLockEnv makes TestSQLiteCheckpointBusy's child process hold the
// WAL checkpoint lock of the -shm file it names until stdin closes.
const holdLockEnv = "KMSGUARD_TEST_HOLD_CHECKPOINT_LOCK"

// walCheckpointLockByte is SQLite's checkpoint lock in the -shm file
// (WALINDEX_LOCK_OFFSET 120, then the write lock, then this one).
const walCheckpointLockByte = 121

// TestSQLiteCheckpointBusy: while another process holds the checkpoint
// lock, SQLite's PASSIVE checkpoint returns busy without an error; that
// copies nothing and must count and log as a failure, not a success.
func TestSQLiteCheckpointBusy(t *testing.T) {
	if shm := os.Getenv(holdLockEnv); shm != "" {
		holdCheckpointLock(shm)
		return
	}
	ctx := context.Background()
	c, path, logs := checkpointerOnWrittenStore(t, 5)

	child := exec.Command(os.Args[0], "-test.run=^TestSQLiteCheckpointBusy$")
	child.Env = append(os.Environ(), holdLockEnv+"="+path+"-shm")
	stdin, err := child.StdinPipe()
	if err != nil {
		t.Fatal(err)
	}
	stdout, err := child.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	child.Stderr = os.Stderr
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer func() { _ = child.Wait() }()
	defer stdin.Close()
	if line, err := bufio.NewReader(stdout).ReadString('\n'); err != nil || line != "locked\n" {
		t.Fatalf("the lock holder said %q, %v", line, err)
	}

	// One busy checkpoint is what happens when two processes checkpoint
	// at once: counted, not logged.
	c.run(ctx)
	if s := c.stats(); s.CheckpointsBusy != 1 || s.CheckpointFailures != 0 || s.Frames < 0 || s.FramesPending < 0 {
		t.Errorf("checkpoint with the lock held elsewhere: %+v, want 1 busy, no failure, no negative counts", s)
	}
	if logs.String() != "" {
		t.Errorf("one busy checkpoint was logged:\n%s", logs.String())
	}
	// A minute of them is a problem: logged.
	for range checkpointFailureLogEvery - 1 {
		c.run(ctx)
	}
	if s := c.stats(); s.CheckpointsBusy != checkpointFailureLogEvery {
		t.Errorf("CheckpointsBusy = %d, want %d", s.CheckpointsBusy, checkpointFailureLogEvery)
	}
	if got := strings.Count(logs.String(), "WAL checkpoint failed"); got != 1 || !strings.Contains(logs.String(), "SQLITE_BUSY") {
		t.Errorf("%d warnings after %d busy checkpoints in a row, want 1 naming SQLITE_BUSY:\n%s", got, checkpointFailureLogEvery, logs.String())
	}

	stdin.Close() // the holder exits, and the lock goes with it
	_ = child.Wait()
	c.run(ctx)
	if s := c.stats(); s.Frames == 0 || s.CheckpointFailures != 0 {
		t.Errorf("checkpoint once the lock is free: %+v, want frames > 0 and no failure", s)
	}
	if !strings.Contains(logs.String(), "succeeded again") {
		t.Errorf("the recovery is not logged:\n%s", logs.String())
	}
}

// holdCheckpointLock is the child's side: take the lock, say so, and keep
// it until the parent closes stdin.
func holdCheckpointLock(shm string) {
	f, err := os.OpenFile(shm, os.O_RDWR, 0)
	if err != nil {
		fmt.Fprintln(os.Stderr, "open:", err)
		os.Exit(2)
	}
	lock := syscall.Flock_t{Type: syscall.F_WRLCK, Whence: io.SeekStart, Start: walCheckpointLockByte, Len: 1}
	if err := syscall.FcntlFlock(f.Fd(), syscall.F_SETLK, &lock); err != nil {
		fmt.Fprintln(os.Stderr, "lock:", err)
		os.Exit(2)
	}
	fmt.Println("locked")
	_, _ = io.Copy(io.Discard, os.Stdin)
	os.Exit(0)
}
