package sip

import (
	"bytes"
	"strconv"
	"strings"

	sipgosip "github.com/emiago/sipgo/sip"
)

// The fast path writes its responses from the request's bytes: RFC 3261
// §8.2.6.2 has a response copy Via, From, To, Call-ID and CSeq from the
// request, so the header lines are copied as they were received, in the
// order sipgo would build them (NewResponseFromRequest). What the copy
// cannot express — an rport to fill in on a Via line carrying several
// values, a request that is not plain CRLF-delimited, a missing or repeated
// field — falls back to a response built by sipgo, so the bytes sent are
// always what the slow path would send.

// maxCopiedLines bounds the Via and Record-Route lines copied from the
// raw request; more go the built way.
const maxCopiedLines = 16

// span is a byte range of the raw request.
type span struct{ start, end int }

// copiedFields are the header lines of a request that its response copies.
type copiedFields struct {
	via, rr                 [maxCopiedLines]span
	nvia, nrr               int
	from, to, callID, cseq  span
	nfrom, nto, ncid, ncseq int
}

// scanCopied finds the lines of raw's header that a response copies; false
// when raw is not a plain CRLF-delimited request the copy can be made from.
func scanCopied(raw []byte) (c copiedFields, ok bool) {
	end := bytes.Index(raw, []byte("\r\n\r\n"))
	if end < 0 {
		return c, false
	}
	head := raw[:end+2]
	i := bytes.Index(head, []byte("\r\n")) // the request line
	pos := i + 2
	var last *span // the field a continuation line extends
	for pos < len(head) {
		n := bytes.Index(head[pos:], []byte("\r\n"))
		line := head[pos : pos+n]
		if bytes.IndexByte(line, '\n') >= 0 || bytes.IndexByte(line, '\r') >= 0 || n == 0 {
			return c, false
		}
		s := span{pos, pos + n}
		pos += n + 2
		if line[0] == ' ' || line[0] == '\t' {
			// RFC 3261 §7.3.1: folded onto the previous field.
			if last != nil {
				last.end = s.end
			}
			continue
		}
		last = nil
		colon := bytes.IndexByte(line, ':')
		if colon < 0 {
			return c, false
		}
		name := bytes.TrimSpace(line[:colon])
		switch {
		case fieldIs(name, "via", "v"):
			if c.nvia == maxCopiedLines {
				return c, false
			}
			c.via[c.nvia] = s
			last = &c.via[c.nvia]
			c.nvia++
		case fieldIs(name, "record-route", ""):
			if c.nrr == maxCopiedLines {
				return c, false
			}
			c.rr[c.nrr] = s
			last = &c.rr[c.nrr]
			c.nrr++
		case fieldIs(name, "from", "f"):
			c.from, last = s, &c.from
			c.nfrom++
		case fieldIs(name, "to", "t"):
			c.to, last = s, &c.to
			c.nto++
		case fieldIs(name, "call-id", "i"):
			c.callID, last = s, &c.callID
			c.ncid++
		case fieldIs(name, "cseq", ""):
			c.cseq, last = s, &c.cseq
			c.ncseq++
		}
	}
	ok = c.nvia > 0 && c.nfrom == 1 && c.nto == 1 && c.ncid == 1 && c.ncseq == 1
	return c, ok
}

// fieldIs reports whether a header name is long (or compact, RFC 3261
// §7.3.3), case-insensitively.
func fieldIs(name []byte, long, compact string) bool {
	return bytes.EqualFold(name, []byte(long)) || (compact != "" && bytes.EqualFold(name, []byte(compact)))
}

// appendResponse appends the response r to req (received as raw from
// t.dst) to dst, with the To tag tag added when not "".
func (t *udpTx) appendResponse(dst []byte, r *txReply) []byte {
	if out, ok := t.appendCopied(dst, r); ok {
		return out
	}
	return t.appendBuilt(dst, r)
}

