package cli

import (
	"bytes"
	"context"
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/s3"

	"github.com/kmsguard/kmsguard/internal/state/pgtest"
)

// childArgsEnv, when set, makes the test binary run `kmsguard` with these
// arguments (separated by US, 0x1f) instead of the tests: the kill test starts
// itself as the watch process it kills.
const childArgsEnv = "KMSGUARD_TEST_CHILD_ARGS"

func TestMain(m *testing.M) {
	if args := os.Getenv(childArgsEnv); args != "" {
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		code := Run(ctx, strings.Split(args, "\x1f"), os.Stdout, os.Stderr)
		stop()
		os.Exit(code)
	}
	code := m.Run()
	pgtest.Stop()
	os.Exit(code)
}

var (
	killFiles = flag.Int("kill.files", 20, "log files (100 events each) in TestWatchSurvivesKills")
	killCount = flag.Int("kill.kills", 4, "SIGKILLs in TestWatchSurvivesKills")
)

// TestWatchSurvivesKills runs kmsguard watch as a subprocess over
// -kill.files log files and SIGKILLs it at random moments -kill.kills
// times, restarting it each time on the same state. Afterwards every
// expected alert, standalone and correlation, must have reached the
// webhook. Each file's DisableKey calls are one principal disabling ten
// keys at once, so each file yields exactly one bulk-deletion correlation
// alert however the kills fall. A delivery repeated because the process
// died between the webhook's answer and the outbox's ack is the only
// allowed repeat: it carries the same Idempotency-Key, and the receiver,
// which deduplicates by that key, must process every alert exactly once.
func TestWatchSurvivesKills(t *testing.T) {
	e := newWatchEnv(t)
	const eventsPerFile, alertEvery = 100, 10 // a DisableKey every 10th event
	want := map[string]bool{}
	eventTime := time.Now().UTC() // live events: correlation windows follow the wall clock
	for f := range *killFiles {
		key := fmt.Sprintf("AWSLogs/111122223333/CloudTrail/us-east-1/2026/11/24/k%05d.json.gz", f)
		if _, err := e.s3.PutObject(context.Background(), &s3.PutObjectInput{Bucket: aws.String("trail-bucket"), Key: aws.String(key),
			Body: bytes.NewReader(killLog(t, f, eventsPerFile, alertEvery, eventTime, want))}); err != nil {
			t.Fatal(err)
		}
		e.fake.Send(e.queue, e.notification(key))
	}
	args := []string{"watch", "--log-level", "warn", "--sqs-queue", e.queue, "--sqs-endpoint", e.fake.URL,
		"--s3-endpoint", e.s3URL, "--config", e.config, "--state", filepath.Join(e.dir, "state.db"),
		"--sqs-visibility", "1s", "--notify-lease", "2s", "--sqs-workers", "2"}
	rng := rand.New(rand.NewPCG(7, uint64(time.Now().UnixNano())))
	start := time.Now()
	for k := range *killCount {
		cmd, _ := e.child(t, args)
		time.Sleep(time.Duration(150+rng.IntN(600)) * time.Millisecond)
		if err := cmd.Process.Kill(); err != nil {
			t.Fatal(err)
		}
		_ = cmd.Wait()
		t.Logf("kill %d: %d deliveries so far", k+1, e.hook.count())
	}
	final := append(slices.Clone(args), "--log-level", "info")
	cmd, stderr := e.child(t, final)
	expected := alertsPerEvent*len(want) + *killFiles // + one correlation alert per file
	waitForLong(t, 600*time.Second, "every alert delivered", func() bool { return e.distinct() >= expected })
	waitForLong(t, 30*time.Second, "the queue to drain", e.queueEmpty)
	// SIGTERM only once the process handles it (a signal during start-up
	// would kill it before signal.NotifyContext runs).
	waitForLong(t, 30*time.Second, "the final process to start", func() bool { return strings.Contains(stderr.String(), "watching SQS queue") })
	_ = cmd.Process.Signal(syscall.SIGTERM)
	if err := cmd.Wait(); err != nil {
		t.Errorf("final watch process: %v", err)
	}
	elapsed := time.Since(start)

	e.hook.mu.Lock()
	defer e.hook.mu.Unlock()
	events := map[string]int{}
	correlations := map[string]int{} // per file principal
	for i, doc := range e.hook.alerts {
		if e.hook.ids[i] == "" {
			t.Fatalf("delivery %d carries no dedup key", i)
		}
		if doc["rule_id"] == bulkDeletionRule {
			d, _ := doc["details"].(map[string]any)
			g, _ := d["group.userIdentity.arn"].(string)
			correlations[g]++
			continue
		}
		ev, _ := doc["event_id"].(string)
		if !want[ev] {
			t.Errorf("alert for unexpected event %q", ev)
		}
		events[ev]++
	}
	for ev := range want {
		if events[ev] < alertsPerEvent {
			t.Errorf("event %s: %d alerts delivered, want %d (an event was skipped)", ev, events[ev], alertsPerEvent)
		}
	}
	if len(correlations) != *killFiles {
		t.Errorf("correlation alerts for %d principals, want %d (one per file)", len(correlations), *killFiles)
	}
	if e.hook.noKey != 0 {
		t.Errorf("%d deliveries without an Idempotency-Key", e.hook.noKey)
	}
	afterDedup := 0
	for id, n := range e.hook.processed {
		if n > 1 {
			afterDedup += n - 1
			t.Errorf("alert %s processed %d times by a receiver that deduplicates by Idempotency-Key", id, n)
		}
	}
	if len(e.hook.perID) != expected || len(e.hook.processed) != expected {
		t.Errorf("%d distinct alerts delivered (%d processed), want %d", len(e.hook.perID), len(e.hook.processed), expected)
	}
	repeats := len(e.hook.ids) - len(e.hook.perID)
	t.Logf("%d events in %d files, %d kills, %s: %d distinct alerts delivered (%d correlation), %d deliveries in total: "+
		"%d repeated deliveries (raw, same Idempotency-Key), %d duplicates after the receiver's dedup by key",
		len(want)*alertEvery, *killFiles, *killCount, elapsed.Round(time.Second), len(e.hook.perID), len(correlations),
		len(e.hook.ids), repeats, afterDedup)
}

