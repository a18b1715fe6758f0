package translate

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"time"
	"unicode/utf8"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/sip/simple"
)

// Content types of SIP MESSAGE bodies (RFC 7572 §7, RFC 3862, RFC 3994).
const (
	ContentTypeText        = "text/plain"
	ContentTypeHTML        = "text/html"
	ContentTypeCPIM        = "message/cpim"
	ContentTypeIsComposing = "application/im-iscomposing+xml"
	ContentTypeIMDN        = "message/imdn+xml"
)

// MessageToXMPP maps a SIP MESSAGE to a message stanza (RFC 7572 §5,
// Table 2): Call-ID -> <thread/>, Content-Language -> xml:lang, Subject ->
// <subject/>, body -> <body/>, transaction id -> id. A text message has no
// type ("normal"), as §5 requires. from and to are the mapped addresses.
//
// text/html, alone or in CPIM, becomes its text as <body/> and XHTML-IM
// (RFC 7572 §7, HTMLToXHTMLIM).
//
// Beyond text: message/cpim (RFC 3862) is unwrapped, its IMDN headers
// (RFC 5438 §6) becoming the stanza id, an XEP-0184 receipt request
// (positive-delivery) and an XEP-0333 markable (display); a CPIM-wrapped
// IMDN becomes a receipt (delivered) or a displayed marker; isComposing
// (RFC 3994) becomes a chat state by RFC 7573 §6 Table 3.
func MessageToXMPP(m SIPMessage, from, to jid.JID) (XMPPMessage, error) {
	x := XMPPMessage{
		From: from, To: to, ID: m.TransactionID,
		Thread: m.CallID, Lang: m.ContentLanguage, Subject: m.Subject,
	}
	ctype, body := m.ContentType, m.Body
	if ctype == ContentTypeCPIM {
		c, err := simple.ParseCPIM(body)
		if err != nil {
			return x, newError(400, CondBadRequest, "malformed message/cpim body")
		}
		if len(c.Subject) > 0 && x.Subject == "" {
			x.Subject = c.Subject[0].Text
		}
		if id, ok := c.GetNS(simple.NamespaceIMDN, "Message-ID"); ok && id != "" {
			x.ID = id
		}
		if dn, ok := c.GetNS(simple.NamespaceIMDN, "Disposition-Notification"); ok {
			if d, err := simple.ParseDispositionNotification(dn); err == nil {
				x.ReceiptRequest = d.Has(simple.NotifyPositiveDelivery)
				x.Markable = d.Has(simple.NotifyDisplay)
			}
		}
		ctype, body = mediaTypeOf(c.ContentType), c.Body
		if ctype == ContentTypeCPIM {
			return x, newError(415, CondNotAcceptable, "nested message/cpim")
		}
	}
	switch ctype {
	case ContentTypeText, "":
		if !utf8.Valid(body) {
			return x, newError(400, CondBadRequest, "message body is not UTF-8")
		}
		x.Body = string(body)
	case ContentTypeHTML:
		// RFC 7572 §7: text/html SHOULD be handled and then MUST become
		// XHTML-IM (XEP-0071 §7 profile), with its text as the <body/>.
		if !utf8.Valid(body) {
			return x, newError(400, CondBadRequest, "message body is not UTF-8")
		}
		text, xhtml, err := HTMLToXHTMLIM(string(body))
		if err != nil {
			return x, err
		}
		x.Body, x.HTML = text, xhtml
	case ContentTypeIsComposing:
		ic, err := simple.ParseIsComposing(body)
		if err != nil {
			return x, newError(400, CondBadRequest, "malformed isComposing body")
		}
		// RFC 7573 §6 Table 3: active -> composing, idle -> active.
		x.ChatState, x.Type, x.Subject = "active", TypeChat, ""
		if ic.State == simple.StateActive {
			x.ChatState = "composing"
		}
		return x, nil
	case ContentTypeIMDN:
		n, err := simple.ParseIMDN(body)
		if err != nil {
			return x, newError(400, CondBadRequest, "malformed IMDN body")
		}
		switch {
		case n.Delivery == simple.IMDNDelivered:
			x.ReceiptFor = n.MessageID // XEP-0184 <received/>
		case n.Display == simple.IMDNDisplayed:
			x.DisplayedFor = n.MessageID // XEP-0333 <displayed/>
		default:
			// Failure and processing notifications have no XMPP form.
			return x, errNothingToSend
		}
		x.Subject, x.Thread = "", ""
		return x, nil
	default:
		return x, newError(415, CondNotAcceptable, "unsupported content type "+ctype)
	}
	if strings.TrimSpace(x.Body) == "" {
		return x, newError(400, CondBadRequest, "empty message")
	}
	return x, nil
}

