package main

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Every benchmark message body starts with bodyMarker, then the step number,
// the message number within the step and its send time:
//
//	sxb <step> <n> <unix-µs>                  (sent by the Go s2s peer)
//	sxb <step> <n> <sec>.000000 <µs>.000000   (sent by sipp: gettimeofday)
//
// The sipp UAS logs what it receives as the Go peer's form followed by its
// own gettimeofday pair.
const bodyMarker = "sxb"

var errNotBenchBody = errors.New("msgbench: not a benchmark body")

// parseBody reads a benchmark body in either form and returns the step,
// the message number and the send time in Unix microseconds.
func parseBody(s string) (step, n int, sentUS int64, err error) {
	f := strings.Fields(s)
	if len(f) < 4 || f[0] != bodyMarker {
		return 0, 0, 0, errNotBenchBody
	}
	if step, err = strconv.Atoi(f[1]); err != nil || step < 0 {
		return 0, 0, 0, fmt.Errorf("msgbench: body step %q: %w", f[1], errNotBenchBody)
	}
	if n, err = strconv.Atoi(f[2]); err != nil || n < 0 {
		return 0, 0, 0, fmt.Errorf("msgbench: body number %q: %w", f[2], errNotBenchBody)
	}
	switch len(f) {
	case 4:
		sentUS, err = strconv.ParseInt(f[3], 10, 64)
	case 5:
		sentUS, err = sippTime(f[3], f[4])
	default:
		err = errNotBenchBody
	}
	if err != nil || sentUS <= 0 {
		return 0, 0, 0, fmt.Errorf("msgbench: body time: %w", errNotBenchBody)
	}
	return step, n, sentUS, nil
}

// parseUASLog reads one line of the sipp UAS log: a Go peer body followed
// by the receive time as sipp's gettimeofday pair.
func parseUASLog(line string) (step, n int, sentUS, recvUS int64, err error) {
	f := strings.Fields(line)
	if len(f) != 6 {
		return 0, 0, 0, 0, errNotBenchBody
	}
	step, n, sentUS, err = parseBody(strings.Join(f[:4], " "))
	if err != nil {
		return 0, 0, 0, 0, err
	}
	recvUS, err = sippTime(f[4], f[5])
	if err != nil {
		return 0, 0, 0, 0, err
	}
	return step, n, sentUS, recvUS, nil
}

// sippTime converts sipp's gettimeofday variables, printed as doubles
// ("1795409447.000000", "283875.000000"), to Unix microseconds.
func sippTime(sec, usec string) (int64, error) {
	s, err := wholeNumber(sec)
	if err != nil {
		return 0, err
	}
	us, err := wholeNumber(usec)
	if err != nil || us >= 1e6 {
		return 0, fmt.Errorf("msgbench: sipp microseconds %q: %w", usec, errNotBenchBody)
	}
	if s > 1<<40 {
		return 0, fmt.Errorf("msgbench: sipp seconds %q: %w", sec, errNotBenchBody)
	}
	return s*1e6 + us, nil
}

// wholeNumber parses "123" or "123.000000" (a non-negative integer printed
// as a double).
func wholeNumber(s string) (int64, error) {
	whole, frac, _ := strings.Cut(s, ".")
	if strings.Trim(frac, "0") != "" {
		return 0, fmt.Errorf("msgbench: %q is not a whole number: %w", s, errNotBenchBody)
	}
	v, err := strconv.ParseInt(whole, 10, 64)
	if err != nil || v < 0 {
		return 0, fmt.Errorf("msgbench: %q is not a whole number: %w", s, errNotBenchBody)
	}
	return v, nil
}
