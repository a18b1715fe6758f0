package simple

import "time"

// formatTime formats t per RFC 3339 (the datetime of RFC 3863 §4.1.7,
// RFC 3862 §4.4, RFC 3994 and RFC 5438), keeping its offset and any
// fraction. Years outside 0000-9999 cannot be written.
func formatTime(t time.Time) (string, bool) {
	if y := t.Year(); y < 0 || y > 9999 {
		return "", false
	}
	return t.Format(time.RFC3339Nano), true
}

// parseTime parses an RFC 3339 date-time.
func parseTime(codec, what, s string) (time.Time, error) {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return time.Time{}, malformedCause(codec, "bad "+what, err)
	}
	return t, nil
}
