package msrp

import (
	"strings"
	"unicode/utf8"
)

// Chunk sizes (RFC 4975 §7.1.1): a chunk body larger than
// InterruptibleSize MUST be interruptible (range-end "*"); senders SHOULD
// NOT make chunks smaller than it, except the last.
const (
	InterruptibleSize = 2048
	DefaultChunkSize  = InterruptibleSize
)

// ChunkConfig configures a Chunker.
type ChunkConfig struct {
	// Size is the largest body of a chunk (DefaultChunkSize when 0). With
	// Size > 2048 the chunks that exceed 2048 octets are sent with
	// range-end "*", ready to be interrupted (RFC 4975 §7.1.1).
	Size int
	// Interruptible sends every chunk with range-end "*", so that the
	// sender may interrupt any of them (RFC 4975 §5.1).
	Interruptible bool
	// NewTID makes transaction ids; NewTransactionID when nil.
	NewTID func() string
}

// Chunker splits one message into SEND chunks (RFC 4975 §5.1, §7.1.1).
// A text body (IsText) is cut only between UTF-8 characters, never inside
// a multi-byte sequence. A chunk may be interrupted while it is written:
// write its header (AppendHeader), part of its body up to a CutPoint, then
// the end-line with FlagMore, and call Interrupted; the next chunk resumes
// from there. To abort the message, end the chunk being written with
// FlagAbort and stop.
//
// A Chunker is not safe for concurrent use.
type Chunker struct {
	tmpl   Message
	body   []byte
	text   bool
	cfg    ChunkConfig
	off    int // offset of the next chunk
	cur    int // offset of the chunk last returned by Next
	curLen int
	done   bool
}

// NewChunker returns a Chunker of body. tmpl supplies the header fields
// of every chunk: To-Path, From-Path, Message-ID (RFC 4975 §7.1.1: the
// same in each chunk), Success-Report, Failure-Report, Content-Type and
// other header fields; its Method is set to SEND and its TransactionID,
// ByteRange, Body and Flag are ignored. body must have a Content-Type in tmpl. The Chunker keeps
// references to tmpl's slices and to body: do not change them while it is
// in use.
func NewChunker(tmpl *Message, body []byte, cfg ChunkConfig) *Chunker {
	if cfg.Size <= 0 {
		cfg.Size = DefaultChunkSize
	}
	if cfg.Size < utf8.UTFMax {
		cfg.Size = utf8.UTFMax // room for any character
	}
	if cfg.NewTID == nil {
		cfg.NewTID = NewTransactionID
	}
	c := &Chunker{tmpl: *tmpl, body: body, cfg: cfg, text: IsText(tmpl.ContentType, body)}
	c.tmpl.TransactionID, c.tmpl.ByteRange, c.tmpl.Body, c.tmpl.Flag = "", ByteRange{}, nil, 0
	c.tmpl.Method, c.tmpl.Code, c.tmpl.Comment = MethodSEND, 0, ""
	// Share the template's slices capped, so that appending to a chunk's
	// slices never writes into the template.
	c.tmpl.ToPath = tmpl.ToPath[:len(tmpl.ToPath):len(tmpl.ToPath)]
	c.tmpl.FromPath = tmpl.FromPath[:len(tmpl.FromPath):len(tmpl.FromPath)]
	c.tmpl.Headers = tmpl.Headers[:len(tmpl.Headers):len(tmpl.Headers)]
	c.tmpl.order = tmpl.order[:len(tmpl.order):len(tmpl.order)]
	return c
}

// Done reports whether every chunk has been produced.
func (c *Chunker) Done() bool { return c.done }

// Sent returns the number of body octets handed out in chunks so far.
func (c *Chunker) Sent() int { return c.off }

