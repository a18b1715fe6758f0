package msrp

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
)

// Defaults of Limits.
const (
	DefaultMaxHeaderBytes       = 16 << 10
	DefaultMaxBody              = 1 << 20
	DefaultMaxDiscard     int64 = 16 << 20
)

// maxNonSendBody: RFC 4975 §7.1: non-SEND request bodies MUST NOT be
// larger than 10240 octets.
const maxNonSendBody = 10240

// Limits bound what a Reader accepts. Zero fields take the defaults.
type Limits struct {
	// MaxHeaderBytes bounds the start line and header fields of a frame.
	MaxHeaderBytes int
	// MaxBody bounds the body of one frame (one chunk). RFC 4975 §7.1.1
	// lets a chunk be as large as the whole message, so this is usually
	// the largest message accepted (SDP max-size) or more.
	MaxBody int
	// MaxDiscard bounds the bytes skipped to find the end of a frame that
	// is rejected (a header section or body over its bound, a malformed
	// header): beyond it the connection is given up.
	MaxDiscard int64
}

func (l Limits) withDefaults() Limits {
	if l.MaxHeaderBytes <= 0 {
		l.MaxHeaderBytes = DefaultMaxHeaderBytes
	}
	if l.MaxBody <= 0 {
		l.MaxBody = DefaultMaxBody
	}
	if l.MaxDiscard <= 0 {
		l.MaxDiscard = DefaultMaxDiscard
	}
	return l
}

// Reader reads MSRP frames from a byte stream (RFC 4975 §5.1, §9). A
// frame's end is found by its end-line ("-------" transaction-id flag,
// RFC 4975 §7.1), so bodies may contain any bytes. It is not safe for
// concurrent use: one goroutine reads a connection.
//
// Tolerance: header fields may come in any order and their names in any
// case; lines may end in LF instead of CRLF (the end-line is found by the
// transaction id, not by the line ending, so this costs nothing in
// safety: a CRLF before the end-line is always stripped first); empty
// lines between frames are skipped.
type Reader struct {
	br   *bufio.Reader
	lim  Limits
	pool *BufferPool

	hdr   []byte // start line and header lines of the current frame
	count int    // header bytes read for the current frame
	over  []byte // on errLineTooLong: the part of the line already read
	pat   []byte // "-------" + transaction id of the current frame

	bufp *[]byte // pooled buffer of buf, nil when none is held
	buf  []byte  // body (or, when discarding, the unsearched tail)
	from int     // buf[:from] holds no end-line start

	skipping  bool  // the current frame's end-line has still to be found
	discarded int64 // bytes discarded while skipping
}

// NewReader returns a Reader of br. Body buffers come from pool; a nil
// pool gives the Reader a private one.
func NewReader(br *bufio.Reader, lim Limits, pool *BufferPool) *Reader {
	if pool == nil {
		pool = NewBufferPool()
	}
	return &Reader{br: br, lim: lim.withDefaults(), pool: pool}
}

var errLineTooLong = errors.New("msrp: line too long")

