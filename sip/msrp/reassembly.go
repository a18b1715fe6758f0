package msrp

import (
	"fmt"
	"sync/atomic"
	"time"
)

// Defaults of ReassemblyConfig.
const (
	DefaultSessionBytes = 4 << 20
	DefaultMaxPending   = 16
)

// maxSpans bounds the disjoint byte ranges tracked per message: chunks
// arriving in a pathological order cost at most this much bookkeeping.
const maxSpans = 256

// rejectedMemory is how many rejected Message-IDs a Reassembler remembers
// to answer their later chunks without buffering them.
const rejectedMemory = 8

// Budget is a memory bound shared by the Reassemblers of many sessions
// (the global bound). It is safe for concurrent use.
type Budget struct {
	limit int64
	used  atomic.Int64
}

// NewBudget returns a Budget of limit octets.
func NewBudget(limit int64) *Budget { return &Budget{limit: limit} }

// Used returns the octets currently reserved.
func (b *Budget) Used() int64 { return b.used.Load() }

// Limit returns the bound.
func (b *Budget) Limit() int64 { return b.limit }

func (b *Budget) reserve(n int64) bool {
	for {
		u := b.used.Load()
		if u+n > b.limit {
			return false
		}
		if b.used.CompareAndSwap(u, u+n) {
			return true
		}
	}
}

func (b *Budget) release(n int64) { b.used.Add(-n) }

// ReassemblyConfig configures a Reassembler.
type ReassemblyConfig struct {
	// MaxMessageSize is the largest message accepted, in octets: the SDP
	// max-size the session advertised (RFC 4975 §8.6; RFC 7573 §8 for a
	// gateway to XMPP). 0: only MaxBytes limits.
	MaxMessageSize int64
	// MaxBytes bounds the memory of the session's incomplete messages
	// (DefaultSessionBytes when 0).
	MaxBytes int64
	// MaxPending bounds the number of incomplete messages
	// (DefaultMaxPending when 0).
	MaxPending int
	// Now gives the time for Sweep; time.Now when nil.
	Now func() time.Time
}

// Assembly is the result of Reassembler.Add for an accepted chunk.
type Assembly struct {
	// Complete is set when the chunk completed a message: Message holds
	// the header fields of its first chunk (Byte-Range starting at 1), the
	// whole body, Byte-Range 1-N/N and FlagEnd, ready for InitReport.
	Complete bool
	// Aborted is set when the chunk ended with "#" (RFC 4975 §7.1): the
	// message's data is dropped. Message holds its header fields.
	Aborted bool
	// Message is the complete or aborted message, nil for a chunk of a
	// message still incomplete. For a message in one chunk it is the
	// Message passed to Add itself (same ownership rules); otherwise it is
	// a new Message owned by the caller.
	Message *Message
	// Received is the number of octets of the message received so far
	// (all of them when Complete).
	Received int64
}

// Reassembler puts chunked messages back together for one session
// (RFC 4975 §7.3.1): chunks are grouped by Message-ID, may arrive in any
// order, may overlap (the last one received wins) or repeat; "#" aborts a
// message; the total may be unknown ("*"), and the chunk with "$" fixes
// the length. Lengths are taken from the bodies, not from range-end (a
// sender may have interrupted the chunk).
//
// Memory is bounded per session (MaxBytes) and across sessions (a shared
// Budget): a chunk that does not fit gets a *ChunkError with code 413,
// its message is dropped, and its later chunks get 413 too. Call Close
// when the session ends to give the memory back to the Budget.
//
// A Reassembler is not safe for concurrent use: one per session, used by
// the goroutine that reads the session's requests.
type Reassembler struct {
	cfg      ReassemblyConfig
	global   *Budget
	used     int64
	pending  map[string]*partial
	rejected [rejectedMemory]string
	nextRej  int
}

type partial struct {
	hdr     *Message // header fields: of the chunk starting at 1 once seen
	buf     []byte   // received data; len = furthest octet written
	charged int64    // cap(buf), counted in used and in the Budget
	spans   []span   // received ranges, sorted and disjoint
	final   int64    // message length set by the "$" chunk, or Unknown
	touched time.Time
}

type span struct{ start, end int64 } // [start, end), from 0

