package simple

import "testing"

// RFC 8048 §6.2 note 6: the examples, the ends, negatives refused, and
// every XMPP priority 0..127 maps to a distinct qvalue that maps back.
func TestPriority(t *testing.T) {
	for _, tt := range []struct {
		xmpp int
		q    string
	}{{0, "0"}, {1, "0.007"}, {2, "0.015"}, {63, "0.496"}, {126, "0.992"}, {127, "1"}} {
		q, ok := FormatPriority(tt.xmpp)
		if !ok || q != tt.q {
			t.Errorf("FormatPriority(%d) = %q, %v; want %q", tt.xmpp, q, ok, tt.q)
		}
	}
	for _, bad := range []int{-1, -128, 128, 1000} {
		if q, ok := FormatPriority(bad); ok {
			t.Errorf("FormatPriority(%d) = %q, want no mapping", bad, q)
		}
	}
	seen := map[string]int{}
	for k := 0; k <= 127; k++ {
		q, ok := FormatPriority(k)
		if !ok || !validQValue(q) {
			t.Fatalf("FormatPriority(%d) = %q, %v: not a qvalue", k, q, ok)
		}
		if prev, dup := seen[q]; dup {
			t.Fatalf("FormatPriority(%d) = FormatPriority(%d) = %q", k, prev, q)
		}
		seen[q] = k
		if back, ok := ParsePriority(q); !ok || back != k {
			t.Fatalf("ParsePriority(%q) = %d, %v; want %d", q, back, ok, k)
		}
	}
	// Foreign qvalues land on the nearest XMPP priority at or above.
	for q, want := range map[string]int{"0.5": 64, "0.8": 102, "0.65": 83, "1.0": 127, "1.000": 127, "0.": 0, "0.001": 1, "0.999": 127} {
		if got, ok := ParsePriority(q); !ok || got != want {
			t.Errorf("ParsePriority(%q) = %d, %v; want %d", q, got, ok, want)
		}
	}
	for _, bad := range []string{"", "2", "-0.5", "0.1234", "abc"} {
		if _, ok := ParsePriority(bad); ok {
			t.Errorf("ParsePriority(%q) accepted", bad)
		}
	}
}

// RFC 8048 §6.2 note 2.
func TestTupleID(t *testing.T) {
	for _, tt := range []struct{ resource, id string }{
		{"yn0cl4bnw0yr3vym", "ID-yn0cl4bnw0yr3vym"},
		{"1phone", "ID-1phone"},
		{"ID-x", "ID-ID-x"},
		{"", "ID-"},
	} {
		if got := TupleID(tt.resource); got != tt.id {
			t.Errorf("TupleID(%q) = %q, want %q", tt.resource, got, tt.id)
		}
		if got := TupleResource(tt.id); got != tt.resource {
			t.Errorf("TupleResource(%q) = %q, want %q", tt.id, got, tt.resource)
		}
	}
	if got := TupleResource("sg89ae"); got != "sg89ae" {
		t.Errorf("TupleResource of a SIP tuple id = %q", got)
	}
}
