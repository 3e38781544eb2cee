package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"time"

	"github.com/kmsguard/kmsguard/internal/inventory"
	"github.com/kmsguard/kmsguard/internal/inventory/demogen"
)

func main() {
	dir := "/tmp/kmsguard-large"
	if len(os.Args) > 1 && os.Args[1] == "gen" {
		os.RemoveAll(dir)
		if err := demogen.Large(demogen.BenchmarkSpec).WriteDir(dir); err != nil {
			panic(err)
		}
		return
	}
	defer startProf()()
	for i := 0; i < 2; i++ {
		t0 := time.Now()
		var ru0 runtime.MemStats
		accts, probs, err := inventory.LoadDir(context.Background(), dir, inventory.LoadOptions{})
		runtime.ReadMemStats(&ru0)
		fmt.Println(time.Since(t0), len(accts), len(probs), err, ru0.HeapAlloc>>20, "MB heap", ru0.TotalAlloc>>20)
	}
}
