package cloudtrail

import (
	"fmt"
	"strconv"
	"strings"
	"time"
)

// ParseDeletionDate parses the date KMS writes in ScheduleKeyDeletion's
// responseElements.deletionDate. It is not ISO 8601 but a Java-style
// medium date in UTC, seen as "Apr 12, 2021 18:58:30 PM" (a 24-hour clock
// with a meridiem), "Mar 30, 2020 12:00:00 AM" and "Dec 1, 2026, 12:00:00 AM"
// (sometimes with a narrow no-break space before AM/PM). RFC 3339 and epoch
// seconds, as other tools write, are accepted too.
func ParseDeletionDate(s string) (time.Time, error) {
	s = strings.NewReplacer("\u202f", " ", "\u00a0", " ").Replace(strings.TrimSpace(s))
	if t, err := time.Parse(time.RFC3339Nano, s); err == nil {
		return t.UTC(), nil
	}
	if secs, err := strconv.ParseFloat(s, 64); err == nil {
		return time.Unix(int64(secs), 0).UTC(), nil
	}
	meridiem := ""
	if up := strings.ToUpper(s); strings.HasSuffix(up, " AM") || strings.HasSuffix(up, " PM") {
		meridiem, s = up[len(up)-2:], strings.TrimSpace(s[:len(s)-3])
	}
	s = strings.Join(strings.Fields(strings.ReplaceAll(s, ",", " ")), " ")
	t, err := time.Parse("Jan 2 2006 15:04:05", s)
	if err != nil {
		if t, err = time.Parse("Jan 2 2006", s); err != nil {
			return time.Time{}, fmt.Errorf("deletion date %q: unrecognised format", s)
		}
	}
	switch h := t.Hour(); {
	case meridiem == "PM" && h < 12:
		t = t.Add(12 * time.Hour)
	case meridiem == "AM" && h == 12:
		t = t.Add(-12 * time.Hour)
	}
	return t, nil
}

// DeletionDate returns responseElements.deletionDate of ScheduleKeyDeletion.
func (r *Record) DeletionDate() (time.Time, bool) {
	s := r.String("responseElements.deletionDate")
	if s == "" {
		if n, ok := r.Int("responseElements.deletionDate"); ok {
			return time.Unix(n, 0).UTC(), true
		}
		return time.Time{}, false
	}
	t, err := ParseDeletionDate(s)
	return t, err == nil
}