// bulkDeletionRule is the built-in correlation "keys disabled or
// scheduled for deletion in bulk by one principal".
const bulkDeletionRule = "a62c5a46-8805-4a4c-9332-16d8467f4960"

func (e *watchEnv) distinct() int {
	e.hook.mu.Lock()
	defer e.hook.mu.Unlock()
	return len(e.hook.perID)
}

// lockedBuffer is a bytes.Buffer safe to read while a process writes it.
type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (l *lockedBuffer) Write(p []byte) (int, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.Write(p)
}

func (l *lockedBuffer) String() string {
	l.mu.Lock()
	defer l.mu.Unlock()
	return l.b.String()
}

// child starts the test binary as `kmsguard` with args.
func (e *watchEnv) child(t *testing.T, args []string) (*exec.Cmd, *lockedBuffer) {
	t.Helper()
	cmd := exec.Command(os.Args[0])
	cmd.Env = append(os.Environ(), childArgsEnv+"="+strings.Join(args, "\x1f"))
	stderr := &lockedBuffer{}
	cmd.Stderr = stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		_ = cmd.Process.Kill()
		if t.Failed() {
			t.Logf("watch subprocess stderr:\n%s", stderr.String())
		}
	})
	return cmd, stderr
}

func waitForLong(t *testing.T, d time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// killLog is a gzip log file whose every alertEvery-th event is a
// DisableKey (recorded in want) of a distinct key by the file's own
// principal, and the rest Decrypt calls, all at eventTime.
func killLog(t *testing.T, file, n, alertEvery int, eventTime time.Time, want map[string]bool) []byte {
	t.Helper()
	var b strings.Builder
	b.WriteString(`{"Records":[`)
	for i := range n {
		if i > 0 {
			b.WriteByte(',')
		}
		id, name := fmt.Sprintf("k%05d-%03d", file, i), "Decrypt"
		if i%alertEvery == 0 {
			name = "DisableKey"
			want[id] = true
		}
		fmt.Fprintf(&b, `{"eventVersion":"1.09","eventID":%q,"eventName":%q,"eventSource":"kms.amazonaws.com","eventTime":%q,"awsRegion":"us-east-1","recipientAccountId":"111122223333","userIdentity":{"type":"IAMUser","arn":"arn:aws:iam::111122223333:user/bob-%05d"},"requestParameters":{"keyId":"arn:aws:kms:us-east-1:111122223333:key/%08d-1111-1111-1111-%012d"}}`,
			id, name, eventTime.Format(time.RFC3339), file, file, i)
	}
	b.WriteString(`]}`)
	return gzipBytes(t, []byte(b.String()))
}
