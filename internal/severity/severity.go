// Package severity defines the one severity scale shared by posture findings
// and detection alerts. Its levels are Sigma's rule levels, which also map
// onto Security Hub's and OCSF's scales.
package severity

import (
	"fmt"
	"strings"
)

// Level is an ordered severity: a higher value is more severe.
type Level int

// The levels in increasing order. Unknown is the zero value so that an unset
// level is never mistaken for a real one.
const (
	Unknown Level = iota
	Informational
	Low
	Medium
	High
	Critical
)

var names = [...]string{"unknown", "informational", "low", "medium", "high", "critical"}

// String returns the lower-case name used in configuration and output.
func (l Level) String() string {
	if l < 0 || int(l) >= len(names) {
		return fmt.Sprintf("level(%d)", int(l))
	}
	return names[l]
}

// Parse accepts a level name in any case; "info" is accepted for
// informational as Elastic and Security Hub write it.
func Parse(s string) (Level, error) {
	key := strings.ToLower(strings.TrimSpace(s))
	if key == "info" {
		return Informational, nil
	}
	for i, n := range names {
		if i > 0 && n == key {
			return Level(i), nil
		}
	}
	return Unknown, fmt.Errorf("unknown severity %q: want informational, low, medium, high or critical", s)
}

// MarshalText writes the level name, so JSON and YAML show "high", not 4.
func (l Level) MarshalText() ([]byte, error) { return []byte(l.String()), nil }

// UnmarshalText parses a level name. Unlike Parse it also accepts
// "unknown", which MarshalText writes for the zero value, so that every
// marshalled level reads back (a queued alert without a level must not make
// a journal unreadable).
func (l *Level) UnmarshalText(b []byte) error {
	if strings.EqualFold(strings.TrimSpace(string(b)), names[Unknown]) {
		*l = Unknown
		return nil
	}
	v, err := Parse(string(b))
	if err != nil {
		return err
	}
	*l = v
	return nil
}

// Raise returns the level n steps higher, capped at Critical.
func (l Level) Raise(n int) Level {
	return min(l+Level(n), Critical)
}
