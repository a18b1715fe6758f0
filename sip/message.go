package sip

import (
	"context"
	"fmt"
	"mime"
	"net"
	"runtime/debug"
	"strconv"
	"strings"
	"sync/atomic"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"

	"github.com/sxgw/sxgw/translate"
)

// messageTypes are the MESSAGE bodies the gateway translates (RFC 7572
// §7: text/plain MUST, text/html SHOULD; CPIM and isComposing for chat).
func messageTypes() []string {
	return []string{"text/plain", "text/html", "message/cpim", "application/im-iscomposing+xml"}
}

// coreTimeout bounds how long a request waits for the core, well inside
// the non-INVITE transaction timeout (RFC 3261 §17.1.2.2, 64*T1).
const coreTimeout = 8 * time.Second

// ServeMessages installs the MESSAGE handler (RFC 3428): it checks the
// content type (415 with Accept otherwise, RFC 3261 §21.4.13) and body
// size (413, RFC 3261 §21.4.11), hands the request to in and answers with
// 200 or the status the core's error carries.
func (e *Endpoint) ServeMessages(in Inbound, maxBody int) {
	types := messageTypes()
	accept := strings.Join(types, ", ")
	starter, _ := in.(MessageStarter)
	e.HandleGateway(string(sipgosip.MESSAGE), func(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
		ct := mediaType(req)
		if !containsFold(types, ct) {
			e.m.badRequests.WithLabelValues(badContentType).Inc()
			e.respond(tx, req, 415, "Unsupported Media Type", sipgosip.NewHeader("Accept", accept))
			return
		}
		if len(req.Body()) > maxBody {
			e.m.badRequests.WithLabelValues(badTooLarge).Inc()
			e.respond(tx, req, 413, "Request Entity Too Large")
			return
		}
		if len(req.Body()) == 0 {
			e.respond(tx, req, 400, "Empty Message Body")
			return
		}
		m := translate.SIPMessage{
			RequestURI:      uriString(req.Recipient),
			From:            uriString(req.From().Address),
			To:              uriString(req.To().Address),
			CallID:          req.CallID().Value(),
			CSeq:            req.CSeq().SeqNo,
			ContentType:     ct,
			ContentLanguage: headerValue(req, "content-language"),
			Subject:         headerValue(req, "subject"),
			Body:            req.Body(),
		}
		if via := req.Via(); via != nil {
			m.TransactionID, _ = via.Params.Get("branch")
		}
		if t, ok := tx.(*udpTx); ok && starter != nil {
			e.startMessage(starter, t, req, m)
			return
		}
		ctx, cancel := context.WithTimeout(context.Background(), coreTimeout)
		defer cancel()
		e.answerMessage(tx, req, in.SIPMessage(ctx, m))
	}, types...)
}

// answerMessage sends the final response to a MESSAGE the core took (200)
// or refused (err's status).
func (e *Endpoint) answerMessage(tx sipgosip.ServerTransaction, req *sipgosip.Request, err error) {
	if err != nil {
		code, reason := statusOf(err)
		e.respond(tx, req, code, reason)
		return
	}
	e.respond(tx, req, 200, "OK")
}

// startMessage hands a MESSAGE of the UDP fast path to the core without
// waiting for the outcome: if the core answers later than it returns, t is
// detached from the worker (which goes on to the next request) and the
// answer, sent from the core's goroutine, ends the request's hold on the
// endpoint (enter/leave) instead.
func (e *Endpoint) startMessage(starter MessageStarter, t *udpTx, req *sipgosip.Request, m translate.SIPMessage) {
	const (
		starting = iota
		answeredFirst
		returnedFirst
	)
	var state atomic.Int32
	starter.StartSIPMessage(e.coreCtx, m, func(err error) {
		late := !state.CompareAndSwap(starting, answeredFirst)
		if late {
			// On the core's goroutine: the pipeline's recover is gone.
			defer e.leave() // the worker left it to us
			defer func() {
				if p := recover(); p != nil {
					e.log.Error("answering a MESSAGE panicked", "panic", fmt.Sprint(p), "stack", string(debug.Stack()))
					if !t.answered() {
						e.respond(t, req, 500, "Server Internal Error")
					}
				}
			}()
		}
		e.answerMessage(t, req, err)
	})
	// Detached only once the call returned without an answer: if it
	// panicked, the worker still holds the request (and leaves it).
	t.detached = state.CompareAndSwap(starting, returnedFirst)
}