// NewReassembler returns a Reassembler bounded by cfg and by global (nil:
// no bound across sessions).
func NewReassembler(cfg ReassemblyConfig, global *Budget) *Reassembler {
	if cfg.MaxBytes <= 0 {
		cfg.MaxBytes = DefaultSessionBytes
	}
	if cfg.MaxPending <= 0 {
		cfg.MaxPending = DefaultMaxPending
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	return &Reassembler{cfg: cfg, global: global}
}

// Used returns the octets held for incomplete messages.
func (r *Reassembler) Used() int64 { return r.used }

// Pending returns the number of incomplete messages.
func (r *Reassembler) Pending() int { return len(r.pending) }

// Add takes one SEND chunk (m is not retained: its data is copied). The
// error, if any, is a *ChunkError whose Code is the status to answer with
// (through Decide).
//
// A bodiless SEND (no Content-Type) with no Byte-Range or one starting at
// 1 and flag "$" comes back Complete with an empty body: RFC 4975 §5.4
// uses it to bind a connection; the session answers it and delivers
// nothing.
func (r *Reassembler) Add(m *Message) (Assembly, error) {
	if m.Method != MethodSEND {
		return Assembly{}, fmt.Errorf("%w: Reassembler.Add of a %s", ErrInvalid, m.Method)
	}
	if r.isRejected(m.MessageID) {
		return Assembly{}, &ChunkError{MessageID: m.MessageID, Code: StatusTooLarge,
			Err: fmt.Errorf("%w: message already refused", ErrTooLarge)}
	}
	p := r.pending[m.MessageID]
	if p == nil && m.IsComplete() {
		if err := r.checkSize(m, int64(len(m.Body))); err != nil {
			return Assembly{}, err
		}
		n := int64(len(m.Body))
		return Assembly{Complete: true, Message: m, Received: n}, nil
	}
	if m.Flag == FlagAbort {
		a := Assembly{Aborted: true}
		if p != nil {
			a.Message, a.Received = p.hdr, p.received()
			r.drop(m.MessageID, p)
		}
		if a.Message == nil {
			a.Message = m.CloneHeader()
		}
		return a, nil
	}
	if m.MessageID == "" {
		return Assembly{}, &ChunkError{Code: StatusBadRequest,
			Err: fmt.Errorf("%w: chunk without Message-ID", ErrBadChunk)}
	}
	start := m.ByteRange.Start
	if start < 1 {
		start = 1
	}
	off := start - 1
	end := off + int64(len(m.Body))
	if err := r.checkSize(m, end); err != nil {
		r.reject(m.MessageID, p)
		return Assembly{}, err
	}
	if p == nil {
		if len(r.pending) >= r.cfg.MaxPending {
			r.reject(m.MessageID, nil)
			return Assembly{}, &ChunkError{MessageID: m.MessageID, Code: StatusTooLarge,
				Err: fmt.Errorf("%w: %d messages already incomplete", ErrTooLarge, len(r.pending))}
		}
		p = &partial{final: Unknown}
		if r.pending == nil {
			r.pending = make(map[string]*partial)
		}
		r.pending[m.MessageID] = p
	}
	if err := p.checkEnd(m.Flag, end); err != nil {
		r.reject(m.MessageID, p)
		return Assembly{}, &ChunkError{MessageID: m.MessageID, Code: StatusBadRequest, Err: err}
	}
	if end > int64(cap(p.buf)) {
		if err := r.grow(p, end, m.ByteRange.Total); err != nil {
			r.reject(m.MessageID, p)
			err.MessageID = m.MessageID
			return Assembly{}, err
		}
	}
	if end > int64(len(p.buf)) {
		p.buf = p.buf[:end]
	}
	copy(p.buf[off:end], m.Body) // RFC 4975 §7.3.1: the last chunk received wins
	if !p.add(span{off, end}) {
		r.reject(m.MessageID, p)
		return Assembly{}, &ChunkError{MessageID: m.MessageID, Code: StatusTooLarge,
			Err: fmt.Errorf("%w: too many gaps", ErrTooLarge)}
	}
	if m.Flag == FlagEnd {
		p.final = end
	}
	if p.hdr == nil || start == 1 {
		p.hdr = m.CloneHeader()
	}
	p.touched = r.cfg.Now()
	// checkEnd keeps every span inside [0, final): the message is whole
	// when they add up to final.
	if got := p.received(); p.final == Unknown || got != p.final {
		return Assembly{Received: got}, nil
	}
	// Complete: the body now belongs to the caller.
	msg := p.hdr
	msg.Body = p.buf[:p.final:p.final]
	msg.ByteRange = ByteRange{Start: 1, End: p.final, Total: p.final}
	msg.Flag = FlagEnd
	r.drop(m.MessageID, p)
	return Assembly{Complete: true, Message: msg, Received: p.final}, nil
}

// checkSize applies MaxMessageSize to the data up to end and to the
// declared total (RFC 7573 §8: 413 for a Byte-Range total over the limit).
func (r *Reassembler) checkSize(m *Message, end int64) error {
	max := r.cfg.MaxMessageSize
	if max <= 0 {
		return nil
	}
	if end > max || m.ByteRange.Total > max {
		return &ChunkError{MessageID: m.MessageID, Code: StatusTooLarge,
			Err: fmt.Errorf("%w: over the %d-octet limit", ErrTooLarge, max)}
	}
	return nil
}

// checkEnd: the "$" chunk defines the length of the message (RFC 4975
// §7.3.1); data beyond it, or a second "$" chunk disagreeing, is
// inconsistent.
func (p *partial) checkEnd(flag Flag, end int64) error {
	if p.final != Unknown && (end > p.final || (flag == FlagEnd && end != p.final)) {
		return fmt.Errorf("%w: data beyond the end of the message", ErrBadChunk)
	}
	if flag == FlagEnd && int64(len(p.buf)) > end {
		return fmt.Errorf("%w: final chunk ends before data already received", ErrBadChunk)
	}
	return nil
}

// grow gives p.buf a capacity of at least end octets, charged to the
// session and the Budget. The capacity doubles (from 64 KiB), so that a
// message costs at most twice what has been received, but never exceeds
// the declared total when that is known: a peer announcing a large
// message and sending little holds little memory.
func (r *Reassembler) grow(p *partial, end, total int64) *ChunkError {
	limit := r.cfg.MaxBytes
	if r.cfg.MaxMessageSize > 0 && r.cfg.MaxMessageSize < limit {
		limit = r.cfg.MaxMessageSize
	}
	want := max(2*int64(cap(p.buf)), end, 64<<10)
	if total >= end {
		want = min(want, total)
	}
	want = min(want, limit)
	if want < end {
		return &ChunkError{Code: StatusTooLarge, Err: fmt.Errorf("%w: %d octets over the session bound", ErrTooLarge, end)}
	}
	delta := want - p.charged
	if r.used+delta > r.cfg.MaxBytes {
		return &ChunkError{Code: StatusTooLarge, Err: fmt.Errorf("%w: session reassembly memory full", ErrTooLarge)}
	}
	if r.global != nil && !r.global.reserve(delta) {
		return &ChunkError{Code: StatusTooLarge, Err: fmt.Errorf("%w: reassembly memory full", ErrTooLarge)}
	}
	r.used += delta
	p.charged = want
	nb := make([]byte, len(p.buf), want)
	copy(nb, p.buf)
	p.buf = nb
	return nil
}

// add inserts s into the sorted disjoint spans, merging neighbours. It
// reports false when the message has too many gaps.
func (p *partial) add(s span) bool {
	if s.start == s.end {
		return true
	}
	i := 0
	for i < len(p.spans) && p.spans[i].end < s.start {
		i++
	}
	j := i
	for j < len(p.spans) && p.spans[j].start <= s.end {
		s.start = min(s.start, p.spans[j].start)
		s.end = max(s.end, p.spans[j].end)
		j++
	}
	if i == j {
		if len(p.spans) >= maxSpans {
			return false
		}
		p.spans = append(p.spans, span{})
		copy(p.spans[i+1:], p.spans[i:])
		p.spans[i] = s
		return true
	}
	p.spans[i] = s
	p.spans = append(p.spans[:i+1], p.spans[j:]...)
	return true
}

func (p *partial) received() int64 {
	var n int64
	for _, s := range p.spans {
		n += s.end - s.start
	}
	return n
}

// drop forgets a message and gives its memory back.
func (r *Reassembler) drop(id string, p *partial) {
	r.used -= p.charged
	if r.global != nil {
		r.global.release(p.charged)
	}
	p.charged = 0
	p.buf = nil
	delete(r.pending, id)
}

// reject drops a message (p may be nil) and remembers its id, so that its
// later chunks are refused without buffering (RFC 4975 §10.5: the sender
// MUST NOT send further chunks after a 413, but some are in flight).
func (r *Reassembler) reject(id string, p *partial) {
	if p != nil {
		r.drop(id, p)
	}
	if id == "" {
		return
	}
	r.rejected[r.nextRej] = id
	r.nextRej = (r.nextRej + 1) % rejectedMemory
}

func (r *Reassembler) isRejected(id string) bool {
	if id == "" {
		return false
	}
	for _, x := range r.rejected {
		if x == id {
			return true
		}
	}
	return false
}

// Drop forgets the incomplete message id, if any (for instance after the
// session answered one of its chunks with an error of its own).
func (r *Reassembler) Drop(id string) {
	if p := r.pending[id]; p != nil {
		r.drop(id, p)
	}
}

// Sweep drops the incomplete messages that received no chunk for idle,
// and returns how many it dropped.
func (r *Reassembler) Sweep(idle time.Duration) int {
	now := r.cfg.Now()
	n := 0
	for id, p := range r.pending {
		if now.Sub(p.touched) >= idle {
			r.drop(id, p)
			n++
		}
	}
	return n
}

// Close drops every incomplete message and gives the memory back to the
// Budget. The Reassembler may be used again afterwards.
func (r *Reassembler) Close() {
	for id, p := range r.pending {
		r.drop(id, p)
	}
}
