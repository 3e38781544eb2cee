package cli

import (
	"errors"
	"fmt"
)

// Exit codes are a user-facing contract, documented in README.md.
const (
	ExitOK       = 0 // the command ran and found nothing at or above the threshold
	ExitFindings = 1 // findings or alerts at or above --fail-on
	ExitUsage    = 2 // bad flags, arguments or input documents
	ExitPartial  = 3 // the command ran, but part of the input could not be read or evaluated
	ExitError    = 4 // the command could not run (I/O, network, internal error)
)

// Sentinel errors that commands return to select an exit code. They are
// wrapped with context; Run maps them with errors.Is.
var (
	// ErrFindings reports that results at or above the failure threshold exist.
	ErrFindings = errors.New("findings at or above the failure threshold")
	// ErrUsage reports invalid flags, arguments or input documents.
	ErrUsage = errors.New("usage error")
	// ErrPartial reports that some input could not be read or evaluated.
	ErrPartial = errors.New("partial failure")
)

// usageErrorf returns an error that maps to ExitUsage.
func usageErrorf(format string, args ...any) error {
	return fmt.Errorf("%w: %s", ErrUsage, fmt.Sprintf(format, args...))
}

// exitCode maps an error returned by a command to the process exit code.
// A partial failure outranks findings: the report is incomplete, and the
// caller must know that before trusting a clean result.
func exitCode(err error) int {
	switch {
	case err == nil:
		return ExitOK
	case errors.Is(err, ErrUsage):
		return ExitUsage
	case errors.Is(err, ErrPartial):
		return ExitPartial
	case errors.Is(err, ErrFindings):
		return ExitFindings
	default:
		return ExitError
	}
}
