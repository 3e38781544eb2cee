package source

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
)

const (
	orgPrefix = "AWSLogs/o-abc123def4/111122223333/"
	acct2     = "AWSLogs/444455556666/"
)

// layout is a CloudTrail bucket: object key -> stored bytes, with what a
// correct reader must report for it.
type layout struct {
	objects map[string][]byte
	events  map[string][]string // key -> eventIDs in order
	errors  []Error             // Object is the key
	stats   Stats               // counts only
}

func gz(t testing.TB, data []byte) []byte {
	t.Helper()
	var b bytes.Buffer
	w := gzip.NewWriter(&b)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func readFixture(t testing.TB, path string) []byte {
	t.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	return data
}

// logFile makes a {"Records":[...]} file of n small records with IDs prefix-i.
func logFile(prefix string, n int) ([]byte, []string) {
	var recs []map[string]any
	var ids []string
	for i := range n {
		id := fmt.Sprintf("%s-%04d", prefix, i)
		ids = append(ids, id)
		recs = append(recs, map[string]any{"eventVersion": "1.09", "eventID": id, "eventSource": "s3.amazonaws.com",
			"eventName": "GetObject", "eventTime": "2026-03-02T10:00:00Z", "userIdentity": map[string]any{"type": "IAMUser"}})
	}
	data, _ := json.Marshal(map[string]any{"Records": recs})
	return data, ids
}

func buildLayout(t testing.TB) layout {
	l := layout{objects: map[string][]byte{}, events: map[string][]string{}}
	day := "CloudTrail/us-east-1/2026/03/02/"

	fixture := readFixture(t, filepath.Join("..", "cloudtrail", "testdata", "logfile.json"))
	var ids []string
	for _, m := range bytes.Split(fixture, []byte(`"eventID":"`))[1:] {
		ids = append(ids, string(m[:bytes.IndexByte(m, '"')]))
	}
	k := orgPrefix + day + "111122223333_CloudTrail_us-east-1_20260302T1000Z_fixture01.json.gz"
	l.objects[k], l.events[k] = gz(t, fixture), ids

	data, ids2 := logFile("eu", 3)
	k = orgPrefix + "CloudTrail/eu-west-1/2026/03/02/111122223333_CloudTrail_eu-west-1_20260302T1005Z_eu000001.json.gz"
	l.objects[k], l.events[k] = gz(t, data), ids2

	// gzip content under a .json name: detected by magic bytes.
	data, ids3 := logFile("magic", 2)
	k = orgPrefix + day + "111122223333_CloudTrail_us-east-1_20260302T1010Z_magic001.json"
	l.objects[k], l.events[k] = gz(t, data), ids3

	// Plain NDJSON with a line that is not JSON.
	k = acct2 + "CloudTrail/us-east-1/2026/03/01/444455556666_CloudTrail_us-east-1_20260301T2355Z_ndjson01.json"
	l.objects[k] = []byte("{\"eventID\":\"nd-1\"}\n{\"eventID\":\"nd-2\"}\nthis is not json\n{\"eventID\":\"nd-cu\n{\"eventID\":\"nd-3\"}\n")
	l.events[k] = []string{"nd-1", "nd-2", "nd-3"}
	l.errors = append(l.errors, Error{Object: k, Offset: 38, Line: 3, Msg: `not a JSON object (starts with 't')`},
		Error{Object: k, Offset: 55, Line: 4, Msg: "unterminated string: not a complete JSON object"})

	// Corrupt gzip: a valid header, then damage in the deflate stream.
	data, _ = logFile("corrupt", 20)
	z := gz(t, data)
	for i := 20; i < len(z)-8; i += 7 {
		z[i] ^= 0x5a
	}
	k = acct2 + "CloudTrail/us-east-1/2026/03/01/444455556666_CloudTrail_us-east-1_20260301T2300Z_corrupt1.json.gz"
	l.objects[k] = z
	l.events[k] = nil // whatever inflated before the damage is not asserted
	l.errors = append(l.errors, Error{Object: k, Msg: "read error"})

	// Truncated gzip: the first records arrive, then the cut is reported.
	data, ids4 := logFile("trunc", 5000)
	z = gz(t, data)
	k = acct2 + "CloudTrail/us-east-1/2026/03/01/444455556666_CloudTrail_us-east-1_20260301T2310Z_truncat1.json.gz"
	l.objects[k] = z[:len(z)*2/3]
	l.events[k] = ids4[:1] // at least the first; checked as a prefix
	l.errors = append(l.errors, Error{Object: k, Msg: "read error: unexpected EOF"})

	// Firehose output from a CloudWatch Logs subscription: no extension,
	// gzip of concatenated messages, one of them a control message.
	fixture = readFixture(t, filepath.Join("..", "cloudtrail", "testdata", "cloudwatch_logs_decoded.json"))
	control := `{"messageType":"CONTROL_MESSAGE","owner":"CloudwatchLogs","logGroup":"","logStream":"","subscriptionFilters":[],"logEvents":[]}`
	k = "firehose/2026/03/02/10/cloudtrail-stream-1-2026-03-02-10-00-00-0b6f1c2e-0a1b-4c5d-8e9f-a0b1c2d3e4f5"
	l.objects[k] = gz(t, append(append(bytes.ReplaceAll(fixture, []byte("\n"), nil), control...), fixture...))
	l.events[k] = append(append([]string{}, ids[:3]...), ids[:3]...)

	// Skipped, not read: digest, insight, and a stray file.
	l.objects[orgPrefix+"CloudTrail-Digest/us-east-1/2026/03/02/111122223333_CloudTrail-Digest_us-east-1_management_us-east-1_20260302T100000Z.json.gz"] =
		gz(t, readFixture(t, filepath.Join("testdata", "digest.json")))
	l.objects[orgPrefix+"CloudTrail-Insight/us-east-1/2026/03/02/111122223333_CloudTrail-Insight_us-east-1_20260302T1000Z_ins00001.json.gz"] =
		gz(t, readFixture(t, filepath.Join("testdata", "insight.json")))
	l.objects["AWSLogs/README.txt"] = []byte("not CloudTrail")
	l.stats = Stats{Files: 7, SkippedDigest: 1, SkippedInsight: 1, SkippedOther: 1, SkippedEvents: 1}
	return l
}

// result is what one Read produced, with object names made relative.
type result struct {
	events map[string][]string
	stats  *Stats
}

func readAll(t *testing.T, srcs []Source, strip string, workers int) result {
	t.Helper()
	var mu sync.Mutex
	got := map[string][]string{}
	stats, err := Read(context.Background(), srcs, ReadOptions{Workers: workers}, func(_ int, it Item) error {
		var rec struct {
			EventID string `json:"eventID"`
		}
		if err := json.Unmarshal(it.Raw, &rec); err != nil {
			return it.Errorf("decode: %v", err)
		}
		mu.Lock()
		defer mu.Unlock()
		name := strings.TrimPrefix(it.Object, strip)
		got[name] = append(got[name], rec.EventID)
		return nil
	})
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	for i := range stats.Errors {
		stats.Errors[i].Object = strings.TrimPrefix(stats.Errors[i].Object, strip)
	}
	return result{events: got, stats: stats}
}

// checkLayout is the suite every source of a bucket layout must pass.
func checkLayout(t *testing.T, l layout, r result) {
	t.Helper()
	for key, want := range l.events {
		got := r.events[key]
		switch {
		case strings.Contains(key, "truncat"):
			if len(got) < len(want) || !slices.Equal(got[:len(want)], want) {
				t.Errorf("%s: events %v, want a prefix %v", key, got, want)
			}
		case strings.Contains(key, "corrupt"):
		default:
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s: events (-want +got):\n%s", key, diff)
			}
		}
	}
	for key := range r.events {
		if _, ok := l.events[key]; !ok {
			t.Errorf("events from %s, which must not be read", key)
		}
	}
	s := *r.stats
	counts := Stats{Files: s.Files, SkippedDigest: s.SkippedDigest, SkippedInsight: s.SkippedInsight, SkippedOther: s.SkippedOther,
		SkippedEvents: s.SkippedEvents}
	if diff := cmp.Diff(l.stats, counts); diff != "" {
		t.Errorf("stats (-want +got):\n%s", diff)
	}
	var total int64
	for _, ids := range r.events {
		total += int64(len(ids))
	}
	if s.Events != total {
		t.Errorf("stats.Events = %d, handler saw %d", s.Events, total)
	}
	if s.ErrorCount != len(l.errors) || len(s.Errors) != len(l.errors) {
		t.Fatalf("errors %d %v, want %d %v", s.ErrorCount, s.Errors, len(l.errors), l.errors)
	}
	want := slices.Clone(l.errors)
	slices.SortStableFunc(want, func(a, b Error) int { return strings.Compare(a.Object, b.Object) })
	for i, w := range want {
		g := s.Errors[i]
		if g.Object != w.Object || !strings.Contains(g.Msg, w.Msg) || (w.Line != 0 && (g.Line != w.Line || g.Offset != w.Offset)) {
			t.Errorf("error %d = %+v, want %+v", i, g, w)
		}
	}
	if !s.Partial() {
		t.Error("Partial() = false with errors")
	}
}

