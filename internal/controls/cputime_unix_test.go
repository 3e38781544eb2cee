//go:build unix

package controls_test

import (
	"runtime"
	"syscall"
	"time"
)

// processCPU is the user+system CPU time the process has used.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// maxRSS is the process's peak resident set size in bytes (ru_maxrss is in
// KiB on Linux, in bytes on macOS).
func maxRSS() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	// Maxrss is an int32 on some unix ports (linux/386, linux/arm), so the
	// conversions are needed there though not on 64-bit Linux.
	if runtime.GOOS == "darwin" {
		return int64(ru.Maxrss) //nolint:unconvert // int32 on 32-bit ports
	}
	return int64(ru.Maxrss) * 1024 //nolint:unconvert // int32 on 32-bit ports
}