// Read reads the next frame into m (after m.Reset). m.Body, if any,
// points into a buffer the Reader owns until its next Read or Release.
//
// Errors: io.EOF when the stream ends between frames; io.ErrUnexpectedEOF
// (wrapped) or the read error when it ends or fails inside one; a
// *FrameError for a frame that cannot be delivered — see FrameError for
// what it allows. After a FrameError with Recoverable set, m holds the
// fields parsed before the error (TransactionID always, the paths and
// report fields when they were readable), so that the answer can be
// addressed, and Read may be called again.
func (r *Reader) Read(m *Message) error {
	if r.skipping {
		if err := r.skip(); err != nil {
			return err
		}
	}
	r.Release()
	m.Reset()
	r.hdr = r.hdr[:0]
	r.count = 0

	// Start line, after any empty lines.
	var s, e int
	for {
		var err error
		s, e, err = r.readLine()
		if errors.Is(err, errLineTooLong) {
			return &FrameError{Err: fmt.Errorf("%w: %w", ErrDesync, ErrHeaderTooLarge)}
		}
		if err != nil {
			if err == io.EOF && len(r.hdr) == 0 {
				return io.EOF // between frames
			}
			return unexpected(err)
		}
		if e > s {
			break
		}
		r.hdr = r.hdr[:0]
	}
	tid, rest, ok := splitStartLine(r.hdr[s:e])
	if !ok {
		return &FrameError{Err: fmt.Errorf("%w: unreadable start line", ErrDesync)}
	}
	request := len(rest) == 0 || !isDigit(rest[0])
	r.pat = append(append(r.pat[:0], endLineDashes...), tid...)

	// Header fields, up to the empty line (a body follows) or the
	// end-line (no body, RFC 4975 §7.1).
	hasBody := false
	var flag Flag
	for {
		s, e, err := r.readLine()
		if errors.Is(err, errLineTooLong) {
			return r.rejectUnread(m, request, ErrHeaderTooLarge)
		}
		if err != nil {
			return unexpected(err)
		}
		line := r.hdr[s:e]
		if len(line) == 0 {
			hasBody = true
			break
		}
		if bytes.HasPrefix(line, []byte(endLineDashes)) {
			if len(line) != len(r.pat)+1 || !bytes.HasPrefix(line, r.pat) || !Flag(line[len(line)-1]).valid() {
				return &FrameError{TransactionID: string(tid), Request: request,
					Err: fmt.Errorf("%w: end-line does not match transaction", ErrDesync)}
			}
			flag = Flag(line[len(line)-1])
			r.hdr = r.hdr[:s]
			break
		}
	}

	// One allocation holds every string of the frame.
	text := string(r.hdr)
	if cap(r.hdr) > 4<<10 {
		r.hdr = nil // do not keep a large scratch buffer on an idle connection
	}
	perr := parseFrame(m, text)
	if m.TransactionID == "" {
		m.TransactionID = string(tid)
	}
	if !hasBody {
		m.Flag = flag
		if perr != nil {
			return r.frameError(m, request, 400, perr)
		}
		return nil
	}
	if perr == nil && !request {
		perr = malformed("response with a body")
	}
	if perr == nil && m.ContentType == "" {
		perr = malformed("body without Content-Type")
	}
	if perr != nil {
		if err := r.startSkip(nil); err != nil {
			return err
		}
		return r.frameError(m, request, 400, perr)
	}

	max := r.lim.MaxBody
	if m.Method != MethodSEND && max > maxNonSendBody {
		max = maxNonSendBody
	}
	// The Byte-Range, when it gives the chunk's length, sizes the first
	// read of the body: only the body's octets are copied.
	hint := 256
	if br := m.ByteRange; br.End != Unknown && br.End-br.Start+1 < int64(max) {
		hint = int(br.End-br.Start+1) + len(r.pat) + 8
	}
	// A Byte-Range may lie: the buffer grows with the data received.
	r.bufp = r.pool.Get(min(hint, 16<<10))
	r.buf = *r.bufp
	r.from = 0
	end, flag, err := r.scan(true, max, hint)
	if err != nil {
		if errors.Is(err, ErrBodyTooLarge) {
			// Answer now (RFC 4975 §10.5: the sender MUST interrupt the
			// chunk); the next Read skips the rest of the frame.
			r.skipping = true
			r.discarded = 0
			return r.frameError(m, request, 413, err)
		}
		return err
	}
	if end > max {
		r.Release()
		return r.frameError(m, request, 413, fmt.Errorf("%w: %d octets", ErrBodyTooLarge, end))
	}
	m.Body = r.buf[:end]
	m.Flag = flag
	return nil
}

// Release gives the body buffer of the last frame back to the pool; the
// Body of the Message read last must not be used afterwards. Read calls it
// itself; call it after handling a frame to hold no buffer while idle.
func (r *Reader) Release() {
	if r.skipping || r.bufp == nil {
		return
	}
	*r.bufp = r.buf[:0]
	r.pool.Put(r.bufp)
	r.bufp, r.buf = nil, nil
}

func (r *Reader) frameError(m *Message, request bool, code int, err error) error {
	fe := &FrameError{TransactionID: m.TransactionID, Request: request, Recoverable: true, Err: err}
	if request {
		fe.Code = code
	}
	return fe
}

// rejectUnread handles a header section over its bound: the frame's end is
// still unread, so it is skipped first.
func (r *Reader) rejectUnread(m *Message, request bool, cause error) error {
	m.TransactionID = string(r.pat[len(endLineDashes):])
	seed := r.over
	r.over = nil // up to MaxHeaderBytes: not kept on an idle connection
	if err := r.startSkip(seed); err != nil {
		return err
	}
	return r.frameError(m, request, 400, cause)
}

// readLine appends the next line, with its line ending, to r.hdr and
// returns the bounds of its content (line ending excluded). On
// errLineTooLong the line's text read so far is in r.over.
func (r *Reader) readLine() (start, end int, err error) {
	start = len(r.hdr)
	for {
		chunk, err := r.br.ReadSlice('\n')
		r.count += len(chunk)
		if r.count > r.lim.MaxHeaderBytes {
			r.over = append(append(r.over[:0], r.hdr[start:]...), chunk...)
			return start, start, errLineTooLong
		}
		r.hdr = append(r.hdr, chunk...)
		switch err {
		case nil:
			end = len(r.hdr) - 1
			if end > start && r.hdr[end-1] == '\r' {
				end--
			}
			return start, end, nil
		case bufio.ErrBufferFull:
			continue
		}
		return start, len(r.hdr), err
	}
}

func unexpected(err error) error {
	if err == io.EOF {
		return fmt.Errorf("msrp: %w", io.ErrUnexpectedEOF)
	}
	return fmt.Errorf("msrp: read: %w", err)
}

// startSkip discards the rest of the current frame, up to and including
// its end-line; seed holds bytes already read from the stream that belong
// to the frame and must be searched too.
func (r *Reader) startSkip(seed []byte) error {
	r.Release()
	r.bufp = r.pool.Get(len(seed))
	r.buf = append(*r.bufp, seed...)
	r.from = 0
	r.skipping = true
	r.discarded = 0
	return r.skip()
}

