package sip

import (
	"bytes"
	"strconv"
	"strings"

	sipgosip "github.com/emiago/sipgo/sip"
)

// A parser for the UDP fast path that takes MESSAGE requests of the
// common shape only (RFC 3261 §7, §20) and builds the same request sipgo's
// parser would, with fewer allocations: the header section becomes one
// string that every field points into, and the request and its usual
// header fields are allocated together. Anything else (another method or
// header field, header folding, several values in one Via or Record-Route
// line, escapes in quoted strings, a body whose length differs from
// Content-Length, a repeated single-valued field) is refused, and the
// datagram goes to sipgo's parser as before; the fast parser never
// rejects a request sipgo would take.

// fastParseMaxHeaders bounds the header fields the fast parser takes.
const fastParseMaxHeaders = 24

// fastCSeqMax is the largest CSeq number (RFC 3261 §8.1.1.5: less than
// 2**31), as sipgo enforces it.
const fastCSeqMax = 1<<31 - 1

// fastRequest is a request and its usual header fields, allocated
// together.
type fastRequest struct {
	req    sipgosip.Request
	via    sipgosip.ViaHeader
	from   sipgosip.FromHeader
	to     sipgosip.ToHeader
	rr     sipgosip.RecordRouteHeader
	callID sipgosip.CallIDHeader
	cseq   sipgosip.CSeqHeader
	maxFwd sipgosip.MaxForwardsHeader
	ctype  sipgosip.ContentTypeHeader
	clen   sipgosip.ContentLengthHeader
}

// Header fields seen, for the single-valued ones (a repeated one is left
// to sipgo).
const (
	seenFrom = 1 << iota
	seenTo
	seenCallID
	seenCSeq
	seenMaxFwd
	seenCType
	seenCLen
)

// parseFastMessage parses a MESSAGE request datagram of at most maxLen
// bytes; false when it is not one the fast parser handles, which says
// nothing of whether it is valid. The request's body shares data's
// memory.
func parseFastMessage(data []byte, maxLen int) (*sipgosip.Request, bool) {
	if len(data) > maxLen || !isMessageRequest(data) {
		return nil, false
	}
	// RFC 3261 §7: the header section ends with an empty line.
	end := bytes.Index(data, []byte("\r\n\r\n"))
	if end < 0 {
		return nil, false
	}
	head := string(data[:end+2]) // every line with its CRLF
	body := data[end+4:]

	f := &fastRequest{}
	r := &f.req
	var (
		hs         [fastParseMaxHeaders]sipgosip.Header
		n          int
		seen       int
		vias, rrs  int
		firstLine  = true
		lineStart  = 0
		headerLine string
	)
	for lineStart < len(head) {
		i := strings.IndexByte(head[lineStart:], '\r')
		if head[lineStart+i+1] != '\n' {
			return nil, false // a CR alone: sipgo refuses it
		}
		headerLine = head[lineStart : lineStart+i]
		lineStart += i + 2
		if firstLine {
			firstLine = false
			if !parseFastRequestLine(headerLine, r) {
				return nil, false
			}
			continue
		}
		if headerLine[0] == ' ' || headerLine[0] == '\t' {
			return nil, false // folding (RFC 3261 §7.3.1)
		}
		colon := strings.IndexByte(headerLine, ':')
		if colon < 0 || n == len(hs) {
			return nil, false
		}
		rawName := strings.TrimSpace(headerLine[:colon])
		value := strings.TrimSpace(headerLine[colon+1:])
		var lower [16]byte
		if len(rawName) == 0 || len(rawName) > len(lower) {
			return nil, false
		}
		for k := 0; k < len(rawName); k++ {
			c := rawName[k]
			switch {
			case 'A' <= c && c <= 'Z':
				c += 'a' - 'A'
			case 'a' <= c && c <= 'z', c == '-':
			default:
				return nil, false
			}
			lower[k] = c
		}
		var h sipgosip.Header
		switch string(lower[:len(rawName)]) {
		case "v", "via":
			v := &f.via
			if vias > 0 {
				v = &sipgosip.ViaHeader{}
			}
			if !parseFastVia(value, v) {
				return nil, false
			}
			vias++
			h = v
		case "f", "from":
			if seen&seenFrom != 0 || !parseFastAddress(value, &f.from.DisplayName, &f.from.Address, &f.from.Params) {
				return nil, false
			}
			seen |= seenFrom
			h = &f.from
		case "t", "to":
			if seen&seenTo != 0 || !parseFastAddress(value, &f.to.DisplayName, &f.to.Address, &f.to.Params) {
				return nil, false
			}
			seen |= seenTo
			h = &f.to
		case "i", "call-id":
			if seen&seenCallID != 0 || value == "" {
				return nil, false
			}
			seen |= seenCallID
			f.callID = sipgosip.CallIDHeader(value)
			h = &f.callID
		case "cseq":
			// RFC 3261 §20.16; sipgo's reading of it.
			sp := strings.IndexAny(value, " \t")
			if seen&seenCSeq != 0 || sp < 1 || len(value)-sp < 2 {
				return nil, false
			}
			seq, err := strconv.ParseUint(value[:sp], 10, 32)
			if err != nil || seq > fastCSeqMax {
				return nil, false
			}
			seen |= seenCSeq
			f.cseq = sipgosip.CSeqHeader{SeqNo: uint32(seq), MethodName: sipgosip.RequestMethod(value[sp+1:])}
			h = &f.cseq
		case "max-forwards":
			mf, err := strconv.ParseUint(value, 10, 32)
			if seen&seenMaxFwd != 0 || err != nil {
				return nil, false
			}
			seen |= seenMaxFwd
			f.maxFwd = sipgosip.MaxForwardsHeader(mf)
			h = &f.maxFwd
		case "c", "content-type":
			if seen&seenCType != 0 || value == "" {
				return nil, false
			}
			seen |= seenCType
			f.ctype = sipgosip.ContentTypeHeader(value)
			h = &f.ctype
		case "l", "content-length":
			cl, err := strconv.ParseUint(value, 10, 32)
			if seen&seenCLen != 0 || err != nil {
				return nil, false
			}
			seen |= seenCLen
			f.clen = sipgosip.ContentLengthHeader(cl)
			h = &f.clen
		case "record-route":
			// One route per line, no quoted display name: sipgo then
			// takes the whole value as one name-addr.
			if value == "" || value[len(value)-1] != '>' || strings.ContainsAny(value, ",\"") {
				return nil, false
			}
			rr := &f.rr
			if rrs > 0 {
				rr = &sipgosip.RecordRouteHeader{}
			}
			if _, err := sipgosip.ParseAddressValue(value, &rr.Address, nil); err != nil {
				return nil, false
			}
			rrs++
			h = rr
		case "require", "s", "subject", "content-language", "user-agent":
			h = sipgosip.NewHeader(rawName, value)
		default:
			return nil, false
		}
		hs[n] = h
		n++
	}
	// RFC 3261 §18.3: the body is Content-Length bytes; a datagram with
	// more or fewer is left to sipgo.
	if seen&seenCLen == 0 || int(f.clen) != len(body) {
		return nil, false
	}
	r.SipVersion = "SIP/2.0"
	r.Method = sipgosip.MESSAGE
	r.PrependHeader(hs[:n]...)
	// sipgo's accessors give the first Via and Record-Route.
	if vias > 1 {
		r.ReplaceHeader(&f.via)
	}
	if rrs > 1 {
		r.ReplaceHeader(&f.rr)
	}
	if len(body) > 0 {
		r.SetBody(body[:len(body):len(body)])
	}
	return r, true
}

