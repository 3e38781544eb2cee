//go:build !unix

package controls_test

import "time"

func processCPU() time.Duration { return 0 }

func maxRSS() int64 { return 0 }