func writeDir(t *testing.T, l layout) string {
	root := t.TempDir()
	for key, data := range l.objects {
		p := filepath.Join(root, filepath.FromSlash(key))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return root
}

func TestFileSourceLayout(t *testing.T) {
	l := buildLayout(t)
	root := writeDir(t, l)
	for _, workers := range []int{1, 2, 4} {
		t.Run(fmt.Sprintf("workers=%d", workers), func(t *testing.T) {
			src, err := Open(root, Options{})
			if err != nil {
				t.Fatal(err)
			}
			checkLayout(t, l, readAll(t, []Source{src}, root+string(filepath.Separator), workers))
		})
	}
}

func TestFileSourceExplicitFileAndMissingPath(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "events.txt") // any name is read when given explicitly
	data, ids := logFile("x", 2)
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	missing := filepath.Join(root, "nope")
	r := readAll(t, []Source{FileSource{Path: missing}, FileSource{Path: p}}, "", 2)
	if diff := cmp.Diff(map[string][]string{p: ids}, r.events); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if r.stats.ErrorCount != 1 || r.stats.Errors[0].Object != missing || !strings.Contains(r.stats.Errors[0].Msg, "no such file") {
		t.Errorf("errors = %+v", r.stats.Errors)
	}
}

func TestFileSourceLinks(t *testing.T) {
	l := buildLayout(t)
	root := writeDir(t, l)
	dangling := filepath.Join(root, "AWSLogs", "dangling.json.gz")
	if err := os.Symlink(filepath.Join(root, "gone.json.gz"), dangling); err != nil {
		t.Fatal(err)
	}
	data, ids := logFile("linked", 2)
	target := filepath.Join(t.TempDir(), "elsewhere.json")
	if err := os.WriteFile(target, data, 0o644); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink(target, filepath.Join(root, "AWSLogs", "linked.json")); err != nil {
		t.Fatal(err)
	}
	l.events["AWSLogs/linked.json"] = ids
	l.errors = append(l.errors, Error{Object: "AWSLogs/dangling.json.gz", Msg: "no such file"})
	l.stats.Files++
	checkLayout(t, l, readAll(t, []Source{FileSource{Path: root}}, root+string(filepath.Separator), 2))
}

