package simple

import (
	"strings"
	"testing"
)

// RFC 5438 §7.1.1.3 and §10.
func TestDispositionNotification(t *testing.T) {
	tests := []struct {
		in   string
		want DispositionNotification
		out  string
	}{
		{"positive-delivery, negative-delivery", NotifyPositiveDelivery | NotifyNegativeDelivery, "positive-delivery, negative-delivery"},
		{"display", NotifyDisplay, "display"},
		{"", 0, ""},
		{"  ", 0, ""},
		{"processing,display ,  positive-delivery", NotifyProcessing | NotifyDisplay | NotifyPositiveDelivery, "positive-delivery, processing, display"},
		{"display;x=1 ; y=\"z\", future-thing", NotifyDisplay, "display"},
		{"Display", 0, ""}, // case-sensitive (§10)
		{"display, display", NotifyDisplay, "display"},
	}
	for _, tt := range tests {
		got, err := ParseDispositionNotification(tt.in)
		if err != nil || got != tt.want {
			t.Errorf("Parse(%q) = %v, %v; want %v", tt.in, got, err, tt.want)
			continue
		}
		if s := got.String(); s != tt.out {
			t.Errorf("String(%v) = %q, want %q", got, s, tt.out)
		}
		if back, err := ParseDispositionNotification(got.String()); err != nil || back != got {
			t.Errorf("round trip of %q: %v, %v", got.String(), back, err)
		}
	}
	all := NotifyPositiveDelivery | NotifyNegativeDelivery | NotifyProcessing | NotifyDisplay
	if !all.Has(NotifyDisplay|NotifyProcessing) || NotifyDisplay.Has(NotifyDisplay|NotifyProcessing) || !DispositionNotification(0).Has(0) {
		t.Error("Has")
	}
	for _, bad := range []string{",", "display,", "dis play", "display;", "display;=x", "a(b)", strings.Repeat("display,", maxDispositions) + "display"} {
		t.Run(bad, func(t *testing.T) {
			_, err := ParseDispositionNotification(bad)
			wantErr(t, err, ErrMalformed, "imdn")
		})
	}
}