// errNothingToSend reports a SIP message that is understood but has no
// XMPP counterpart (it is accepted and dropped).
var errNothingToSend = &Error{SIPStatus: 200, Condition: CondUndefinedCondition, Type: ErrorTypeCancel, Text: "nothing to translate"}

// IsNothingToSend reports the error MessageToXMPP returns for a message
// that is accepted but has no XMPP form.
func IsNothingToSend(err error) bool { return err == errNothingToSend }

// mediaTypeOf returns a Content-Type value's media type, lowercased.
func mediaTypeOf(v string) string {
	if i := strings.IndexByte(v, ';'); i >= 0 {
		v = v[:i]
	}
	return strings.ToLower(strings.TrimSpace(v))
}

// MessageToSIP maps a message stanza to a SIP MESSAGE (RFC 7572 §4,
// Table 1): <body/> -> body, <subject/> -> Subject, <thread/> -> Call-ID,
// xml:lang -> Content-Language. A body over maxBody bytes is refused with
// policy-violation (RFC 7572 §6).
//
// A body with an XEP-0184 receipt request or an XEP-0333 markable is sent
// as message/cpim asking for the matching IMDN (RFC 5438 §7.1.1.3), the
// stanza id as imdn.Message-ID. A bodiless receipt or displayed marker
// becomes an IMDN (§7.2.1.1); a bodiless chat state becomes isComposing
// (RFC 7573 §6 Table 4: composing -> active, paused/active/inactive ->
// idle, gone -> nothing). ok is false when there is nothing to send.
func MessageToSIP(m XMPPMessage, from, to string, maxBody int, now time.Time) (s SIPMessage, ok bool, err error) {
	return MessageToSIPWith(m, from, to, maxBody, now, SIPOptions{})
}

// SIPOptions says what the SIP recipient of a message is known to accept.
type SIPOptions struct {
	// HTML: the recipient renders text/html. Without it a message is
	// sent as text/plain, its <body/> being authoritative (RFC 7572 §7,
	// XEP-0071 §4).
	HTML bool
}

// MessageToSIPWith is MessageToSIP for a recipient described by o: with
// o.HTML, a message with an XHTML-IM body (XEP-0071) is sent as text/html
// (XHTMLIMToHTML), falling back to text/plain when the markup is malformed,
// empty or over maxBody. A message with markup but no <body/> is sent with
// the text of the markup.
func MessageToSIPWith(m XMPPMessage, from, to string, maxBody int, now time.Time, o SIPOptions) (s SIPMessage, ok bool, err error) {
	s = SIPMessage{
		RequestURI: to, From: from, To: to,
		CallID:          callIDFor(m.Thread),
		Subject:         oneLine(m.Subject),
		ContentLanguage: m.Lang,
	}
	var markup string
	if m.HTML != "" && (o.HTML || m.Body == "") {
		if h, text, err := XHTMLIMToHTML(m.HTML); err == nil {
			markup = h
			if m.Body == "" {
				// XEP-0071 §4: the markup only formats the <body/>;
				// without one, its text stands in.
				m.Body = text
			}
		}
	}
	switch {
	case m.Body != "":
		if len(m.Body) > maxBody {
			return s, false, newError(413, CondPolicyViolation, fmt.Sprintf("message longer than %d bytes", maxBody))
		}
		ctype, body := ContentTypeText, m.Body
		if o.HTML && strings.TrimSpace(markup) != "" && len(markup) <= maxBody {
			ctype, body = ContentTypeHTML, markup
		}
		if !(m.ReceiptRequest || m.Markable) || m.ID == "" {
			s.ContentType, s.Body = ctype, []byte(body)
			return s, true, nil
		}
		dn := []string{}
		if m.ReceiptRequest {
			dn = append(dn, "positive-delivery")
		}
		if m.Markable {
			dn = append(dn, "display")
		}
		c := cpimEnvelope(from, to, m.ID, now)
		c.Headers = append(c.Headers, simple.Header{Name: "imdn.Disposition-Notification", Value: strings.Join(dn, ", ")})
		c.ContentType, c.Body = ctype+"; charset=utf-8", []byte(body)
		return cpimMessage(s, c)
	case m.ReceiptFor != "" || m.DisplayedFor != "":
		n := simple.IMDN{MessageID: m.ReceiptFor, DateTime: now, RecipientURI: from, Delivery: simple.IMDNDelivered}
		if m.ReceiptFor == "" {
			n = simple.IMDN{MessageID: m.DisplayedFor, DateTime: now, RecipientURI: from, Display: simple.IMDNDisplayed}
		}
		payload, err := n.Marshal()
		if err != nil {
			return s, false, newError(400, CondBadRequest, "receipt cannot be expressed as an IMDN")
		}
		id := m.ID
		if id == "" {
			id = m.ReceiptFor + m.DisplayedFor + "-imdn"
		}
		c := cpimEnvelope(from, to, id, now)
		c.ContentType, c.Body = ContentTypeIMDN, payload
		c.ContentHeaders = []simple.Header{{Name: "Content-Disposition", Value: "notification"}}
		return cpimMessage(s, c)
	case m.ChatState != "" && m.ChatState != "gone":
		ic := simple.IsComposing{State: simple.StateIdle, ContentType: ContentTypeText}
		if m.ChatState == "composing" {
			ic.State, ic.Refresh = simple.StateActive, 60
		}
		b, err := ic.Marshal()
		if err != nil {
			return s, false, newError(500, CondInternalServerError, "isComposing not built")
		}
		s.ContentType, s.Body, s.Subject = ContentTypeIsComposing, b, ""
		return s, true, nil
	}
	return s, false, nil
}

