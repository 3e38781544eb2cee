package main

import (
	"os"
	"runtime/pprof"
)

func startProf() func() {
	f, _ := os.Create("/tmp/lt.cpu")
	pprof.StartCPUProfile(f)
	return func() { pprof.StopCPUProfile(); f.Close() }
}
