package dnsres

import (
	"cmp"
	"net"
	"slices"
)

// orderSRV orders records in the order a client should try them (RFC 2782, "Usage
// rules"): by ascending priority, and within one priority by weighted random selection.
// intN(n) must return a uniform random int in [0, n).
func orderSRV(srvs []*net.SRV, intN func(int) int) {
	slices.SortStableFunc(srvs, func(a, b *net.SRV) int { return cmp.Compare(a.Priority, b.Priority) })
	for start := 0; start < len(srvs); {
		end := start + 1
		for end < len(srvs) && srvs[end].Priority == srvs[start].Priority {
			end++
		}
		orderByWeight(srvs[start:end], intN)
		start = end
	}
}

// orderByWeight orders records of one priority per RFC 2782: arrange the records not yet
// ordered with all those of weight 0 at the beginning, compute the running sum of the
// weights, choose a uniform random number between 0 and the sum (inclusive) and select
// the first record whose running sum is greater than or equal to it; repeat with the rest.
// So weight 0 records have a small chance of going first when others weigh more, and
// records that all weigh 0 come in random order.
func orderByWeight(g []*net.SRV, intN func(int) int) {
	if len(g) < 2 {
		return
	}
	// "in any order": shuffle, so that equal candidates take turns.
	for i := len(g) - 1; i > 0; i-- {
		j := intN(i + 1)
		g[i], g[j] = g[j], g[i]
	}
	slices.SortStableFunc(g, func(a, b *net.SRV) int {
		return cmp.Compare(min(a.Weight, 1), min(b.Weight, 1))
	})
	for i := 0; i < len(g)-1; i++ {
		rest := g[i:]
		sum := 0
		for _, s := range rest {
			sum += int(s.Weight)
		}
		n := intN(sum + 1)
		running, pick := 0, len(rest)-1
		for j, s := range rest {
			running += int(s.Weight)
			if running >= n {
				pick = j
				break
			}
		}
		// Move the pick to the front, keeping the others in order (weight 0 first).
		sel := rest[pick]
		copy(rest[1:pick+1], rest[:pick])
		rest[0] = sel
	}
}