// cpimEnvelope is a message/cpim with the IMDN headers of RFC 5438 §6.
func cpimEnvelope(from, to, id string, now time.Time) *simple.CPIM {
	return &simple.CPIM{
		From: []string{"<" + from + ">"}, To: []string{"<" + to + ">"}, DateTime: now.UTC(),
		NS:      map[string]string{"imdn": simple.NamespaceIMDN},
		Headers: []simple.Header{{Name: "imdn.Message-ID", Value: id}},
	}
}

func cpimMessage(s SIPMessage, c *simple.CPIM) (SIPMessage, bool, error) {
	b, err := c.Marshal()
	if err != nil {
		return s, false, newError(400, CondBadRequest, "message cannot be expressed as message/cpim")
	}
	s.ContentType, s.Body = ContentTypeCPIM, b
	return s, true, nil
}

// ConversationCallID is the Call-ID for messages without a <thread/>
// between two parties: stable, so that a SIP user agent sees one
// conversation (RFC 3261 §8.1.1.4 allows reuse outside dialogs).
func ConversationCallID(from, to string) string {
	sum := sha256.Sum256([]byte(from + "\x00" + to))
	return hex.EncodeToString(sum[:16]) + "@sxgw"
}

// callIDFor maps a thread to a Call-ID (RFC 7572 §4): kept when it is a
// valid Call-ID (RFC 3261 §25.1 word), else a stable hash of it; "" lets
// the caller choose.
func callIDFor(thread string) string {
	if thread == "" {
		return ""
	}
	if len(thread) <= 128 && isCallIDWord(thread) {
		return thread
	}
	sum := sha256.Sum256([]byte(thread))
	return hex.EncodeToString(sum[:16])
}

// isCallIDWord reports whether s matches RFC 3261 §25.1 callid = word
// [ "@" word ].
func isCallIDWord(s string) bool {
	at := false
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case c >= 'a' && c <= 'z', c >= 'A' && c <= 'Z', c >= '0' && c <= '9':
		case strings.IndexByte("-.!%*_+`'~()<>:\\\"/[]?{}", c) >= 0:
		case c == '@' && !at && i > 0 && i < len(s)-1:
			at = true
		default:
			return false
		}
	}
	return s != ""
}

// oneLine makes free text fit a header value (RFC 3261 §25.1 TEXT-UTF8).
func oneLine(s string) string {
	return strings.Join(strings.Fields(strings.ToValidUTF8(s, "\uFFFD")), " ")
}

// newError builds an Error with both halves set explicitly.
func newError(status int, cond, text string) *Error {
	e := FromCondition(cond, text)
	e.SIPStatus = status
	return e
}
