//go:build !unix

package detect

import "time"

func processCPU() (time.Duration, bool) { return 0, false }
