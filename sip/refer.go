package sip

import (
	"context"
	"errors"
	"net/netip"
	"strconv"
	"strings"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"

	"github.com/sxgw/sxgw/translate"
)

// REFER (RFC 3515) to a chat room: the focus is asked to bring a user
// into the room (RFC 4579 §5.5) or to remove one (method BYE, §5.11).
// Accepted REFERs get 202 and one NOTIFY that ends the implicit
// subscription at once with "SIP/2.0 100 Trying": the outcome of an
// invitation across protocols is unknowable (RFC 7702 §6.5). A REFER
// with "Refer-Sub: false" gets no subscription at all (RFC 4488).
//
// Where REFER is refused: out of dialog to an address that is no room,
// 405 with the Allow of that address (RFC 3261 §21.4.6: the method is
// understood but not allowed for the Request-URI; sxgw transfers no
// calls); inside a dialog that is not a room session, 403 (RFC 3515
// §2.4.2: declined; a one-to-one chat or call has no focus to refer).

// Errors of Refer-To parsing.
var (
	errReferSyntax = errors.New("sip: malformed Refer-To")
	errReferScheme = errors.New("sip: Refer-To URI is not sip or sips")
)

// referNotifyTimeout bounds the NOTIFY of a REFER (64*T1, RFC 3261
// §17.1.2.2).
const referNotifyTimeout = 32 * time.Second

// referTo is a parsed Refer-To value (RFC 3515 §2.1).
type referTo struct {
	// target is the URI without its method parameter and headers.
	target string
	// method is the method parameter uppercased, INVITE when absent
	// (RFC 3515 §2.4.3, RFC 3261 §19.1.1).
	method string
}

// parseReferTo parses a Refer-To header field value (RFC 3515 §2.1):
//
//	Refer-To = ("Refer-To" / "r") HCOLON ( name-addr / addr-spec )
//	           *(SEMI generic-param)
//
// The URI must be sip: or sips: (errReferScheme otherwise: RFC 3515
// §2.4.2, a UA that cannot access other URIs SHOULD NOT accept them).
// The method is the URI's method parameter (RFC 3261 §19.1.1); a method
// header parameter after an addr-spec, where RFC 3261 §20 makes every
// parameter a header parameter, is taken as well.
func parseReferTo(v string) (referTo, error) {
	v = strings.TrimSpace(v)
	var uriText, rest string
	if lt := indexUnquoted(v, '<'); lt >= 0 {
		// name-addr = [ display-name ] LAQUOT addr-spec RAQUOT
		if !validDisplayName(strings.TrimSpace(v[:lt])) {
			return referTo{}, errReferSyntax
		}
		gt := strings.IndexByte(v[lt:], '>')
		if gt < 0 {
			return referTo{}, errReferSyntax
		}
		uriText, rest = v[lt+1:lt+gt], v[lt+gt+1:]
	} else {
		// addr-spec: parameters after it are header parameters (RFC
		// 3261 §20), so it cannot hold ';', '?' or ','.
		uriText, rest = v, ""
		if i := strings.IndexByte(v, ';'); i >= 0 {
			uriText, rest = v[:i], v[i:]
		}
		if strings.ContainsAny(uriText, "?,") {
			return referTo{}, errReferSyntax
		}
	}
	params, ok := parseGenericParams(rest)
	if !ok || uriText == "" || strings.ContainsAny(uriText, " \t\r\n<>\"") {
		return referTo{}, errReferSyntax
	}
	var u sipgosip.Uri
	if err := sipgosip.ParseUri(uriText, &u); err != nil {
		return referTo{}, errReferSyntax
	}
	switch strings.ToLower(u.Scheme) {
	case "sip", "sips":
	default:
		return referTo{}, errReferScheme
	}
	// sipgo's URI parser is lenient: the user part, if an '@' says there
	// is one, must not be empty, and the host must be one.
	if addr, _, _ := strings.Cut(uriText, ";"); u.Wildcard || !validHost(u.Host) ||
		(u.User == "" && strings.Contains(strings.SplitN(addr, "?", 2)[0], "@")) {
		return referTo{}, errReferSyntax
	}
	for _, k := range u.UriParams.Keys() {
		if !isParamName(k) {
			return referTo{}, errReferSyntax
		}
	}
	method := "INVITE"
	if m, found := paramFold(u.UriParams, "method"); found {
		method = m
	} else if m, found := params["method"]; found {
		method = m
	}
	if !isToken(method) {
		return referTo{}, errReferSyntax
	}
	if u.UriParams != nil {
		u.UriParams = u.UriParams.Clone()
		for _, k := range u.UriParams.Keys() {
			if strings.EqualFold(k, "method") {
				u.UriParams.Remove(k)
			}
		}
	}
	return referTo{target: uriString(u), method: strings.ToUpper(method)}, nil
}