// SendMessage sends a MESSAGE (RFC 3428) built from m and waits for its
// final response: its status and nil for 2xx, a *StatusError otherwise,
// or the transport error when no response came.
func (e *Endpoint) SendMessage(ctx context.Context, m translate.SIPMessage) (int, error) {
	target := m.RequestURI
	if target == "" {
		target = m.To
	}
	var ruri, from, to sipgosip.Uri
	for _, p := range []struct {
		dst *sipgosip.Uri
		s   string
	}{{&ruri, target}, {&from, m.From}, {&to, m.To}} {
		if err := sipgosip.ParseUri(p.s, p.dst); err != nil {
			return 0, fmt.Errorf("%w: uri %q: %w", ErrBadRequest, p.s, err)
		}
	}
	req := sipgosip.NewRequest(sipgosip.MESSAGE, ruri)
	fh := &sipgosip.FromHeader{Address: from, Params: sipgosip.NewParams()}
	fh.Params.Add("tag", sipgosip.GenerateTagN(16))
	req.AppendHeader(fh)
	req.AppendHeader(&sipgosip.ToHeader{Address: to, Params: sipgosip.NewParams()})
	if m.CallID != "" {
		cid := sipgosip.CallIDHeader(m.CallID)
		req.AppendHeader(&cid)
	}
	if m.CSeq != 0 {
		req.AppendHeader(&sipgosip.CSeqHeader{SeqNo: m.CSeq, MethodName: sipgosip.MESSAGE})
	}
	if m.Subject != "" {
		req.AppendHeader(sipgosip.NewHeader("Subject", m.Subject))
	}
	if m.ContentLanguage != "" {
		req.AppendHeader(sipgosip.NewHeader("Content-Language", m.ContentLanguage))
	}
	ct := m.ContentType
	if ct == "" {
		ct = "text/plain"
	}
	if strings.HasPrefix(ct, "text/") && !strings.Contains(ct, "charset") {
		ct += ";charset=utf-8"
	}
	req.AppendHeader(sipgosip.NewHeader("Content-Type", ct))
	req.SetBody(m.Body)
	res, err := e.Do(ctx, req)
	if err != nil {
		return 0, err
	}
	if res.StatusCode >= 300 {
		return res.StatusCode, &StatusError{Code: res.StatusCode, Reason: res.Reason}
	}
	return res.StatusCode, nil
}

// mediaType returns the request's Content-Type without parameters,
// lowercased ("" when absent or unparsable, as mime.ParseMediaType
// decides).
func mediaType(req *sipgosip.Request) string {
	h := req.ContentType()
	if h == nil {
		return ""
	}
	v := h.Value()
	if mt, ok := simpleMediaType(v); ok {
		return mt
	}
	mt, _, err := mime.ParseMediaType(v)
	if err != nil {
		return ""
	}
	return mt
}

// simpleMediaType parses the common forms "type/subtype" and
// "type/subtype;name=value" (tokens only, RFC 2045 §5.1) without
// allocating; false for anything else, which mime.ParseMediaType judges.
// It accepts nothing mime.ParseMediaType refuses and returns what it
// returns.
func simpleMediaType(v string) (string, bool) {
	base, param, hasParam := strings.Cut(v, ";")
	base = strings.TrimSpace(base)
	typ, sub, ok := strings.Cut(base, "/")
	if !ok || !isMIMEToken(typ) || !isMIMEToken(sub) {
		return "", false
	}
	if hasParam {
		name, value, ok := strings.Cut(param, "=")
		name, value = strings.TrimSpace(name), strings.TrimSpace(value)
		if !ok || !isMIMEToken(name) || !isMIMEToken(value) || strings.IndexByte(name, '*') >= 0 {
			return "", false
		}
	}
	return strings.ToLower(base), true
}

// isMIMEToken reports whether s is a non-empty RFC 2045 §5.1 token.
func isMIMEToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c <= ' ' || c >= 0x7f || strings.IndexByte(`()<>@,;:\"/[]?=`, c) >= 0 {
			return false
		}
	}
	return true
}

// headerValue returns the value of req's first name field, "" if none.
// Names are compared in place (sipgo's GetHeader lowercases every other
// field's name, allocating for most).
func headerValue(req *sipgosip.Request, name string) string {
	for _, h := range req.Headers() {
		if asciiEqualFold(h.Name(), name) {
			return h.Value()
		}
	}
	return ""
}

// uriString renders a URI without header parameters, as sipgo's
// Uri.String would, in one allocation for the usual URI (sipgo's probes
// every host with net.ParseIP, which allocates for a domain name).
func uriString(u sipgosip.Uri) string {
	var arr [128]byte
	b := arr[:0]
	if u.Scheme == "" {
		b = append(b, "sip"...)
	} else {
		b = append(b, u.Scheme...)
	}
	b = append(b, ':')
	if raw := u.Raw(); raw != "" {
		return string(append(b, raw...))
	}
	if u.HierarhicalSlashes {
		b = append(b, "//"...)
	}
	if u.User != "" {
		b = append(b, u.User...)
		if u.Password != "" {
			b = append(append(b, ':'), u.Password...)
		}
		b = append(b, '@')
	}
	if isIPv6Host(u.Host) {
		b = append(append(append(b, '['), u.Host...), ']')
	} else {
		b = append(b, u.Host...)
	}
	if u.Port > 0 {
		b = strconv.AppendInt(append(b, ':'), int64(u.Port), 10)
	}
	if len(u.UriParams) > 0 {
		var p strings.Builder
		u.UriParams.ToStringWrite(';', &p)
		b = append(append(b, ';'), p.String()...)
	}
	return string(b)
}

// isIPv6Host reports whether host is a bare IPv6 address (one sipgo
// writes in brackets).
func isIPv6Host(host string) bool {
	if strings.IndexByte(host, ':') < 0 {
		return false
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.To4() == nil
}