// parseFastRequestLine parses "MESSAGE <uri> SIP/2.0" (RFC 3261 §7.1)
// into r's Recipient.
func parseFastRequestLine(line string, r *sipgosip.Request) bool {
	rest := line[len("MESSAGE "):]
	sp := strings.IndexByte(rest, ' ')
	if sp <= 0 || rest[sp+1:] != "SIP/2.0" {
		return false
	}
	if err := sipgosip.ParseUri(rest[:sp], &r.Recipient); err != nil || r.Recipient.Wildcard {
		return false
	}
	return true
}

// parseFastAddress parses a From or To value (RFC 3261 §20.20, §20.39)
// as sipgo does; false for a backslash escape or a wildcard.
func parseFastAddress(value string, name *string, uri *sipgosip.Uri, params *sipgosip.HeaderParams) bool {
	if value == "" || strings.IndexByte(value, '\\') >= 0 {
		return false
	}
	dn, err := sipgosip.ParseAddressValue(value, uri, params)
	if err != nil || uri.Wildcard {
		return false
	}
	*name = dn
	return true
}

// parseFastVia parses a Via value holding one via-parm (RFC 3261 §20.42)
// as sipgo does; false for several values, an IPv6 sent-by or anything
// sipgo would read partly.
func parseFastVia(value string, v *sipgosip.ViaHeader) bool {
	if strings.ContainsAny(value, ",[") {
		return false
	}
	i := strings.IndexByte(value, '/')
	if i < 0 {
		return false
	}
	v.ProtocolName = strings.TrimSpace(value[:i])
	s := value[i+1:]
	if i = strings.IndexByte(s, '/'); i < 0 {
		return false
	}
	v.ProtocolVersion = strings.TrimSpace(s[:i])
	s = s[i+1:]
	if i = strings.IndexAny(s, " \t"); i < 0 {
		return false
	}
	v.Transport = strings.TrimSpace(s[:i])
	s = s[i+1:]
	end := strings.IndexByte(s, ';')
	if end < 0 {
		end = len(s)
	}
	if colon := strings.LastIndexByte(s[:end], ':'); colon > 0 {
		port, err := strconv.Atoi(s[colon+1 : end])
		if err != nil {
			return false
		}
		v.Port = port
		v.Host = strings.TrimSpace(s[:colon])
	} else {
		v.Host = strings.TrimSpace(s[:end])
	}
	if end == len(s) {
		return true
	}
	_, err := sipgosip.UnmarshalHeaderParams(s[end+1:], ';', '\r', &v.Params)
	return err == nil
}
