package controls_test

import (
	"context"
	"runtime"
	"runtime/metrics"
	"sync"
	"testing"
	"time"

	"github.com/kmsguard/kmsguard/internal/config"
	"github.com/kmsguard/kmsguard/internal/controls"
	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/inventory/demogen"
	"github.com/kmsguard/kmsguard/internal/policy"
)

// BenchmarkScanLargeAccount is the scan of the performance target:
// demogen.BenchmarkSpec() (5,000 keys, 10,000 roles, 30,000 customer-managed
// policies) loaded from a snapshot directory on disk, then every control of
// the catalogue run on it with one shared Analyzer, as `kmsguard scan` does.
// Besides -benchmem's figures it reports the CPU time per scan (cpu-s/op,
// user+system over all cores: on a shared machine wall time measures the run
// queue), the peak live heap during the scans (peak-heap-MB, sampled every
// 5 ms from runtime/metrics) and the process's peak RSS (maxrss-MB, which
// includes generating the snapshot).
//
//	go test -run='^$' -bench=ScanLargeAccount -benchmem -benchtime=3x ./internal/controls/
func BenchmarkScanLargeAccount(b *testing.B) {
	dir := b.TempDir()
	if err := demogen.Large(demogen.BenchmarkSpec()).WriteDir(dir); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	stop, peak := sampleHeap()
	cpu0 := processCPU()
	findings := 0
	for b.Loop() {
		accts, problems, err := inventory.LoadDir(context.Background(), dir, inventory.LoadOptions{})
		if err != nil || len(problems) > 0 {
			b.Fatalf("load: %v %v", err, problems)
		}
		res := controls.Run(controls.CheckContext{Now: demogen.DemoTime(), Config: config.Default(),
			Analyzer: policy.NewAnalyzer(policy.DefaultMaxStates)}, controls.Catalogue(), accts)
		findings = len(res.Findings)
	}
	b.StopTimer()
	b.ReportMetric((processCPU()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	b.ReportMetric(float64(stop())/(1<<20), "peak-heap-MB")
	_ = peak
	b.ReportMetric(float64(maxRSS())/(1<<20), "maxrss-MB")
	b.ReportMetric(float64(findings), "findings")
	if findings < demogen.BenchmarkSpec().Keys {
		b.Fatalf("only %d findings", findings)
	}
}

// sampleHeap samples the live heap until the returned stop is called, which
// returns the largest value seen.
func sampleHeap() (stop func() uint64, peak *uint64) {
	var mu sync.Mutex
	var max uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		s := []metrics.Sample{{Name: "/memory/classes/heap/objects:bytes"}}
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			metrics.Read(s)
			mu.Lock()
			max = maxU(max, s[0].Value.Uint64())
			mu.Unlock()
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() uint64 {
		close(done)
		wg.Wait()
		return max
	}, &max
}

func maxU(a, b uint64) uint64 {
	if a > b {
		return a
	}
	return b
}
