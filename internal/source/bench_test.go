package source

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/klauspost/compress/gzip"
	"golang.org/x/sync/errgroup"

	"github.com/kmsguard/kmsguard/internal/cloudtrail"
	"github.com/kmsguard/kmsguard/internal/cloudtrail/ctgen"
)

// benchCorpus is generated once per test binary run (or taken from
// KMSGUARD_BENCH_CORPUS, a directory ctgen wrote) and removed by TestMain.
type benchCorpus struct {
	once     sync.Once
	dir, tmp string
	m        *ctgen.Manifest
	err      error
}

var corpus benchCorpus // benchmark fixture shared by the sub-benchmarks

func TestMain(m *testing.M) {
	code := m.Run()
	if corpus.tmp != "" {
		_ = os.RemoveAll(corpus.tmp)
	}
	os.Exit(code)
}

func loadCorpus(b *testing.B) (string, *ctgen.Manifest) {
	b.Helper()
	corpus.once.Do(func() {
		if dir := os.Getenv("KMSGUARD_BENCH_CORPUS"); dir != "" {
			corpus.dir = dir
			corpus.m, corpus.err = readManifest(dir)
			return
		}
		events := 200_000
		if s := os.Getenv("KMSGUARD_BENCH_EVENTS"); s != "" {
			events, corpus.err = strconv.Atoi(s)
		}
		if corpus.tmp, corpus.err = os.MkdirTemp("", "kmsguard-bench-corpus-"); corpus.err != nil {
			return
		}
		corpus.dir = corpus.tmp
		start := time.Now()
		corpus.m, corpus.err = ctgen.WriteDir(context.Background(), corpus.dir, ctgen.Config{Events: events, Seed: 1})
		if corpus.err == nil {
			fmt.Fprintf(os.Stderr, "generated %d events, %d files, %.1f MB JSON, %.1f MB gzip in %s\n", corpus.m.Events,
				corpus.m.Files, float64(corpus.m.JSONBytes)/1e6, float64(corpus.m.GzipBytes)/1e6, time.Since(start).Round(time.Millisecond))
		}
	})
	if corpus.err != nil {
		b.Fatal(corpus.err)
	}
	return filepath.Join(corpus.dir, "AWSLogs"), corpus.m
}

func readManifest(dir string) (*ctgen.Manifest, error) {
	data, err := os.ReadFile(filepath.Join(dir, ctgen.ManifestName))
	if err != nil {
		return nil, err
	}
	var m ctgen.Manifest
	return &m, json.Unmarshal(data, &m)
}

// BenchmarkScanCorpus reads a generated 200,000-event corpus (by default)
// through the source and scanner with GOMAXPROCS workers:
//
//	gunzip      inflate every file in parallel, nothing else (the pure-Go floor)
//	scan        source + scanner: every record's raw bytes, no decoding
//	scan+filter scan, decode only records containing the KMS eventSource value
//	decode-all  scan and fully decode every record (what a naive reader does)
//
// MB/s counts uncompressed JSON.
func BenchmarkScanCorpus(b *testing.B) {
	dir, m := loadCorpus(b)
	// The value alone: bytes.Index is ~30x slower on a pattern starting
	// with '"', the commonest byte in JSON (see cloudtrail.BenchmarkLiteral).
	kms := []byte(`kms.amazonaws.com"`)
	handlers := []struct {
		name string
		h    func(raw []byte) error
	}{
		{"scan", func([]byte) error { return nil }},
		{"scan+filter", func(raw []byte) error {
			if !bytes.Contains(raw, kms) {
				return nil
			}
			_, err := cloudtrail.Decode(raw)
			return err
		}},
		{"decode-all", func(raw []byte) error {
			_, err := cloudtrail.Decode(raw)
			return err
		}},
	}
	b.Run("gunzip", func(b *testing.B) {
		b.SetBytes(m.JSONBytes)
		defer reportCPU(b)()
		for range b.N {
			if err := gunzipAll(dir); err != nil {
				b.Fatal(err)
			}
		}
		reportEvents(b, m)
	})
	for _, tc := range handlers {
		b.Run(tc.name, func(b *testing.B) {
			b.SetBytes(m.JSONBytes)
			defer reportCPU(b)()
			for range b.N {
				var n atomic.Int64
				stats, err := Read(context.Background(), []Source{FileSource{Path: dir}}, ReadOptions{}, func(_ int, it Item) error {
					n.Add(1)
					return tc.h(it.Raw)
				})
				if err != nil || stats.Partial() || n.Load() != int64(m.Events) {
					b.Fatalf("read %d of %d events: %v %v", n.Load(), m.Events, err, stats.Errors)
				}
			}
			reportEvents(b, m)
		})
	}
}

// reportCPU reports CPU seconds per operation (user+system, all threads):
// on a shared machine wall time swings with the load, CPU time much less.
func reportCPU(b *testing.B) func() {
	start := cpuTime()
	return func() { b.ReportMetric((cpuTime()-start).Seconds()/float64(b.N), "cpu-s/op") }
}

func reportEvents(b *testing.B, m *ctgen.Manifest) {
	secs := b.Elapsed().Seconds() / float64(b.N)
	b.ReportMetric(float64(m.Events)/secs, "events/s")
	b.ReportMetric(float64(m.GzipBytes)/1e6/secs, "gzMB/s")
}

func gunzipAll(dir string) error {
	var files []string
	if err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err == nil && !d.IsDir() {
			files = append(files, p)
		}
		return err
	}); err != nil {
		return err
	}
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for _, p := range files {
		g.Go(func() error {
			f, err := os.Open(p)
			if err != nil {
				return err
			}
			defer func() { _ = f.Close() }()
			zr, err := gzip.NewReader(f)
			if err != nil {
				return err
			}
			_, err = io.Copy(io.Discard, zr)
			return err
		})
	}
	return g.Wait()
}
