package sip

import (
	"errors"
	"math"
	"mime"
	"strconv"
	"strings"

	sipgosip "github.com/emiago/sipgo/sip"

	"github.com/sxgw/sxgw/translate"
)

// Header fields of SIP events (RFC 6665 §8.2) and the Expires family
// (RFC 3261 §20.19, §20.23): parsing and formatting. sipgo leaves these
// headers unparsed.

// errHeaderSyntax reports an event header field value that does not follow
// its grammar (RFC 6665 §8.4, RFC 3261 §25.1).
var errHeaderSyntax = errors.New("sip: invalid header field value")

// maxDeltaSeconds is the largest delta-seconds value kept; larger values
// are taken as this one (RFC 3261 §20.19 allows capping at 2**32-1; 2**31-1
// keeps the value an int everywhere).
const maxDeltaSeconds = math.MaxInt32

// minExpires is the shortest subscription granted: shorter non-zero
// requests get 423 with Min-Expires (RFC 6665 §4.2.1.1).
const minExpires = 60

// eventHeader is an Event header field value (RFC 6665 §8.2.1).
type eventHeader struct {
	Type string // event-type: package and templates, e.g. "presence.winfo"
	ID   string // the deprecated "id" parameter; "" when absent
	// HasID distinguishes "id" absent from empty (never equal, §8.2.1).
	HasID bool
}

// parseEvent parses `event-type *( SEMI event-param )` (RFC 6665 §8.4).
// The event type is kept byte for byte: it is compared that way (§8.2.1).
func parseEvent(v string) (eventHeader, error) {
	typ, params, _ := strings.Cut(v, ";")
	typ = strings.TrimSpace(typ)
	if !isEventType(typ) {
		return eventHeader{}, errHeaderSyntax
	}
	ev := eventHeader{Type: typ}
	ps, err := parseParams(params)
	if err != nil {
		return eventHeader{}, err
	}
	for _, p := range ps {
		if strings.EqualFold(p.name, "id") {
			if !isToken(p.value) {
				return eventHeader{}, errHeaderSyntax
			}
			ev.ID, ev.HasID = p.value, true
		}
	}
	return ev, nil
}

// isEventType reports whether s is `event-package *( "." event-template )`.
func isEventType(s string) bool {
	if s == "" {
		return false
	}
	for part := range strings.SplitSeq(s, ".") {
		if part == "" {
			return false
		}
		for i := 0; i < len(part); i++ {
			if !isTokenNoDotChar(part[i]) {
				return false
			}
		}
	}
	return true
}

// isTokenNoDotChar is RFC 6665's token-nodot alphabet.
func isTokenNoDotChar(c byte) bool {
	switch {
	case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		return true
	}
	return strings.IndexByte("-!%*_+`'~", c) >= 0
}

// isToken reports whether s is an RFC 3261 §25.1 token.
func isToken(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; !isTokenNoDotChar(c) && c != '.' {
			return false
		}
	}
	return true
}

// subState is a Subscription-State header field value (RFC 6665 §8.2.3).
type subState struct {
	State      string // lowercased substate-value
	Expires    int    // -1 when absent
	Reason     string // lowercased event-reason-value; "" when absent
	RetryAfter int    // -1 when absent
}

// parseSubState parses `substate-value *( SEMI subexp-params )` (RFC 6665
// §8.4). State and reason are tokens, matched case-insensitively; an
// extension state or reason is kept as a token.
func parseSubState(v string) (subState, error) {
	state, params, _ := strings.Cut(v, ";")
	state = strings.ToLower(strings.TrimSpace(state))
	if !isToken(state) {
		return subState{}, errHeaderSyntax
	}
	s := subState{State: state, Expires: -1, RetryAfter: -1}
	ps, err := parseParams(params)
	if err != nil {
		return subState{}, err
	}
	for _, p := range ps {
		switch strings.ToLower(p.name) {
		case "expires":
			if s.Expires, err = parseDeltaSeconds(p.value); err != nil {
				return subState{}, err
			}
		case "retry-after":
			if s.RetryAfter, err = parseDeltaSeconds(p.value); err != nil {
				return subState{}, err
			}
		case "reason":
			if !isToken(p.value) {
				return subState{}, errHeaderSyntax
			}
			s.Reason = strings.ToLower(p.value)
		}
	}
	return s, nil
}