// indexUnquoted is the index of the first c outside a quoted-string,
// or -1.
func indexUnquoted(s string, c byte) int {
	quoted := false
	for i := 0; i < len(s); i++ {
		switch {
		case quoted && s[i] == '\\':
			i++
		case s[i] == '"':
			quoted = !quoted
		case !quoted && s[i] == c:
			return i
		}
	}
	return -1
}

// validDisplayName: display-name = *(token LWS) / quoted-string (RFC 3261
// §25.1).
func validDisplayName(s string) bool {
	if s == "" {
		return true
	}
	if s[0] == '"' {
		n, ok := quotedString(s)
		return ok && n == len(s)
	}
	for _, w := range strings.Fields(s) {
		if !isToken(w) {
			return false
		}
	}
	return true
}

// quotedString measures the quoted-string at the start of s (RFC 3261
// §25.1, with quoted-pair).
func quotedString(s string) (int, bool) {
	if s == "" || s[0] != '"' {
		return 0, false
	}
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			if i+1 >= len(s) || s[i+1] == '\r' || s[i+1] == '\n' {
				return 0, false
			}
			i++
		case '"':
			return i + 1, true
		case '\r', '\n':
			return 0, false
		}
	}
	return 0, false
}

// parseGenericParams parses *(SEMI generic-param) (RFC 3261 §25.1:
// generic-param = token [ EQUAL gen-value ], gen-value = token / host /
// quoted-string), names lowercased; a second header value (a comma)
// makes it fail.
func parseGenericParams(s string) (map[string]string, bool) {
	params := map[string]string{}
	for {
		s = strings.TrimLeft(s, " \t")
		if s == "" {
			return params, true
		}
		if s[0] != ';' {
			return nil, false
		}
		s = strings.TrimLeft(s[1:], " \t")
		end := strings.IndexAny(s, ";=")
		if end < 0 {
			end = len(s)
		}
		name := strings.TrimSpace(s[:end])
		if !isToken(name) {
			return nil, false
		}
		s = s[end:]
		value := ""
		if s != "" && s[0] == '=' {
			s = strings.TrimLeft(s[1:], " \t")
			if s != "" && s[0] == '"' {
				n, ok := quotedString(s)
				if !ok {
					return nil, false
				}
				value, s = s[1:n-1], s[n:]
			} else {
				n := strings.IndexByte(s, ';')
				if n < 0 {
					n = len(s)
				}
				value, s = strings.TrimSpace(s[:n]), s[n:]
				if !isGenValue(value) {
					return nil, false
				}
			}
		}
		params[strings.ToLower(name)] = value
	}
}

// isGenValue: token / host (RFC 3261 §25.1), the latter including an
// IPv6 reference.
func isGenValue(s string) bool {
	if isToken(s) {
		return true
	}
	return len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']' &&
		strings.Trim(s[1:len(s)-1], "0123456789abcdefABCDEF:.") == ""
}

// validHost: hostname / IPv4address / IPv6reference (RFC 3261 §25.1).
func validHost(h string) bool {
	if len(h) > 2 && h[0] == '[' && h[len(h)-1] == ']' {
		a, err := netip.ParseAddr(h[1 : len(h)-1])
		return err == nil && a.Is6() && a.Zone() == ""
	}
	if a, err := netip.ParseAddr(h); err == nil {
		return a.Zone() == ""
	}
	return isDomainName(h)
}

