package translate

import (
	"strings"
	"time"

	"github.com/sxgw/sxgw/sip/simple"
)

// RoomMessageToSIP maps a MUC message to what an MSRP chat room sends its
// participants (RFC 7701 §6, RFC 7702 §5 Table 4): message/cpim whose
// From is the sender (its URI, with its nickname as display name) and
// whose To is the room URI for a message to all, or the recipient's URI
// for a private message (§6.2). The stanza id travels as imdn.Message-ID.
// ok is false when there is nothing to send (no body: chat states and
// markers of a room have no MSRP form).
func RoomMessageToSIP(m XMPPMessage, fromNick, fromURI, toURI string, maxBody int, now time.Time) (s SIPMessage, ok bool, err error) {
	s = SIPMessage{From: fromURI, To: toURI, Subject: oneLine(m.Subject), ContentLanguage: m.Lang}
	if m.Body == "" {
		return s, false, nil
	}
	if maxBody > 0 && len(m.Body) > maxBody {
		return s, false, newError(413, CondPolicyViolation, "message too long for the room")
	}
	c := &simple.CPIM{
		From: []string{cpimNameAddr(fromNick, fromURI)}, To: []string{"<" + toURI + ">"},
		DateTime: now.UTC(), ContentType: "text/plain; charset=utf-8", Body: []byte(m.Body),
	}
	if m.ID != "" {
		c.NS = map[string]string{"imdn": simple.NamespaceIMDN}
		c.Headers = []simple.Header{{Name: "imdn.Message-ID", Value: m.ID}}
	}
	return cpimMessage(s, c)
}

// cpimNameAddr formats a CPIM address with a display name (RFC 3862
// §3.3: Formal-name "<" URI ">"). The name goes as a quoted string; the
// characters a quoted string would need escaped are dropped instead, as
// peers differ in unescaping them.
func cpimNameAddr(name, uri string) string {
	name = strings.Map(func(r rune) rune {
		if r == '"' || r == '\\' || r < 0x20 || r == 0x7f {
			return -1
		}
		return r
	}, name)
	if name == "" {
		return "<" + uri + ">"
	}
	return `"` + name + `" <` + uri + ">"
}

// RoomAddressees returns the CPIM sender and To addresses of a room
// message from MSRP (RFC 7701 §6.1, §6.2): no To or the room URI for a
// message to all, one participant's URI for a private message (RFC 7702
// §5 also writes the room URI with ";gr=nick" after it, kept in Params).
// A message/cpim body that does not parse is an error (400); other
// content types have no addresses (from.URI is then "").
func RoomAddressees(m SIPMessage) (from simple.CPIMAddress, to []simple.CPIMAddress, err error) {
	if m.ContentType != ContentTypeCPIM {
		return from, nil, nil
	}
	c, err := simple.ParseCPIM(m.Body)
	if err != nil {
		return from, nil, newError(400, CondBadRequest, "malformed message/cpim body")
	}
	if len(c.From) > 0 {
		if from, err = simple.ParseCPIMAddress(c.From[0]); err != nil {
			return from, nil, newError(400, CondBadRequest, "malformed CPIM From")
		}
	}
	to = make([]simple.CPIMAddress, 0, len(c.To))
	for _, v := range c.To {
		a, err := simple.ParseCPIMAddress(v)
		if err != nil {
			return from, nil, newError(400, CondBadRequest, "malformed CPIM To")
		}
		to = append(to, a)
	}
	return from, to, nil
}
