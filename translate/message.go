package translate

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"strings"
	"unicode/utf8"

	"mellium.im/xmpp/jid"
)

// Content types of SIP MESSAGE bodies (RFC 7572 §7, RFC 3862, RFC 3994).
const (
	ContentTypeText        = "text/plain"
	ContentTypeHTML        = "text/html"
	ContentTypeCPIM        = "message/cpim"
	ContentTypeIsComposing = "application/im-iscomposing+xml"
)

// MessageToXMPP maps a SIP MESSAGE to a message stanza (RFC 7572 §5,
// Table 2): Call-ID -> <thread/>, Content-Language -> xml:lang, Subject ->
// <subject/>, body -> <body/>, transaction id -> id. The stanza has no
// type ("normal"), as §5 requires. from and to are the mapped addresses.
func MessageToXMPP(m SIPMessage, from, to jid.JID) (XMPPMessage, error) {
	x := XMPPMessage{
		From: from, To: to, ID: m.TransactionID,
		Thread: m.CallID, Lang: m.ContentLanguage, Subject: m.Subject,
	}
	switch m.ContentType {
	case ContentTypeText, "":
		if !utf8.Valid(m.Body) {
			return x, newError(400, CondBadRequest, "message body is not UTF-8")
		}
		x.Body = string(m.Body)
	case ContentTypeHTML:
		// RFC 7572 §7: text/html SHOULD be handled. The text is carried
		// as the plain <body/>; markup is not kept.
		if !utf8.Valid(m.Body) {
			return x, newError(400, CondBadRequest, "message body is not UTF-8")
		}
		x.Body = htmlText(string(m.Body))
	default:
		return x, newError(415, CondNotAcceptable, "unsupported content type "+m.ContentType)
	}
	if strings.TrimSpace(x.Body) == "" {
		return x, newError(400, CondBadRequest, "empty message")
	}
	return x, nil
}

// MessageToSIP maps a message stanza to a SIP MESSAGE (RFC 7572 §4,
// Table 1): <body/> -> body, <subject/> -> Subject, <thread/> -> Call-ID,
// xml:lang -> Content-Language. ok is false when the stanza carries
// nothing a MESSAGE can express (e.g. only a marker). A body over maxBody
// bytes is refused with policy-violation (RFC 7572 §6).
func MessageToSIP(m XMPPMessage, from, to string, maxBody int) (s SIPMessage, ok bool, err error) {
	if m.Body == "" {
		return s, false, nil
	}
	if len(m.Body) > maxBody {
		return s, false, newError(413, CondPolicyViolation, fmt.Sprintf("message longer than %d bytes", maxBody))
	}
	s = SIPMessage{
		RequestURI: to, From: from, To: to,
		CallID:          callIDFor(m.Thread),
		Subject:         oneLine(m.Subject),
		ContentType:     ContentTypeText,
		ContentLanguage: m.Lang,
		Body:            []byte(m.Body),
	}
	return s, true, nil
}

// callIDFor maps a thread to a Call-ID (RFC 7572 §4): kept when it is a
// valid Call-ID (RFC 3261 §25.1 word), else a stable hash of it; "" lets
// the SIP side generate one.
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

// htmlText extracts the text of an HTML fragment: tags dropped, the five
// predefined entities decoded, <br> and block ends as line breaks.
func htmlText(h string) string {
	var b strings.Builder
	for i := 0; i < len(h); {
		switch h[i] {
		case '<':
			end := strings.IndexByte(h[i:], '>')
			if end < 0 {
				i = len(h)
				continue
			}
			tag := strings.ToLower(strings.Trim(h[i+1:i+end], "/ "))
			if f := strings.Fields(tag); len(f) > 0 {
				switch f[0] {
				case "br", "p", "div", "li":
					b.WriteByte('\n')
				}
			}
			i += end + 1
		case '&':
			end := strings.IndexByte(h[i:], ';')
			if end > 0 && end < 10 {
				if r, ok := map[string]string{"amp": "&", "lt": "<", "gt": ">", "quot": "\"", "apos": "'", "nbsp": " "}[h[i+1:i+end]]; ok {
					b.WriteString(r)
					i += end + 1
					continue
				}
			}
			b.WriteByte('&')
			i++
		default:
			b.WriteByte(h[i])
			i++
		}
	}
	return strings.TrimSpace(b.String())
}

// newError builds an Error with both halves set explicitly.
func newError(status int, cond, text string) *Error {
	e := FromCondition(cond, text)
	e.SIPStatus = status
	return e
}