func TestObjectWithTooManyErrorsIsAbandoned(t *testing.T) {
	junk := strings.Repeat("not json\n", 500) + "{\"eventID\":\"late\"}\n"
	src, err := Open("-", Options{Stdin: strings.NewReader(junk)})
	if err != nil {
		t.Fatal(err)
	}
	r := readAll(t, []Source{src}, "", 1)
	if r.stats.ErrorCount != maxObjectErrors+1 || len(r.events) != 0 {
		t.Fatalf("%d errors, events %v; want %d errors and the object abandoned", r.stats.ErrorCount, r.events, maxObjectErrors+1)
	}
	last := r.stats.Errors[len(r.stats.Errors)-1]
	if last.Line != maxObjectErrors || !strings.Contains(last.Msg, "rest of the object skipped") {
		t.Errorf("last error = %+v", last)
	}
}

func TestStdin(t *testing.T) {
	data, ids := logFile("in", 3)
	src, err := Open("-", Options{Stdin: bytes.NewReader(gz(t, data))})
	if err != nil {
		t.Fatal(err)
	}
	r := readAll(t, []Source{src}, "", 0)
	if diff := cmp.Diff(map[string][]string{"-": ids}, r.events); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := Open("-", Options{}); err == nil {
		t.Error("Open(-) without stdin: want an error")
	}
}

func TestHandlerErrorStopsRead(t *testing.T) {
	root := writeDir(t, buildLayout(t))
	stop := errors.New("stop")
	_, err := Read(context.Background(), []Source{FileSource{Path: root}}, ReadOptions{Workers: 2}, func(int, Item) error { return stop })
	if !errors.Is(err, stop) {
		t.Errorf("Read error = %v, want %v", err, stop)
	}
}

