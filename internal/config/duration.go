package config

import (
	"fmt"
	"time"
)

// Duration is a time.Duration written in the file as a Go duration string
// ("10s", "1m30s", "250ms"). A bare number is rejected: it has no unit.
type Duration struct {
	time.Duration
}

// UnmarshalText parses a duration string with time.ParseDuration.
func (d *Duration) UnmarshalText(text []byte) error {
	v, err := time.ParseDuration(string(text))
	if err != nil {
		return fmt.Errorf("config: invalid duration %q: want a number with a unit, e.g. \"10s\" or \"1m30s\"", text)
	}
	d.Duration = v
	return nil
}

// MarshalText formats the duration as time.Duration.String does.
func (d Duration) MarshalText() ([]byte, error) { return []byte(d.String()), nil }
