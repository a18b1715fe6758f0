package dnsres

import (
	"fmt"
	"math/rand/v2"
	"net"
	"testing"
)

func srvs(spec ...[3]int) []*net.SRV {
	out := make([]*net.SRV, 0, len(spec))
	for i, s := range spec {
		out = append(out, &net.SRV{Target: fmt.Sprintf("t%d.", i), Priority: uint16(s[0]), Weight: uint16(s[1]), Port: uint16(s[2])})
	}
	return out
}

func targets(in []*net.SRV) string {
	s := ""
	for _, r := range in {
		s += r.Target
	}
	return s
}

func TestOrderSRVDeterministic(t *testing.T) {
	maxDraw := func(n int) int { return n - 1 } // no shuffle swaps; always the sum
	tests := []struct {
		name string
		in   []*net.SRV
		want string
	}{
		{"empty", nil, ""},
		{"one", srvs([3]int{1, 0, 1}), "t0."},
		{"priority ascending", srvs([3]int{30, 1, 1}, [3]int{10, 1, 1}, [3]int{20, 1, 1}), "t1.t2.t0."},
		// Zero weights go to the front of the list, so a draw of the full sum picks the
		// heaviest last-listed record: t2 (20), then t1 (10), then t0 (0).
		{"weights", srvs([3]int{5, 0, 1}, [3]int{5, 10, 1}, [3]int{5, 20, 1}), "t2.t1.t0."},
		{"zero weight listed last goes to front", srvs([3]int{5, 10, 1}, [3]int{5, 0, 1}), "t0.t1."},
		{"priority groups kept apart", srvs([3]int{2, 50, 1}, [3]int{1, 0, 1}, [3]int{2, 5, 1}, [3]int{1, 7, 1}), "t3.t1.t2.t0."},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			orderSRV(tt.in, maxDraw)
			if got := targets(tt.in); got != tt.want {
				t.Errorf("order = %s, want %s", got, tt.want)
			}
		})
	}

	// A draw of 0 picks the first record of the list, a weight 0 one if any (RFC 2782).
	zeroDraw := func(int) int { return 0 }
	in := srvs([3]int{5, 10, 1}, [3]int{5, 0, 1})
	orderSRV(in, zeroDraw)
	if in[0].Weight != 0 {
		t.Errorf("draw 0 picked %v first, want the weight 0 record", in[0])
	}
}

// TestOrderSRVDistribution checks that, over many draws, each record of a priority goes
// first in proportion to its weight, and that weight 0 has the small chance the RFC gives.
func TestOrderSRVDistribution(t *testing.T) {
	const draws = 20000
	rng := rand.New(rand.NewPCG(1, 2))
	tests := []struct {
		name    string
		weights []int
		want    []float64 // chance of going first
	}{
		// r in [0,100]: r=0 picks whichever is listed first (shuffled): +1/101 spread evenly.
		{"10/30/60", []int{10, 30, 60}, []float64{(10 + 1.0/3) / 101, (30 + 1.0/3) / 101, (60 + 1.0/3) / 101}},
		{"0/9", []int{0, 9}, []float64{0.1, 0.9}},
		{"all zero", []int{0, 0, 0, 0}, []float64{0.25, 0.25, 0.25, 0.25}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			first := make(map[string]int)
			for range draws {
				var in []*net.SRV
				for i, w := range tt.weights {
					in = append(in, &net.SRV{Target: fmt.Sprint(i), Priority: 1, Weight: uint16(w)})
				}
				orderSRV(in, rng.IntN)
				if len(in) != len(tt.weights) {
					t.Fatalf("orderSRV lost records: %v", in)
				}
				first[in[0].Target]++
			}
			for i, want := range tt.want {
				got := float64(first[fmt.Sprint(i)]) / draws
				if got < want-0.02 || got > want+0.02 {
					t.Errorf("record %d (weight %d) first %.3f of the time, want %.3f", i, tt.weights[i], got, want)
				}
			}
		})
	}
}

func FuzzOrderSRV(f *testing.F) {
	f.Add([]byte{1, 0, 2, 5, 1, 10, 0, 0})
	f.Fuzz(func(t *testing.T, data []byte) {
		var in []*net.SRV
		for i := 0; i+1 < len(data) && len(in) < 64; i += 2 {
			in = append(in, &net.SRV{Target: fmt.Sprint(i), Priority: uint16(data[i] % 4), Weight: uint16(data[i+1])})
		}
		n := len(in)
		orderSRV(in, rand.IntN)
		if len(in) != n {
			t.Fatalf("length changed")
		}
		seen := make(map[string]bool)
		for i, s := range in {
			if seen[s.Target] {
				t.Fatalf("duplicate %s", s.Target)
			}
			seen[s.Target] = true
			if i > 0 && in[i-1].Priority > s.Priority {
				t.Fatalf("priority order broken at %d", i)
			}
		}
	})
}