// formatSubState renders n's state as a Subscription-State value (RFC 6665
// §4.2.2: "expires" (when n.Expires >= 0) with active and pending, "reason"
// and "retry-after" (when n.RetryAfter > 0) only with terminated, §4.1.3).
func formatSubState(n translate.SIPNotify) (string, error) {
	state := strings.ToLower(n.State)
	if !isToken(state) {
		return "", errHeaderSyntax
	}
	var b strings.Builder
	b.WriteString(state)
	if state == translate.SubStateTerminated {
		if n.Reason != "" {
			if !isToken(n.Reason) {
				return "", errHeaderSyntax
			}
			b.WriteString(";reason=")
			b.WriteString(strings.ToLower(n.Reason))
		}
		// 0 would mean "retry any time", the same as no parameter; leaving
		// it out also covers a SIPNotify built without RetryAfter.
		if n.RetryAfter > 0 {
			b.WriteString(";retry-after=")
			b.WriteString(strconv.Itoa(min(n.RetryAfter, maxDeltaSeconds)))
		}
		return b.String(), nil
	}
	if n.Expires >= 0 {
		b.WriteString(";expires=")
		b.WriteString(strconv.Itoa(min(n.Expires, maxDeltaSeconds)))
	}
	return b.String(), nil
}

// parseDeltaSeconds parses `1*DIGIT` (RFC 3261 §25.1), capping large
// values at maxDeltaSeconds.
func parseDeltaSeconds(v string) (int, error) {
	v = strings.TrimSpace(v)
	if v == "" || len(v) > 64 {
		return 0, errHeaderSyntax
	}
	for i := 0; i < len(v); i++ {
		if v[i] < '0' || v[i] > '9' {
			return 0, errHeaderSyntax
		}
	}
	n, err := strconv.ParseUint(v, 10, 64)
	if err != nil || n > maxDeltaSeconds {
		return maxDeltaSeconds, nil // only overflow is left
	}
	return int(n), nil
}

// param is one `;name[=value]` of a header field value.
type param struct{ name, value string }

// maxParams bounds the parameters read from one header field value.
const maxParams = 32

// parseParams splits `*( SEMI generic-param )` (without the leading
// semicolon of the first one), unquoting quoted values.
func parseParams(s string) ([]param, error) {
	if strings.TrimSpace(s) == "" {
		return nil, nil
	}
	var ps []param
	for part := range strings.SplitSeq(s, ";") {
		if len(ps) == maxParams {
			return nil, errHeaderSyntax
		}
		name, value, hasValue := strings.Cut(part, "=")
		name = strings.TrimSpace(name)
		if !isToken(name) {
			return nil, errHeaderSyntax
		}
		value = strings.TrimSpace(value)
		if hasValue {
			if len(value) >= 2 && value[0] == '"' && value[len(value)-1] == '"' {
				value = value[1 : len(value)-1]
			} else if value == "" || strings.ContainsAny(value, "\" \t,") {
				return nil, errHeaderSyntax
			}
		}
		ps = append(ps, param{name: name, value: value})
	}
	return ps, nil
}

// parseAccept returns the media types of Accept header field values
// (RFC 3261 §20.1), lowercased and without parameters; ranges with q=0 are
// left out. present is false when no Accept header was given.
func parseAccept(values []string) (types []string, present bool) {
	for _, v := range values {
		present = true
		for r := range strings.SplitSeq(v, ",") {
			if len(types) == maxParams {
				return types, true
			}
			mt, params, err := mime.ParseMediaType(strings.TrimSpace(r))
			if typ, sub, ok := strings.Cut(mt, "/"); err != nil || !ok || typ == "" || sub == "" {
				continue // not a media-range (RFC 3261 §20.1)
			}
			if q, ok := params["q"]; ok {
				if f, err := strconv.ParseFloat(q, 64); err == nil && f == 0 {
					continue
				}
			}
			if !containsFold(types, mt) {
				types = append(types, mt)
			}
		}
	}
	return types, present
}

// acceptable returns the first of offered (concrete media types) that the
// accepted ranges allow ("*/*" and "type/*" included), and whether one does.
func acceptable(accepted, offered []string) (string, bool) {
	for _, o := range offered {
		otype, _, _ := strings.Cut(o, "/")
		for _, a := range accepted {
			atype, asub, _ := strings.Cut(a, "/")
			if strings.EqualFold(a, o) || a == "*/*" || (asub == "*" && strings.EqualFold(atype, otype)) {
				return o, true
			}
		}
	}
	return "", false
}

// headerValues returns the values of every header named by one of names
// (a long form and its compact form: sipgo keeps unknown headers under
// the name they were sent with).
func headerValues(m interface {
	GetHeaders(string) []sipgosip.Header
}, names ...string) []string {
	var vs []string
	for _, n := range names {
		for _, h := range m.GetHeaders(n) {
			vs = append(vs, h.Value())
		}
	}
	return vs
}

// eventHeaders returns the Event header values ("o" is its compact form,
// RFC 6665 §8.2.1).
func eventHeaders(m interface {
	GetHeaders(string) []sipgosip.Header
}) []string {
	return headerValues(m, "Event", "o")
}

// singleDelta parses a header that carries one delta-seconds (Expires,
// Min-Expires): -1 when absent, an error when invalid or repeated.
func singleDelta(values []string) (int, error) {
	switch len(values) {
	case 0:
		return -1, nil
	case 1:
		return parseDeltaSeconds(values[0])
	}
	return 0, errHeaderSyntax
}