func TestOpenAllAndReport(t *testing.T) {
	root := t.TempDir()
	p := filepath.Join(root, "a.json")
	if err := os.WriteFile(p, []byte("{\"eventID\":\"x\"}\nnope\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	srcs, err := OpenAll([]string{p, "s3://", "-"}, Options{})
	if err == nil || !strings.Contains(err.Error(), "s3://: no bucket name") || !strings.Contains(err.Error(), "stdin: no input stream") {
		t.Errorf("OpenAll error = %v", err)
	}
	if len(srcs) != 1 {
		t.Fatalf("%d sources, want 1", len(srcs))
	}
	r := readAll(t, srcs, "", 1)
	var b strings.Builder
	if err := r.stats.Report(&b); err != nil {
		t.Fatal(err)
	}
	want := "read: 1 files (0.0 MB), 1 events; 1 errors\n  error: " + p + ": line 2, offset 16: not a JSON object (starts with 'n')\n"
	if diff := cmp.Diff(want, b.String()); diff != "" {
		t.Errorf("report (-want +got):\n%s", diff)
	}
}

func TestKindOf(t *testing.T) {
	tests := map[string]Kind{
		"AWSLogs/1/CloudTrail/us-east-1/2026/03/02/1_CloudTrail_us-east-1_20260302T1000Z_x.json.gz":         KindLog,
		"AWSLogs/1/CloudTrail-Digest/us-east-1/2026/03/02/1_CloudTrail-Digest_us-east-1_t_20260302.json.gz": KindDigest,
		"AWSLogs/1/CloudTrail-Insight/us-east-1/2026/03/02/x.json.gz":                                       KindInsight,
		`C:\logs\1_CloudTrail-Digest_us-east-1_t.json.gz`:                                                   KindDigest,
		"events.ndjson":   KindLog,
		"events.JSONL.gz": KindLog,
		"notes.txt":       KindOther,
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			if got := KindOf(name); got != want {
				t.Errorf("KindOf = %v, want %v", got, want)
			}
		})
	}
}

func TestReadWindowSkipsFilesByDeliveryDay(t *testing.T) {
	l := buildLayout(t)
	root := writeDir(t, l)
	day := func(s string) time.Time {
		d, err := time.Parse(time.RFC3339, s)
		if err != nil {
			t.Fatal(err)
		}
		return d
	}
	tests := []struct {
		name         string
		since, until time.Time
		files, out   int
	}{
		{"no window", time.Time{}, time.Time{}, 7, 0},
		{"since excludes 03-01", day("2026-03-02T12:00:00Z"), time.Time{}, 4, 3},
		{"since keeps the day before for late delivery", day("2026-03-01T23:59:59Z"), time.Time{}, 7, 0},
		{"until excludes everything", time.Time{}, day("2026-02-27T00:00:00Z"), 1, 6},
		{"until keeps the next day's folder", time.Time{}, day("2026-03-01T01:00:00Z"), 7, 0},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			stats, err := Read(context.Background(), []Source{FileSource{Path: root}}, ReadOptions{Workers: 2, Since: tt.since, Until: tt.until},
				func(int, Item) error { return nil })
			if err != nil {
				t.Fatal(err)
			}
			// The Firehose object has no date folder: always read.
			if stats.Files != tt.files || stats.SkippedOutOfWindow != tt.out {
				t.Errorf("read %d files, skipped %d out of window; want %d, %d", stats.Files, stats.SkippedOutOfWindow, tt.files, tt.out)
			}
		})
	}
}

func TestDeliveryDay(t *testing.T) {
	tests := map[string]string{
		"s3://b/AWSLogs/o-x/1/CloudTrail/us-east-1/2026/03/02/f.json.gz": "2026-03-02",
		`C:\t\AWSLogs\1\CloudTrail\eu-west-1\2025\12\31\f.json.gz`:       "2025-12-31",
		"AWSLogs/1/CloudTrail/us-east-1/2026/13/02/f.json.gz":            "",
		"firehose/2026/03/02/10/stream-1":                                "",
	}
	for name, want := range tests {
		t.Run(name, func(t *testing.T) {
			d, ok := DeliveryDay(name)
			got := ""
			if ok {
				got = d.Format(time.DateOnly)
			}
			if got != want {
				t.Errorf("DeliveryDay = %q, want %q", got, want)
			}
		})
	}
}