// isParamName: pname = 1*paramchar (RFC 3261 §25.1), of unreserved
// characters and escapes only (no name uses the others).
func isParamName(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		c := s[i]
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || strings.IndexByte("-_.!~*'()%", c) >= 0) {
			return false
		}
	}
	return true
}

// paramFold looks a URI parameter up by name, case-insensitively (RFC
// 3261 §19.1.4).
func paramFold(p sipgosip.HeaderParams, name string) (string, bool) {
	for _, k := range p.Keys() {
		if strings.EqualFold(k, name) {
			return p.Get(k)
		}
	}
	return "", false
}

// referSubFalse reports whether a REFER asks for no implicit
// subscription (RFC 4488 §4: Refer-Sub: false).
func referSubFalse(req *sipgosip.Request) bool {
	vs := headerValues(req, "Refer-Sub")
	if len(vs) != 1 {
		return false
	}
	v, _, _ := strings.Cut(vs[0], ";")
	return strings.EqualFold(strings.TrimSpace(v), "false")
}

// handleRefer answers REFER (RFC 3515 §2.4.2) for rooms.
func (cs *chats) handleRefer(req *sipgosip.Request, tx sipgosip.ServerTransaction) {
	e := cs.e
	inDialog := hasTag(req.To().Params)
	var ch *chat
	var room string
	if inDialog {
		tag, _ := req.To().Params.Get("tag")
		cs.mu.Lock()
		ch = cs.byDialog[req.CallID().Value()+"\x00"+tag]
		cs.mu.Unlock()
		if ch == nil || ch.room == nil {
			e.refuse(tx, req, &rejection{code: 403, reason: "Forbidden", metric: badForbidden})
			return
		}
		room = ch.room.uri
	} else {
		if room = roomURI(uriString(req.Recipient)); room == "" || !cs.isRoomHost(room) {
			e.refuse(tx, req, &rejection{code: 405, reason: "Method Not Allowed", headers: []sipgosip.Header{
				sipgosip.NewHeader("Allow", allowWithout(e.routes.Load().allow, string(sipgosip.REFER))),
			}})
			return
		}
		// RFC 3515 §2: REFER creates a dialog: exactly one Contact.
		if _, present, ok := validContact(req); !present {
			e.refuse(tx, req, badRequest("Missing Contact Header", badMissingHeader))
			return
		} else if !ok {
			e.refuse(tx, req, badRequest("Invalid Contact Header", badInvalidHeader))
			return
		}
	}
	// RFC 3515 §2.4.2: 400 unless exactly one Refer-To.
	values := headerValues(req, "Refer-To", "r")
	switch len(values) {
	case 0:
		e.refuse(tx, req, badRequest("Missing Refer-To Header", badMissingHeader))
		return
	case 1:
	default:
		e.refuse(tx, req, badRequest("Multiple Refer-To Values", badInvalidHeader))
		return
	}
	rt, err := parseReferTo(values[0])
	switch {
	case errors.Is(err, errReferScheme):
		e.refuse(tx, req, &rejection{code: 403, reason: "Refer-To Scheme Not Supported", metric: badURIScheme})
		return
	case err != nil:
		e.refuse(tx, req, badRequest("Invalid Refer-To Header", badInvalidHeader))
		return
	}
	r := translate.SIPRefer{
		From: uriString(req.From().Address), Room: room,
		Target: rt.target, Method: rt.method, InDialog: inDialog,
	}
	ctx, cancel := context.WithTimeout(context.Background(), coreTimeout)
	err = cs.rooms.SIPRefer(ctx, r)
	cancel()
	if err != nil {
		code, reason := statusOf(err)
		e.respond(tx, req, code, reason)
		return
	}

	noSub := referSubFalse(req)
	d := uasDialog(req)
	res := sipgosip.NewResponseFromRequest(req, 202, "Accepted", nil)
	if !inDialog {
		d.LocalTag = sipgosip.GenerateTagN(16)
		res.To().Params.Add("tag", d.LocalTag)
	}
	// RFC 3515 §2.2: Contact in a 2xx; ours is the room's, a focus
	// (RFC 4579 §4.2).
	contact := e.responseContact(req, tx, req.To().Address.User)
	contact.Params.Add("isfocus", "")
	res.AppendHeader(contact)
	if noSub {
		// RFC 4488 §4: the subscription is suppressed, and said so.
		res.AppendHeader(sipgosip.NewHeader("Refer-Sub", "false"))
	}
	if err := tx.Respond(res); err != nil {
		e.log.Warn("sending response failed", "method", "REFER", "status", 202, "error", err)
	}
	if noSub {
		return
	}
	event := "refer"
	if inDialog {
		// RFC 3515 §2.4.6: in a dialog, the id of the REFER (its CSeq)
		// tells which REFER the NOTIFY is about.
		event += ";id=" + strconv.FormatUint(uint64(req.CSeq().SeqNo), 10)
		cs.mu.Lock()
		if ch.ended {
			cs.mu.Unlock()
			return
		}
		// The NOTIFY takes the dialog's next CSeq (RFC 3261 §12.2.1.1).
		d = ch.dialog
		ch.dialog.LocalCSeq++
		cs.mu.Unlock()
	}
	cs.notifyRefer(d, event)
}

