package controls_test

import (
	"context"
	"testing"
	"time"

	"github.com/kmsguard/kmsguard/internal/config"
	"github.com/kmsguard/kmsguard/internal/controls"
	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/inventory/demogen"
)

// BenchmarkIAMKMSControlsLarge runs the IAM-KMS controls (IAM-KMS-2 to 8)
// over every key of demogen.BenchmarkSpec() (5,000 keys, 10,000 roles,
// 30,000 policies): parsing every policy, indexing the principals and
// evaluating every key. Loading the snapshot is not timed. It reports wall
// time per run and the process CPU time per run (the machine is shared):
//
//	go test -run='^$' -bench=IAMKMSControlsLarge -benchtime=3x ./internal/controls/
func BenchmarkIAMKMSControlsLarge(b *testing.B) {
	dir := b.TempDir()
	if err := demogen.Large(demogen.BenchmarkSpec()).WriteDir(dir); err != nil {
		b.Fatal(err)
	}
	accts, _, err := inventory.LoadDir(context.Background(), dir, inventory.LoadOptions{})
	if err != nil {
		b.Fatal(err)
	}
	cfg, err := config.Parse([]byte("allowlist:\n  breakGlass: ['arn:aws:iam::111122223333:role/service/svc-role-0000*']\n"), "bench.yaml")
	if err != nil {
		b.Fatal(err)
	}
	var ids []string
	for _, c := range controls.Catalogue() {
		if c.Mappings.Guardrails != nil && c.ID >= "IAM-KMS-2" && c.ID <= "IAM-KMS-8" {
			ids = append(ids, c.ID)
		}
	}
	b.ResetTimer()
	cpu0 := processCPU()
	fails := 0
	for b.Loop() {
		// One catalogue shares one analysis between its IAM-KMS controls.
		var cat []controls.Control
		for _, c := range controls.Catalogue() {
			for _, id := range ids {
				if c.ID == id {
					cat = append(cat, c)
				}
			}
		}
		res := controls.Run(controls.CheckContext{Now: demogen.DemoTime(), Config: cfg}, cat, accts)
		fails = 0
		for _, f := range res.Findings {
			if f.Status == controls.StatusFail {
				fails++
			}
		}
	}
	b.ReportMetric(float64(processCPU()-cpu0)/float64(b.N)/float64(time.Second), "cpu-s/op")
	b.ReportMetric(float64(fails), "fails")
	if len(ids) != 7 || fails == 0 {
		b.Fatalf("controls %v, %d failures", ids, fails)
	}
}