// Next overwrites m with the next chunk: the template's header
// fields, a new transaction id that does not occur in the chunk body as
// an end-line, Byte-Range "start-end/total" (end "*" when the chunk is
// interruptible), the body slice (pointing into the message body) and
// the flag: FlagEnd for the last chunk, FlagMore otherwise. It returns
// false, leaving m alone, when the message is done. An empty message is
// one chunk with Byte-Range 1-0/0 (RFC 4975 §7.1.1).
func (c *Chunker) Next(m *Message) bool {
	if c.done {
		return false
	}
	n := len(c.body) - c.off
	if n > c.cfg.Size {
		n = c.cutPoint(c.off, c.cfg.Size)
	}
	c.cur, c.curLen = c.off, n
	c.off += n
	*m = c.tmpl
	m.Body = c.body[c.cur:c.off]
	total := int64(len(c.body))
	m.ByteRange = ByteRange{Start: int64(c.cur) + 1, End: int64(c.off), Total: total}
	if c.cfg.Interruptible || n > InterruptibleSize {
		m.ByteRange.End = Unknown
	}
	m.Flag = FlagMore
	if c.off == len(c.body) {
		m.Flag = FlagEnd
		c.done = true
	}
	// A random id occurs in a body by chance with negligible probability;
	// a NewTID that keeps colliding leaves Append to refuse the chunk.
	for range 16 {
		m.TransactionID = c.cfg.NewTID()
		if !ContainsEndLine(m.Body, m.TransactionID) {
			break
		}
	}
	return true
}

// CutPoint returns the largest n' <= n at which the chunk last returned
// by Next may be interrupted: between two characters of a text body, any
// octet of another body. It may be 0.
func (c *Chunker) CutPoint(n int) int {
	if n >= c.curLen {
		return c.curLen
	}
	if n <= 0 {
		return 0
	}
	return c.cutPoint(c.cur, n)
}

// cutPoint returns how many octets of body[off:] to send when n fit,
// without splitting a character of a text body.
func (c *Chunker) cutPoint(off, n int) int {
	if !c.text || off+n >= len(c.body) {
		return n
	}
	return textCut(c.body[off:], n)
}

// textCut returns the largest k <= n such that b[:k] does not end inside
// a UTF-8 sequence (len(b) > n). It looks back at most utf8.UTFMax-1
// octets; where b is not valid UTF-8 it cuts at n.
func textCut(b []byte, n int) int {
	if utf8.RuneStart(b[n]) {
		return n
	}
	for k := n - 1; k >= 0 && k > n-utf8.UTFMax; k-- {
		if utf8.RuneStart(b[k]) {
			r, size := utf8.DecodeRune(b[k:])
			if (r != utf8.RuneError || size > 1) && k+size > n {
				return k
			}
			return n
		}
	}
	return n
}

// Interrupted records that the chunk last returned by Next was ended
// after n of its body octets (n from CutPoint), with FlagMore: the next
// chunk starts at that octet. Interrupting a chunk sent with a known
// range-end is not allowed by RFC 4975 §7.3.1, so use Interruptible (or a
// Size above 2048) when chunks may be interrupted.
func (c *Chunker) Interrupted(n int) {
	if n < 0 || n >= c.curLen {
		return
	}
	c.off = c.cur + n
	c.curLen = n
	c.done = false
}

// IsText reports whether a body of this Content-Type is text that must be
// cut between characters: text/*, XML types (application/xml, */*+xml),
// and message/cpim whose encapsulated content is one of those (RFC 3862;
// without a readable inner Content-Type, CPIM counts as text).
func IsText(contentType string, body []byte) bool {
	mt := MediaType(contentType)
	if mt == "message/cpim" {
		inner, ok := cpimContentType(body)
		return !ok || isTextType(MediaType(inner))
	}
	return isTextType(mt)
}

func isTextType(mt string) bool {
	return strings.HasPrefix(mt, "text/") || strings.HasSuffix(mt, "+xml") ||
		mt == "application/xml" || mt == "message/cpim"
}

// cpimContentType finds the Content-Type of the MIME part encapsulated in
// a message/cpim body (RFC 3862 §3: CPIM header fields, an empty line,
// the MIME header fields, an empty line, the content). It reads at most
// the first 8 KiB.
func cpimContentType(body []byte) (string, bool) {
	if len(body) > 8<<10 {
		body = body[:8<<10]
	}
	s := string(body)
	blank := 0 // empty lines seen
	for s != "" {
		var line string
		line, s = nextLine(s)
		if line == "" {
			blank++
			if blank == 2 {
				break
			}
			continue
		}
		if blank == 1 {
			if name, value, ok := strings.Cut(line, ":"); ok && equalFoldASCII(trimSpace(name), "Content-Type") {
				return trimSpace(value), true
			}
		}
	}
	return "", false
}
