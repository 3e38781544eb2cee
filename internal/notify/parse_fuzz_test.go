package notify

import (
	"strings"
	"testing"
	"time"
	"unicode/utf8"
)

func TestParseRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 24, 4, 0, 0, 0, time.UTC)
	tests := map[string]struct {
		in   string
		want time.Duration
	}{
		"seconds":        {"120", 2 * time.Minute},
		"http date":      {"Tue, 24 Nov 2026 04:00:30 GMT", 30 * time.Second},
		"past date":      {"Tue, 24 Nov 2026 03:00:00 GMT", 0},
		"negative":       {"-5", 0},
		"garbage":        {"soon", 0},
		"empty":          {"", 0},
		"huge is capped": {"99999999999", 24 * time.Hour},
		"far date":       {"Fri, 24 Nov 2028 04:00:00 GMT", 24 * time.Hour},
	}
	for name, tt := range tests {
		t.Run(name, func(t *testing.T) {
			if got := parseRetryAfter(tt.in, now); got != tt.want {
				t.Errorf("parseRetryAfter(%q) = %s, want %s", tt.in, got, tt.want)
			}
		})
	}
}

// FuzzParseRetryAfter: any header value yields a wait in [0, 24h].
func FuzzParseRetryAfter(f *testing.F) {
	for _, s := range []string{"120", "Tue, 24 Nov 2026 04:00:30 GMT", "-1", "", "1e9", "9223372036854775807"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 24, 4, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		d := parseRetryAfter(v, now)
		if d < 0 || d > 24*time.Hour {
			t.Fatalf("parseRetryAfter(%q) = %s", v, d)
		}
	})
}

// FuzzFirstCommand: any guide text yields one line (or nothing) without
// panicking.
func FuzzFirstCommand(f *testing.F) {
	f.Add("```\naws kms describe-key --key-id k\n```")
	f.Add("- `aws kms cancel-key-deletion`\n")
	f.Add("```")
	f.Fuzz(func(t *testing.T, guide string) {
		if c := firstCommand(guide); strings.Contains(c, "\n") {
			t.Fatalf("firstCommand returned several lines: %q", c)
		}
	})
}

// FuzzTruncate: the result fits, is valid UTF-8 when the input is, and is
// a prefix of the input plus at most the ellipsis.
func FuzzTruncate(f *testing.F) {
	f.Add(10, "héllo wörld, this is long")
	f.Add(2, "ééé")
	f.Add(0, "x")
	f.Fuzz(func(t *testing.T, n int, s string) {
		if n < 0 || n > 1<<16 {
			return
		}
		got := truncate(n, s)
		if len(got) > n && len(s) > n {
			t.Fatalf("truncate(%d, %q) = %q is too long", n, s, got)
		}
		if utf8.ValidString(s) && !utf8.ValidString(got) {
			t.Fatalf("truncate(%d, %q) = %q is not valid UTF-8", n, s, got)
		}
		if !strings.HasPrefix(s, strings.TrimSuffix(got, "…")) {
			t.Fatalf("truncate(%d, %q) = %q is not a prefix", n, s, got)
		}
	})
}
