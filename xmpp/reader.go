package xmpp

import (
	"bufio"
	"bytes"
	"encoding/xml"
	"errors"
	"io"
	"net"
	"sync/atomic"
)

// maxDepth bounds element nesting inside one stanza.
const maxDepth = 64

// maxNegotiationElement bounds one element before a stream is
// authenticated: stream features, STARTTLS, SASL and dialback elements are
// small, and a parsed element takes many times its size in memory.
const maxNegotiationElement = 10000

// errTooBig is returned by countingReader once the read budget is spent.
var errTooBig = errors.New("xmpp: stanza exceeds size limit")

// countingReader counts bytes read and refuses to read more than max past
// start, so a peer cannot make the XML decoder buffer an unbounded token.
// max may be raised by another goroutine (when a dialback verification
// authenticates the stream) while a read waits for the next element.
type countingReader struct {
	r        io.Reader
	n, start int64
	max      *atomic.Int64
}

func (c *countingReader) exhausted() bool { return c.n-c.start >= c.max.Load() }

func (c *countingReader) Read(p []byte) (int, error) {
	rem := c.start + c.max.Load() - c.n
	if rem <= 0 {
		return 0, errTooBig
	}
	if int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := c.r.Read(p)
	c.n += int64(n)
	return n, err
}

// streamReader reads one side of an XML stream: the stream header, then
// top-level elements (stanzas and stream-level elements).
type streamReader struct {
	cr        countingReader
	br        *bufio.Reader
	dec       *xml.Decoder
	maxStanza atomic.Int64
	// ended: the peer closed its stream with </stream:stream>.
	ended bool
}

func newStreamReader(r io.Reader, maxStanza int) *streamReader {
	s := &streamReader{}
	s.maxStanza.Store(int64(maxStanza))
	s.reset(r)
	return s
}

// setLimit changes the size limit, for the element being read too. Any
// goroutine may call it.
func (s *streamReader) setLimit(maxStanza int) { s.maxStanza.Store(int64(maxStanza)) }

// reset switches to a new transport (after STARTTLS) and restarts the stream.
func (s *streamReader) reset(r io.Reader) {
	s.cr = countingReader{r: r, max: &s.maxStanza}
	s.br = bufio.NewReaderSize(&s.cr, 4096)
	s.restart()
}

// restart begins a new stream on the same transport (RFC 6120 §4.3.3).
func (s *streamReader) restart() {
	s.dec = xml.NewDecoder(s.br)
	s.ended = false
	s.cr.start = s.cr.n
}

// header reads up to and including the <stream:stream> start tag.
func (s *streamReader) header() (xml.StartElement, error) {
	for range 8 {
		tok, err := s.token()
		if err != nil {
			return xml.StartElement{}, err
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			if t.Target != "xml" {
				return xml.StartElement{}, streamErr(CondRestrictedXML, "processing instruction")
			}
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return xml.StartElement{}, streamErr(CondBadFormat, "text before stream header")
			}
		case xml.StartElement:
			if t.Name.Local != "stream" || t.Name.Space != nsStream {
				return xml.StartElement{}, streamErr(CondInvalidNamespace, "not a stream header")
			}
			return t.Copy(), nil
		default:
			return xml.StartElement{}, streamErr(CondRestrictedXML, "unexpected markup before stream header")
		}
	}
	return xml.StartElement{}, streamErr(CondBadFormat, "no stream header")
}

// next returns the next top-level element. It returns io.EOF when the peer
// closes the stream with </stream:stream> and a *StreamError for protocol
// violations.
func (s *streamReader) next() (*Element, error) {
	s.cr.start = s.cr.n
	start := s.dec.InputOffset()
	for {
		tok, err := s.token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.CharData:
			if len(bytes.TrimSpace(t)) != 0 {
				return nil, streamErr(CondBadFormat, "text between stanzas")
			}
			// Whitespace keepalive (RFC 6120 §4.6.1): restart the budget.
			s.cr.start = s.cr.n
			start = s.dec.InputOffset()
		case xml.EndElement:
			s.ended = true
			return nil, io.EOF
		case xml.StartElement:
			el, err := s.element(t)
			if err != nil {
				return nil, err
			}
			if s.dec.InputOffset()-start > s.maxStanza.Load() {
				return nil, streamErr(CondPolicyViolation, "stanza too large")
			}
			return el, nil
		default:
			return nil, streamErr(CondRestrictedXML, "comment, processing instruction or directive")
		}
	}
}

// drain reads and drops what the peer still sends after our closing tag,
// until its own closing tag or the end of the connection (RFC 6120 §4.4).
// When the XML cannot be read any more (a parse error, or an earlier read
// timeout, which the decoder keeps returning) it reads raw bytes until the
// peer closes: the peer's data is consumed, so closing the connection does
// not reset it before the peer has read our stream error. The caller
// bounds it with a read deadline.
func (s *streamReader) drain() {
	for !s.ended {
		_, err := s.next()
		if err == nil {
			continue
		}
		var se *StreamError
		var ne net.Error
		if errors.As(err, &se) || errors.As(err, &ne) && ne.Timeout() {
			_, _ = io.Copy(io.Discard, s.cr.r)
		}
		return
	}
}

// element reads the rest of the element whose start tag is start.
func (s *streamReader) element(start xml.StartElement) (*Element, error) {
	root := startToElement(start)
	stack := []*Element{root}
	for len(stack) > 0 {
		tok, err := s.token()
		if err != nil {
			return nil, err
		}
		top := stack[len(stack)-1]
		switch t := tok.(type) {
		case xml.StartElement:
			if len(stack) >= maxDepth {
				return nil, streamErr(CondPolicyViolation, "elements nested too deeply")
			}
			child := startToElement(t)
			top.Nodes = append(top.Nodes, Node{El: child})
			stack = append(stack, child)
		case xml.EndElement:
			stack = stack[:len(stack)-1]
		case xml.CharData:
			top.Nodes = append(top.Nodes, Node{Text: string(t)})
		default:
			return nil, streamErr(CondRestrictedXML, "comment, processing instruction or directive")
		}
	}
	return root, nil
}

// token reads one token, mapping failures to stream errors
// (RFC 6120 §4.9.3.13 not-well-formed, §4.9.3.14 policy-violation).
func (s *streamReader) token() (xml.Token, error) {
	tok, err := s.dec.Token()
	if err == nil {
		return tok, nil
	}
	var synErr *xml.SyntaxError
	switch {
	case errors.Is(err, errTooBig):
		return nil, streamErr(CondPolicyViolation, "stanza too large")
	case errors.As(err, &synErr):
		if synErr.Msg == "unexpected EOF" {
			return nil, io.ErrUnexpectedEOF
		}
		if s.cr.exhausted() {
			return nil, streamErr(CondPolicyViolation, "stanza too large")
		}
		return nil, streamErr(CondNotWellFormed, synErr.Msg)
	case errors.Is(err, io.EOF):
		return nil, io.ErrUnexpectedEOF
	}
	return nil, err
}

// startToElement converts a start tag, dropping namespace declarations.
func startToElement(t xml.StartElement) *Element {
	el := &Element{Name: t.Name}
	for _, a := range t.Attr {
		if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
			continue
		}
		if a.Name.Space == "xml" {
			a.Name.Space = nsXML
		}
		el.Attr = append(el.Attr, a)
	}
	return el
}

// headerAttr returns the unqualified attribute local of a stream header.
func headerAttr(h xml.StartElement, local string) string {
	for _, a := range h.Attr {
		if a.Name.Space == "" && a.Name.Local == local {
			return a.Value
		}
	}
	return ""
}
