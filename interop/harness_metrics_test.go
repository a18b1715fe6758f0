//go:build interop && linux

package interop

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
)

// metrics is one scrape of a Prometheus text exposition: series -> value.
// A series is written name{k1="v1",k2="v2"} with its labels sorted by name,
// or just name when it has none; build keys with seriesKey.
type metrics map[string]float64

// label is one label pair of a series.
type label struct{ name, value string }

// seriesKey returns the key of a series in a metrics map. labels are name,
// value pairs in any order.
func seriesKey(name string, labels ...string) string {
	if len(labels)%2 != 0 {
		panic("interop: seriesKey needs name, value pairs")
	}
	ls := make([]label, 0, len(labels)/2)
	for i := 0; i < len(labels); i += 2 {
		ls = append(ls, label{labels[i], labels[i+1]})
	}
	return canonicalSeries(name, ls)
}

func canonicalSeries(name string, ls []label) string {
	if len(ls) == 0 {
		return name
	}
	slices.SortFunc(ls, func(a, b label) int { return strings.Compare(a.name, b.name) })
	var b strings.Builder
	b.WriteString(name)
	b.WriteByte('{')
	for i, l := range ls {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(l.name)
		b.WriteString(`="`)
		b.WriteString(labelEscaper.Replace(l.value))
		b.WriteByte('"')
	}
	b.WriteByte('}')
	return b.String()
}

// labelEscaper escapes a label value as the exposition format does.
var labelEscaper = strings.NewReplacer(`\`, `\\`, `"`, `\"`, "\n", `\n`)

// Value returns the value of one series and whether it was exposed.
func (m metrics) Value(name string, labels ...string) (float64, bool) {
	v, ok := m[seriesKey(name, labels...)]
	return v, ok
}

// Sum adds up every series of the metric name whose labels include the given
// name, value pairs (a missing series counts as 0).
func (m metrics) Sum(name string, labels ...string) float64 {
	want := make(map[string]string, len(labels)/2)
	for i := 0; i+1 < len(labels); i += 2 {
		want[labels[i]] = labels[i+1]
	}
	var sum float64
	for key, v := range m {
		n, ls, err := parseSeries(key)
		if err != nil || n != name {
			continue
		}
		matched := 0
		for _, l := range ls {
			if w, ok := want[l.name]; ok && w == l.value {
				matched++
			}
		}
		if matched == len(want) {
			sum += v
		}
	}
	return sum
}

// errMetricsSyntax reports a line that is not valid exposition text.
var errMetricsSyntax = errors.New("interop: metrics syntax")

// parseMetrics reads the Prometheus text exposition format (version 0.0.4):
// comment lines are skipped, every other line is
// name[{label="value",...}] value [timestamp].
func parseMetrics(text []byte) (metrics, error) {
	m := make(metrics)
	sc := bufio.NewScanner(bytes.NewReader(text))
	sc.Buffer(make([]byte, 0, 64<<10), 1<<20)
	for n := 1; sc.Scan(); n++ {
		line := strings.TrimSpace(sc.Text())
		if line == "" || line[0] == '#' {
			continue
		}
		end := seriesEnd(line)
		if end < 0 {
			return nil, fmt.Errorf("%w: line %d: %q", errMetricsSyntax, n, line)
		}
		name, ls, err := parseSeries(line[:end])
		if err != nil {
			return nil, fmt.Errorf("line %d: %w", n, err)
		}
		fields := strings.Fields(line[end:])
		if len(fields) < 1 || len(fields) > 2 {
			return nil, fmt.Errorf("%w: line %d: want a value and an optional timestamp: %q", errMetricsSyntax, n, line)
		}
		v, err := strconv.ParseFloat(fields[0], 64)
		if err != nil {
			return nil, fmt.Errorf("%w: line %d: value: %w", errMetricsSyntax, n, err)
		}
		m[canonicalSeries(name, ls)] = v
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("interop: metrics: %w", err)
	}
	return m, nil
}

// seriesEnd returns the index just past the series (name and labels) at the
// start of line, or -1 when the label set is not closed.
func seriesEnd(line string) int {
	i := strings.IndexAny(line, "{ \t")
	if i < 0 {
		return -1 // a name without a value
	}
	if line[i] != '{' {
		return i
	}
	inQuote := false
	for j := i + 1; j < len(line); j++ {
		switch c := line[j]; {
		case inQuote && c == '\\':
			j++
		case c == '"':
			inQuote = !inQuote
		case !inQuote && c == '}':
			return j + 1
		}
	}
	return -1
}

// parseSeries splits name{k="v",...} into the name and its labels.
func parseSeries(s string) (string, []label, error) {
	open := strings.IndexByte(s, '{')
	if open < 0 {
		if !validMetricName(s) {
			return "", nil, fmt.Errorf("%w: metric name %q", errMetricsSyntax, s)
		}
		return s, nil, nil
	}
	name := s[:open]
	if !validMetricName(name) || !strings.HasSuffix(s, "}") {
		return "", nil, fmt.Errorf("%w: series %q", errMetricsSyntax, s)
	}
	var ls []label
	rest := s[open+1 : len(s)-1]
	for {
		rest = strings.TrimLeft(rest, " \t")
		if rest == "" {
			return name, ls, nil
		}
		eq := strings.IndexByte(rest, '=')
		if eq <= 0 || eq+1 >= len(rest) || rest[eq+1] != '"' {
			return "", nil, fmt.Errorf("%w: labels of %q", errMetricsSyntax, s)
		}
		lname := strings.TrimSpace(rest[:eq])
		if !validMetricName(lname) {
			return "", nil, fmt.Errorf("%w: label name %q", errMetricsSyntax, lname)
		}
		value, n, err := unquoteLabel(rest[eq+1:])
		if err != nil {
			return "", nil, fmt.Errorf("%w: label %s of %q", err, lname, s)
		}
		ls = append(ls, label{lname, value})
		rest = strings.TrimLeft(rest[eq+1+n:], " \t")
		if rest == "" {
			return name, ls, nil
		}
		if rest[0] != ',' {
			return "", nil, fmt.Errorf("%w: labels of %q", errMetricsSyntax, s)
		}
		rest = rest[1:]
	}
}

// unquoteLabel reads a quoted label value at the start of s and returns it
// with the number of bytes consumed.
func unquoteLabel(s string) (string, int, error) {
	var b strings.Builder
	for i := 1; i < len(s); i++ {
		switch c := s[i]; c {
		case '"':
			return b.String(), i + 1, nil
		case '\\':
			i++
			if i >= len(s) {
				return "", 0, errMetricsSyntax
			}
			switch s[i] {
			case 'n':
				b.WriteByte('\n')
			case '\\', '"':
				b.WriteByte(s[i])
			default:
				return "", 0, errMetricsSyntax
			}
		default:
			b.WriteByte(c)
		}
	}
	return "", 0, errMetricsSyntax
}

// validMetricName reports whether s matches [a-zA-Z_:][a-zA-Z0-9_:]*.
func validMetricName(s string) bool {
	if s == "" {
		return false
	}
	for i, c := range s {
		switch {
		case c == '_' || c == ':' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z':
		case i > 0 && c >= '0' && c <= '9':
		default:
			return false
		}
	}
	return true
}
