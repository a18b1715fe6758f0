//go:build interop && linux

package interop

import (
	"errors"
	"math"
	"testing"
)

const sampleExposition = `# HELP sxgw_xmpp_s2s_streams Server-to-server streams by direction and state.
# TYPE sxgw_xmpp_s2s_streams gauge
sxgw_xmpp_s2s_streams{direction="in",state="established"} 1
sxgw_xmpp_s2s_streams{state="established",direction="out"} 2
sxgw_xmpp_s2s_streams{direction="out",state="connecting"} 0
# TYPE sxgw_xmpp_stanzas_total counter
sxgw_xmpp_stanzas_total{direction="in",kind="iq"} 7 1700000000000
sxgw_xmpp_stanzas_total{direction="out",kind="iq"} 3
go_goroutines 42
odd{v="a \"quoted\" \\ back\nslash, {brace}"} +Inf
sxgw_req_seconds_bucket{le="0.5"} 1.5e3
`

func TestParseMetrics(t *testing.T) {
	m, err := parseMetrics([]byte(sampleExposition))
	if err != nil {
		t.Fatalf("parseMetrics: %v", err)
	}
	tests := []struct {
		name   string
		labels []string
		want   float64
	}{
		{"sxgw_xmpp_s2s_streams", []string{"direction", "in", "state", "established"}, 1},
		{"sxgw_xmpp_s2s_streams", []string{"state", "established", "direction", "out"}, 2},
		{"sxgw_xmpp_s2s_streams", []string{"direction", "out", "state", "connecting"}, 0},
		{"sxgw_xmpp_stanzas_total", []string{"kind", "iq", "direction", "in"}, 7},
		{"go_goroutines", nil, 42},
		{"odd", []string{"v", "a \"quoted\" \\ back\nslash, {brace}"}, math.Inf(1)},
		{"sxgw_req_seconds_bucket", []string{"le", "0.5"}, 1500},
	}
	for _, tt := range tests {
		got, ok := m.Value(tt.name, tt.labels...)
		if !ok || got != tt.want {
			t.Errorf("Value(%s %v) = %v, %v; want %v, true", tt.name, tt.labels, got, ok, tt.want)
		}
	}
	if _, ok := m.Value("sxgw_xmpp_s2s_streams", "direction", "in"); ok {
		t.Error("Value matched a series with a subset of its labels")
	}
	if got := m.Sum("sxgw_xmpp_s2s_streams", "state", "established"); got != 3 {
		t.Errorf("Sum(established) = %v, want 3", got)
	}
	if got := m.Sum("sxgw_xmpp_stanzas_total"); got != 10 {
		t.Errorf("Sum(stanzas) = %v, want 10", got)
	}
	if got := m.Sum("absent", "a", "b"); got != 0 {
		t.Errorf("Sum(absent) = %v, want 0", got)
	}
}

func TestParseMetricsRejects(t *testing.T) {
	for _, line := range []string{
		"novalue",
		`m{a="1"`,
		`m{a=1} 2`,
		`m{a="1",} 2 3 4`,
		`m{a="\q"} 1`,
		`m{="x"} 1`,
		`9m 1`,
		`m one`,
	} {
		if _, err := parseMetrics([]byte(line)); !errors.Is(err, errMetricsSyntax) {
			t.Errorf("parseMetrics(%q) error = %v, want errMetricsSyntax", line, err)
		}
	}
}

// FuzzParseMetrics checks that any accepted exposition round-trips through
// the canonical series keys.
func FuzzParseMetrics(f *testing.F) {
	f.Add([]byte(sampleExposition))
	f.Add([]byte(`a{b="\\\"\n"} 1`))
	f.Add([]byte("x 1 2\n# c\n\ny{} NaN"))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := parseMetrics(data)
		if err != nil {
			return
		}
		for key := range m {
			name, ls, err := parseSeries(key)
			if err != nil {
				t.Fatalf("canonical key %q does not parse: %v", key, err)
			}
			if again := canonicalSeries(name, ls); again != key {
				t.Fatalf("canonical key %q re-encodes as %q", key, again)
			}
		}
	})
}
