package source

import (
	"cmp"
	"fmt"
	"io"
	"slices"
	"strings"
)

// MaxErrorsKept bounds the errors Stats describes one by one; ErrorCount
// counts them all.
const MaxErrorsKept = 1000

// Stats summarises a Read, for the CLI's summary and its exit code
// (a partial failure when ErrorCount > 0).
type Stats struct {
	Files              int     `json:"files"`                 // objects read
	Bytes              int64   `json:"bytes"`                 // bytes read as stored (compressed)
	Events             int64   `json:"events"`                // records handed to the Handler
	SkippedDigest      int     `json:"skipped_digest"`        // CloudTrail-Digest files
	SkippedInsight     int     `json:"skipped_insight"`       // CloudTrail-Insight files
	SkippedOther       int     `json:"skipped_other"`         // non-JSON files met in a directory or prefix
	SkippedOutOfWindow int     `json:"skipped_out_of_window"` // log files dated outside ReadOptions.Since/Until
	SkippedEvents      int64   `json:"skipped_events"`        // non-CloudTrail events (EventBridge, CloudWatch Logs control)
	ErrorCount         int     `json:"error_count"`
	Errors             []Error `json:"errors,omitempty"` // sorted by object, then offset; at most MaxErrorsKept
}

// Error is one problem with the input, located as precisely as known.
// Offsets and lines count in the decompressed content of gzip objects.
type Error struct {
	Object string `json:"object"`
	Offset int64  `json:"offset"`
	Line   int    `json:"line,omitempty"`
	Msg    string `json:"message"`
}

func (e Error) String() string {
	if e.Line == 0 && e.Offset == 0 {
		return e.Object + ": " + e.Msg
	}
	return fmt.Sprintf("%s: line %d, offset %d: %s", e.Object, e.Line, e.Offset, e.Msg)
}

// Partial reports whether some input could not be read.
func (s *Stats) Partial() bool { return s.ErrorCount > 0 }

// Summary is a one-line account of the read.
func (s *Stats) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d files (%.1f MB), %d events", s.Files, float64(s.Bytes)/1e6, s.Events)
	if skipped := s.SkippedDigest + s.SkippedInsight + s.SkippedOther; skipped > 0 || s.SkippedEvents > 0 {
		fmt.Fprintf(&b, "; skipped %d digest, %d insight, %d other files, %d non-CloudTrail events",
			s.SkippedDigest, s.SkippedInsight, s.SkippedOther, s.SkippedEvents)
	}
	if s.SkippedOutOfWindow > 0 {
		fmt.Fprintf(&b, "; %d files outside the time window", s.SkippedOutOfWindow)
	}
	fmt.Fprintf(&b, "; %d errors", s.ErrorCount)
	return b.String()
}

// Report writes the summary and then each error kept, one per line, for a
// command's stderr.
func (s *Stats) Report(w io.Writer) error {
	if _, err := fmt.Fprintln(w, "read:", s.Summary()); err != nil {
		return err
	}
	for _, e := range s.Errors {
		if _, err := fmt.Fprintln(w, "  error:", e.String()); err != nil {
			return err
		}
	}
	if more := s.ErrorCount - len(s.Errors); more > 0 {
		_, err := fmt.Fprintf(w, "  ... and %d more errors\n", more)
		return err
	}
	return nil
}

// countSkip counts an object that is not read and reports whether to read it.
func (s *Stats) countSkip(o Object) bool {
	switch {
	case KindOf(o.Name) == KindDigest:
		s.SkippedDigest++
	case KindOf(o.Name) == KindInsight:
		s.SkippedInsight++
	default:
		return true
	}
	return false
}

func (s *Stats) addError(e Error) {
	s.ErrorCount++
	if len(s.Errors) < MaxErrorsKept {
		s.Errors = append(s.Errors, e)
	}
}

func (s *Stats) merge(o *Stats) {
	s.Files += o.Files
	s.Bytes += o.Bytes
	s.Events += o.Events
	s.SkippedDigest += o.SkippedDigest
	s.SkippedInsight += o.SkippedInsight
	s.SkippedOther += o.SkippedOther
	s.SkippedEvents += o.SkippedEvents
	s.SkippedOutOfWindow += o.SkippedOutOfWindow
	s.ErrorCount += o.ErrorCount
	s.Errors = append(s.Errors, o.Errors...)
}

// finish orders the errors so that a run's report does not depend on
// which worker read which object.
func (s *Stats) finish() {
	slices.SortStableFunc(s.Errors, func(a, b Error) int {
		return cmp.Or(strings.Compare(a.Object, b.Object), cmp.Compare(a.Offset, b.Offset))
	})
	if len(s.Errors) > MaxErrorsKept {
		s.Errors = s.Errors[:MaxErrorsKept]
	}
}
