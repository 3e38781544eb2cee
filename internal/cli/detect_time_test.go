package cli

import (
	"errors"
	"testing"
	"time"
)

func TestParseTimeFlag(t *testing.T) {
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		in      string
		want    time.Time
		wantErr bool
	}{
		{in: "", want: time.Time{}},
		{in: "2026-03-01T10:00:00Z", want: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)},
		{in: "2026-03-01T12:00:00+02:00", want: time.Date(2026, 3, 1, 10, 0, 0, 0, time.UTC)},
		{in: "24h", want: now.Add(-24 * time.Hour)},
		{in: "90m", want: now.Add(-90 * time.Minute)},
		{in: "7d", want: now.Add(-7 * 24 * time.Hour)},
		{in: "0d", want: now},
		{in: "-2h", wantErr: true},
		{in: "-1d", wantErr: true},
		{in: "yesterday", wantErr: true},
		{in: "2026-03-01", wantErr: true},
		{in: "d", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := parseTimeFlag("--since", tt.in, now)
			if (err != nil) != tt.wantErr {
				t.Fatalf("err = %v, want error %v", err, tt.wantErr)
			}
			if err != nil && !errors.Is(err, ErrUsage) {
				t.Errorf("err %v is not a usage error", err)
			}
			if !got.Equal(tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}
}

// FuzzParseTimeFlag: any text either fails as a usage error or gives a
// time; relative times are never after now.
func FuzzParseTimeFlag(f *testing.F) {
	for _, s := range []string{"24h", "7d", "2026-03-01T10:00:00Z", "1h30m", "99999999999d", "", "x"} {
		f.Add(s)
	}
	now := time.Date(2026, 3, 4, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		got, err := parseTimeFlag("--since", s, now)
		if err != nil {
			if !errors.Is(err, ErrUsage) {
				t.Fatalf("%q: %v is not a usage error", s, err)
			}
			return
		}
		if _, rfcErr := time.Parse(time.RFC3339, s); rfcErr != nil && got.After(now) {
			t.Fatalf("%q: relative time %v after now", s, got)
		}
	})
}
