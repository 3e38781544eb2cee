//go:build unix

package inventory_test

import (
	"syscall"
	"time"
)

// processCPU is the user+system CPU time the process has used: on a shared
// machine it measures the loader's work where wall time measures the queue.
func processCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