// notifyRefer sends, in the background, the one NOTIFY of an accepted
// REFER (RFC 3515 §2.4.4, §2.4.5): "SIP/2.0 100 Trying" that terminates
// the subscription (RFC 7702 §6.5: the invitation's progress cannot be
// known; RFC 6665 §4.2.2 reason noresource).
func (cs *chats) notifyRefer(d translate.SIPDialog, event string) {
	e := cs.e
	if !e.enter() {
		return
	}
	go func() {
		defer e.leave()
		ctx, cancel := context.WithTimeout(context.Background(), referNotifyTimeout)
		defer cancel()
		if err := e.sendReferNotify(ctx, d, event); err != nil {
			e.log.Debug("NOTIFY of a REFER failed", "error", err)
		}
	}()
}

// sendReferNotify sends the NOTIFY of a REFER in d, with our Contact as
// the focus.
func (e *Endpoint) sendReferNotify(ctx context.Context, d translate.SIPDialog, event string) error {
	req, err := newDialogRequest(sipgosip.NOTIFY, d)
	if err != nil {
		return err
	}
	req.AppendHeader(sipgosip.NewHeader("Event", event))
	req.AppendHeader(sipgosip.NewHeader("Subscription-State", translate.SubStateTerminated+";reason=noresource"))
	// RFC 3515 §2.4.5: message/sipfrag (RFC 3420) starting with a
	// Status-Line.
	req.AppendHeader(sipgosip.NewHeader("Content-Type", "message/sipfrag;version=2.0"))
	req.SetBody([]byte("SIP/2.0 100 Trying\r\n"))
	local, err := parseDialogURI(d.LocalURI)
	if err != nil {
		return err
	}
	hop := e.nextHop(req)
	c, err := e.requestContact(ctx, hop, local.User, req.Recipient.Scheme == "sips" || hop.Scheme == "sips")
	if err != nil {
		e.m.outgoing.WithLabelValues(methodLabel(req.Method), classError).Inc()
		return err
	}
	c.Params.Add("isfocus", "")
	req.AppendHeader(c)
	res, err := e.Do(ctx, req)
	if err != nil {
		return err
	}
	if res.StatusCode >= 300 {
		return statusErrorOf(res)
	}
	return nil
}

// allowWithout is an Allow value without one method.
func allowWithout(allow, method string) string {
	var kept []string
	for m := range strings.SplitSeq(allow, ",") {
		if m = strings.TrimSpace(m); m != "" && m != method {
			kept = append(kept, m)
		}
	}
	return strings.Join(kept, ", ")
}