// appendCopied writes the response from the request's lines; false if it
// cannot (dst is then unchanged).
func (t *udpTx) appendCopied(dst []byte, r *txReply) ([]byte, bool) {
	req, raw := t.req, t.raw
	if req.SipVersion != "SIP/2.0" {
		return dst, false
	}
	c, ok := scanCopied(raw)
	if !ok {
		return dst, false
	}
	top := req.Via()
	if top == nil {
		return dst, false
	}
	rport, hasRport := top.Params.Get("rport")
	fillRport := hasRport && rport == ""
	if fillRport && viaCount(req) != c.nvia {
		// The top Via shares its line with others.
		return dst, false
	}
	if t.tag != "" {
		if to := req.To(); to == nil || to.Params.Has("tag") {
			return dst, false // an empty tag to replace
		}
	}

	dst = append(dst, "SIP/2.0 "...)
	dst = strconv.AppendInt(dst, int64(r.code), 10)
	dst = append(dst, ' ')
	dst = append(dst, r.reason...)
	dst = append(dst, "\r\n"...)
	// sipgo copies Record-Route into 18x and 2xx (RFC 3261 §12.1.1).
	if req.Method != sipgosip.REGISTER && ((r.code >= 180 && r.code < 190) || (r.code >= 200 && r.code < 300)) {
		for _, s := range c.rr[:c.nrr] {
			dst = appendLine(dst, raw[s.start:s.end])
		}
	}
	for i, s := range c.via[:c.nvia] {
		if i == 0 && fillRport {
			dst = t.appendTopVia(dst, top)
			continue
		}
		dst = appendLine(dst, raw[s.start:s.end])
	}
	dst = appendLine(dst, raw[c.from.start:c.from.end])
	if t.tag != "" {
		dst = append(dst, bytes.TrimRight(raw[c.to.start:c.to.end], " \t")...)
		dst = append(dst, ";tag="...)
		dst = append(dst, t.tag...)
		dst = append(dst, "\r\n"...)
	} else {
		dst = appendLine(dst, raw[c.to.start:c.to.end])
	}
	dst = appendLine(dst, raw[c.callID.start:c.callID.end])
	dst = appendLine(dst, raw[c.cseq.start:c.cseq.end])
	dst = append(dst, "Content-Length: 0\r\n"...)
	for _, h := range r.headers {
		dst = appendField(dst, h.name, h.value)
	}
	dst = appendField(dst, "Server", t.e.o.UserAgent)
	return append(dst, "\r\n"...), true
}

// appendTopVia writes the top Via with rport filled in and received set
// to the source (RFC 3581 §4), as sipgo does.
func (t *udpTx) appendTopVia(dst []byte, via *sipgosip.ViaHeader) []byte {
	host := t.dst.Addr().Unmap().String()
	dst = append(dst, "Via: "...)
	dst = append(dst, via.ProtocolName...)
	dst = append(dst, '/')
	dst = append(dst, via.ProtocolVersion...)
	dst = append(dst, '/')
	dst = append(dst, via.Transport...)
	dst = append(dst, ' ')
	if strings.IndexByte(via.Host, ':') >= 0 && !strings.HasPrefix(via.Host, "[") {
		dst = append(append(append(dst, '['), via.Host...), ']')
	} else {
		dst = append(dst, via.Host...)
	}
	if via.Port > 0 {
		dst = strconv.AppendInt(append(dst, ':'), int64(via.Port), 10)
	}
	received := false
	for _, p := range via.Params {
		dst = append(append(dst, ';'), p.K...)
		switch {
		case p.K == "rport":
			dst = strconv.AppendUint(append(dst, '='), uint64(t.dst.Port()), 10)
		case p.K == "received":
			dst = append(append(dst, '='), host...)
			received = true
		case p.V != "":
			dst = append(append(dst, '='), p.V...)
		}
	}
	if !received {
		dst = append(append(dst, ";received="...), host...)
	}
	return append(dst, "\r\n"...)
}

// appendBuilt writes the response as the slow path builds it.
func (t *udpTx) appendBuilt(dst []byte, r *txReply) []byte {
	res := sipgosip.NewResponseFromRequest(t.req, r.code, r.reason, nil)
	for _, h := range r.headers {
		res.AppendHeader(sipgosip.NewHeader(h.name, h.value))
	}
	res.AppendHeader(sipgosip.NewHeader("Server", t.e.o.UserAgent))
	if to := res.To(); to != nil && t.tag != "" {
		to.Params.Add("tag", t.tag) // the same on every response
	}
	b := bytes.NewBuffer(dst)
	res.StringWrite(b)
	return b.Bytes()
}

// viaCount is the number of Via values sipgo parsed.
func viaCount(req *sipgosip.Request) int {
	n := 0
	for _, h := range req.Headers() {
		if _, ok := h.(*sipgosip.ViaHeader); ok {
			n++
		}
	}
	return n
}

func appendLine(dst, line []byte) []byte {
	return append(append(dst, line...), "\r\n"...)
}

func appendField(dst []byte, name, value string) []byte {
	dst = append(dst, name...)
	dst = append(dst, ": "...)
	dst = append(dst, value...)
	return append(dst, "\r\n"...)
}
