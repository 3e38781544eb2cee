//go:build !unix

package source

import "time"

// cpuTime is not measured on this platform; cpu-s/op reads 0.
func cpuTime() time.Duration { return 0 }
