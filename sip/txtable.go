package sip

import (
	"hash/maphash"
	"strconv"
	"sync"
	"time"
)

// txKey identifies a non-INVITE server transaction (RFC 3261 §17.2.3): a
// 128-bit keyed hash of the top Via's branch and sent-by and of the method
// (or, for a branch without the RFC 3261 magic cookie, of the fields
// §17.2.3 lists for RFC 2543 peers). Two hashes under secret seeds make a
// collision (a new request taken for a retransmission) as likely as
// guessing 128 random bits.
type txKey [2]uint64

// txKeyer hashes transaction identifiers under per-endpoint secret seeds.
type txKeyer struct {
	seeds [3]maphash.Seed // key halves, To tag
}

func newTxKeyer() txKeyer {
	return txKeyer{seeds: [3]maphash.Seed{maphash.MakeSeed(), maphash.MakeSeed(), maphash.MakeSeed()}}
}

// key hashes id, the transaction identifier's fields joined by NUL bytes.
func (k *txKeyer) key(id []byte) txKey {
	return txKey{maphash.Bytes(k.seeds[0], id), maphash.Bytes(k.seeds[1], id)}
}

// appendTag appends the To tag of the responses of the transaction id
// (RFC 3261 §8.2.6.2, §19.3: the same tag on every response to the
// request, 64 bits no peer can predict), derived rather than stored so that
// a retransmitted request is answered with the very same tag.
func (k *txKeyer) appendTag(dst, id []byte) []byte {
	h := maphash.Bytes(k.seeds[2], id)
	return strconv.AppendUint(dst, h, 36)
}

// txReply is the final response a transaction ended with, kept to answer
// its retransmissions (RFC 3261 §17.2.2). Either code/reason/headers,
// rendered again from the retransmitted request (which carries the same
// Via, From, To, Call-ID and CSeq), or raw, the bytes sent, resent as they
// are. Immutable once stored.
type txReply struct {
	code    int
	reason  string
	headers []headerLine
	raw     []byte
}

// headerLine is an extra header field of a response.
type headerLine struct{ name, value string }

// Non-INVITE server transactions over UDP stay in the Completed state for
// Timer J = 64*T1 = 32 s after their final response (RFC 3261 §17.2.2,
// Table 4), absorbing retransmissions. The table keeps them in txGens
// generations of txGenSpan each, dropping the oldest as a whole: an entry
// lives between (txGens-1)*txGenSpan = 32 s and txGens*txGenSpan = 40 s.
const (
	txGenSpan = 8 * time.Second
	txGens    = 5
	// txTableMax bounds the transactions remembered (about 30 bytes each):
	// 40 s at 50,000 requests/s. Beyond it new requests get 503 until the
	// oldest generation is dropped.
	txTableMax = 2 << 20
)

// txBegin is what txTable.begin found.
type txBegin int

const (
	txNew       txBegin = iota // a new transaction, now Trying
	txPending                  // a retransmission while Trying: absorb it
	txCompleted                // a retransmission after the final response: resend it
	txFull                     // no room: refuse the request statelessly
)

// txTable is the non-INVITE server transaction table of the UDP fast path:
// bounded, expiring by generations, one mutex (held for a map operation).
//
// The transaction maps hold no pointers, so that the garbage collector does
// not walk them (at 20,000 MESSAGEs a second they hold most of a million
// entries); only the few replies of their own sit in small side maps:
// an entry is a txRef, Trying, one of the replies every transaction shares
// (200 OK, the overload 503), or the number of a reply of its own kept in
// its generation's side map with it.
type txTable struct {
	mu     sync.Mutex
	gens   [txGens]map[txKey]txRef
	own    [txGens]map[txRef]*txReply // replies of their own, by generation
	shared []*txReply                 // txRef 1..len: shared replies
	next   txRef                      // the next own reply's number
	cur    int                        // index of the newest generation
	start  time.Time                  // when gens[cur] began
	n      int                        // entries in all generations
	limit  int
}

// txRef is a transaction's entry: txTrying, a shared reply (1 to
// len(shared)) or a reply of its own (above that).
type txRef uint32

const txTrying txRef = 0

// newTxTable returns a table of at most limit transactions; shared are
// the replies transactions may end with that are stored once for all.
func newTxTable(limit int, now time.Time, shared ...*txReply) *txTable {
	t := &txTable{start: now, limit: limit, shared: shared, next: txRef(len(shared) + 1)}
	for i := range t.gens {
		t.gens[i] = map[txKey]txRef{}
		t.own[i] = map[txRef]*txReply{}
	}
	return t
}

// rotate drops the generations older than txGens*txGenSpan at now.
func (t *txTable) rotate(now time.Time) {
	for i := 0; i < txGens && now.Sub(t.start) >= txGenSpan; i++ {
		t.cur = (t.cur + 1) % txGens
		t.n -= len(t.gens[t.cur])
		clear(t.gens[t.cur])
		clear(t.own[t.cur])
		t.start = t.start.Add(txGenSpan)
	}
	if now.Sub(t.start) >= txGenSpan {
		// Idle for longer than every generation: all are empty now.
		t.start = now
	}
}

// find returns the reply of k (nil while Trying), newest generation first.
func (t *txTable) find(k txKey) (*txReply, bool) {
	for i := range txGens {
		gi := (t.cur - i + txGens) % txGens
		ref, ok := t.gens[gi][k]
		if !ok {
			continue
		}
		switch {
		case ref == txTrying:
			return nil, true
		case int(ref) <= len(t.shared):
			return t.shared[ref-1], true
		}
		return t.own[gi][ref], true
	}
	return nil, false
}

// begin looks k up and, if it is new, enters it in the Trying state.
func (t *txTable) begin(k txKey, now time.Time) (txBegin, *txReply) {
	t.mu.Lock()
	defer t.mu.Unlock()
	t.rotate(now)
	if r, ok := t.find(k); ok {
		if r == nil {
			return txPending, nil
		}
		return txCompleted, r
	}
	if t.n >= t.limit {
		return txFull, nil
	}
	t.gens[t.cur][k] = txTrying
	t.n++
	return txNew, nil
}

// complete records the final response of k, which begin entered. An entry
// already dropped (only possible after a generation's lifetime) stays
// dropped.
func (t *txTable) complete(k txKey, r *txReply) {
	t.mu.Lock()
	defer t.mu.Unlock()
	for i := range txGens {
		gi := (t.cur - i + txGens) % txGens
		if _, ok := t.gens[gi][k]; !ok {
			continue
		}
		for j, s := range t.shared {
			if s == r {
				t.gens[gi][k] = txRef(j + 1)
				return
			}
		}
		ref := t.next
		if t.next++; t.next == 0 {
			t.next = txRef(len(t.shared) + 1) // wrapped: older numbers are long gone
		}
		t.own[gi][ref] = r
		t.gens[gi][k] = ref
		return
	}
}

// len returns the number of transactions remembered.
func (t *txTable) len() int {
	t.mu.Lock()
	defer t.mu.Unlock()
	return t.n
}