// skip finishes discarding the current frame.
func (r *Reader) skip() error {
	_, _, err := r.scan(false, 0, 0)
	r.skipping = false
	r.Release()
	if err != nil {
		return err
	}
	return nil
}

// scan reads the stream into r.buf until r.buf holds the end-line of the
// current frame (r.pat followed by a flag and a line ending), consuming
// exactly the bytes up to the end of that end-line. It returns the length
// of the body: r.buf up to the end-line, less the CRLF (or LF) that
// precedes it (RFC 4975 §7.1). RFC 4975 §7.1 forbids the end-line text in
// a body, so the first occurrence is the end.
//
// keep: r.buf accumulates the body, which must not exceed max octets
// (ErrBodyTooLarge otherwise, with the scan state kept for skip); each
// read takes at most step octets from the bufio.Reader, step starting at
// hint and doubling, so that a small body costs a small copy however much
// the bufio.Reader holds. Not keep: only the unsearched tail is kept, and
// at most Limits.MaxDiscard octets are discarded.
func (r *Reader) scan(keep bool, max, hint int) (int, Flag, error) {
	step := hint
	pat := r.pat
	base := len(r.buf) // r.buf[:base] is consumed, r.buf[base:] only peeked
	for {
		for {
			i := bytes.Index(r.buf[r.from:], pat)
			if i < 0 {
				if f := len(r.buf) - len(pat) + 1; f > r.from {
					r.from = f
				}
				break
			}
			j := r.from + i
			flag, n := endLineAt(r.buf, j+len(pat))
			if n < 0 { // need more bytes to decide
				r.from = j
				break
			}
			if n == 0 {
				r.from = j + 1
				continue
			}
			if end := j + len(pat) + n; end > base {
				if _, err := r.br.Discard(end - base); err != nil {
					return 0, 0, r.scanFailed(err)
				}
			}
			switch {
			case j >= 2 && r.buf[j-2] == '\r' && r.buf[j-1] == '\n':
				j -= 2
			case j >= 1 && r.buf[j-1] == '\n':
				j--
			}
			return j, flag, nil
		}
		if n := len(r.buf) - base; n > 0 {
			if _, err := r.br.Discard(n); err != nil {
				return 0, 0, r.scanFailed(err)
			}
		}
		if keep {
			if r.from-2 > max {
				return 0, 0, fmt.Errorf("%w: more than %d octets", ErrBodyTooLarge, max)
			}
		} else {
			// Keep only the tail that may hold the start of the end-line.
			r.discarded += int64(r.from)
			if r.discarded > r.lim.MaxDiscard {
				r.skipping = false
				r.Release()
				return 0, 0, &FrameError{TransactionID: string(pat[len(endLineDashes):]),
					Err: fmt.Errorf("%w: no end-line within %d octets", ErrDesync, r.lim.MaxDiscard)}
			}
			r.buf = r.buf[:copy(r.buf, r.buf[r.from:])]
			r.from = 0
		}
		base = len(r.buf)
		if r.br.Buffered() == 0 {
			if _, err := r.br.Peek(1); err != nil {
				return 0, 0, r.scanFailed(err)
			}
		}
		n := r.br.Buffered()
		if keep {
			n = min(n, step)
			step = min(2*step, 1<<30)
		}
		p, _ := r.br.Peek(n)
		if len(r.buf)+len(p) > cap(r.buf) {
			r.grow(len(r.buf) + len(p))
		}
		r.buf = append(r.buf, p...)
	}
}

func (r *Reader) scanFailed(err error) error {
	r.skipping = false
	r.Release()
	return unexpected(err)
}

// grow replaces r.buf by a pooled buffer of capacity at least n holding
// the same bytes.
func (r *Reader) grow(n int) {
	if c := 2 * cap(r.buf); n < c {
		n = c
	}
	nbp := r.pool.Get(n)
	nb := append(*nbp, r.buf...)
	if r.bufp != nil {
		*r.bufp = r.buf[:0]
		r.pool.Put(r.bufp)
	}
	r.bufp, r.buf = nbp, nb
}

// endLineAt checks what follows "-------" transaction-id at b[k:]: a
// continuation flag and CRLF or LF. It returns the flag and the length of
// flag plus line ending, 0 when b[k:] is not the rest of an end-line, or
// -1 when b ends before that can be told.
func endLineAt(b []byte, k int) (Flag, int) {
	if k >= len(b) {
		return 0, -1
	}
	f := Flag(b[k])
	if !f.valid() {
		return 0, 0
	}
	switch {
	case k+1 >= len(b):
		return 0, -1
	case b[k+1] == '\n':
		return f, 2
	case b[k+1] != '\r':
		return 0, 0
	case k+2 >= len(b):
		return 0, -1
	case b[k+2] == '\n':
		return f, 3
	}
	return 0, 0
}
