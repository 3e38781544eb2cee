package inventory_test

import (
	"context"
	"runtime"
	"testing"

	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/inventory/demogen"
)

// BenchmarkLoadLargeAccount loads demogen.BenchmarkSpec() (5,000 keys, 10,000
// roles, 30,000 policies) from a snapshot directory on disk. It reports the
// heap the loaded account keeps (MB-retained) and the CPU time per load
// (cpu-s/op, user+system over all cores) besides -benchmem's figures.
//
//	go test -run='^$' -bench=LoadLargeAccount -benchmem ./internal/inventory/
func BenchmarkLoadLargeAccount(b *testing.B) {
	dir := b.TempDir()
	if err := demogen.Large(demogen.BenchmarkSpec()).WriteDir(dir); err != nil {
		b.Fatal(err)
	}
	runtime.GC()
	var before runtime.MemStats
	runtime.ReadMemStats(&before)
	var accts []*inventory.Account
	cpu0 := processCPU()
	for b.Loop() {
		var problems []inventory.Problem
		var err error
		accts, problems, err = inventory.LoadDir(context.Background(), dir, inventory.LoadOptions{})
		if err != nil || len(problems) > 0 {
			b.Fatalf("load: %v %v", err, problems)
		}
	}
	b.StopTimer()
	b.ReportMetric((processCPU()-cpu0).Seconds()/float64(b.N), "cpu-s/op")
	runtime.GC()
	var after runtime.MemStats
	runtime.ReadMemStats(&after)
	b.ReportMetric(float64(after.HeapAlloc-min(before.HeapAlloc, after.HeapAlloc))/(1<<20), "MB-retained")
	if got := len(accts[0].Keys); got != demogen.BenchmarkSpec().Keys {
		b.Fatalf("loaded %d keys", got)
	}
	iam := accts[0].IAM.MustGet()
	if len(iam.Roles) != demogen.BenchmarkSpec().Roles || len(iam.Policies) != demogen.BenchmarkSpec().Policies {
		b.Fatalf("loaded %d roles %d policies", len(iam.Roles), len(iam.Policies))
	}
	runtime.KeepAlive(accts)
}

// TestLargeSnapshotLoads keeps the generator honest at a small size.
func TestLargeSnapshotLoads(t *testing.T) {
	spec := demogen.LargeSpec{Keys: 40, Roles: 30, Policies: 90, Users: 5, Groups: 2}
	dir := t.TempDir()
	if err := demogen.Large(spec).WriteDir(dir); err != nil {
		t.Fatal(err)
	}
	accts, problems, err := inventory.LoadDir(context.Background(), dir, inventory.LoadOptions{})
	if err != nil || len(problems) > 0 {
		t.Fatalf("load: %v %v", err, problems)
	}
	a := accts[0]
	iam := a.IAM.MustGet()
	if len(a.Keys) != 40 || len(iam.Roles) != 30 || len(iam.Policies) != 90 || len(iam.Users) != 5 {
		t.Errorf("keys %d roles %d policies %d users %d", len(a.Keys), len(iam.Roles), len(iam.Policies), len(iam.Users))
	}
	unknownRotation := 0
	for _, k := range a.Keys {
		if !k.Rotation.IsKnown() {
			unknownRotation++
		}
	}
	if unknownRotation != 4 {
		t.Errorf("%d keys with unknown rotation, want 4 (every tenth)", unknownRotation)
	}
}
