package translate

import (
	"strings"
	"testing"
	"time"

	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/sip/simple"
)

var (
	carol = jid.MustParse("carol@sip.test")
	alice = jid.MustParse("alice@xmpp.test/phone")
	now   = time.Date(2026, 11, 23, 10, 0, 0, 0, time.UTC)
)

func TestMessageToXMPPText(t *testing.T) {
	x, err := MessageToXMPP(SIPMessage{TransactionID: "z9hG4bK1", CallID: "c1@h", ContentLanguage: "de",
		Subject: "Hallo", ContentType: "text/plain", Body: []byte("Guten Tag")}, carol, alice)
	if err != nil {
		t.Fatal(err)
	}
	if x.Body != "Guten Tag" || x.ID != "z9hG4bK1" || x.Thread != "c1@h" || x.Lang != "de" || x.Subject != "Hallo" || x.Type != "" {
		t.Fatalf("got %+v", x)
	}
	x, err = MessageToXMPP(SIPMessage{ContentType: "text/html", Body: []byte("<p>Hi &amp; <b>bye</b></p>")}, carol, alice)
	if err != nil || x.Body != "Hi & bye" || x.HTML != xhtmlBody+"<p>Hi &amp; <strong>bye</strong></p></body>" {
		t.Fatalf("html: %q %q %v", x.Body, x.HTML, err)
	}
	for _, bad := range []SIPMessage{
		{ContentType: "text/plain", Body: []byte{0xff, 0xfe}},
		{ContentType: "image/png", Body: []byte("x")},
		{ContentType: "text/plain", Body: []byte("   ")},
		{ContentType: "message/cpim", Body: []byte("garbage")},
		{ContentType: "application/im-iscomposing+xml", Body: []byte("<nope/>")},
	} {
		if _, err := MessageToXMPP(bad, carol, alice); ErrorOf(err) == nil || ErrorOf(err).SIPStatus < 400 {
			t.Errorf("%s %q accepted: %v", bad.ContentType, bad.Body, err)
		}
	}
}

func TestMessageCPIMRoundTrip(t *testing.T) {
	// XMPP -> SIP: a body asking for a receipt and markable becomes CPIM
	// asking for the IMDNs (RFC 5438 §7.1.1.3).
	m := XMPPMessage{From: alice, To: carol, ID: "msg-1", Body: "ping", ReceiptRequest: true, Markable: true, Thread: "has spaces"}
	s, ok, err := MessageToSIP(m, "sip:alice@xmpp.test;gr=phone", "sip:carol@sip.test", 1300, now)
	if err != nil || !ok || s.ContentType != ContentTypeCPIM {
		t.Fatalf("got %+v %v %v", s, ok, err)
	}
	if len(s.CallID) != 32 || !isCallIDWord(s.CallID) {
		t.Errorf("thread with spaces not hashed into a Call-ID: %q", s.CallID)
	}
	c, err := simple.ParseCPIM(s.Body)
	if err != nil {
		t.Fatal(err)
	}
	if id, _ := c.GetNS(simple.NamespaceIMDN, "Message-ID"); id != "msg-1" {
		t.Errorf("Message-ID %q", id)
	}
	if dn, _ := c.GetNS(simple.NamespaceIMDN, "Disposition-Notification"); dn != "positive-delivery, display" {
		t.Errorf("Disposition-Notification %q", dn)
	}
	// And back: SIP -> XMPP keeps id, request and markable.
	x, err := MessageToXMPP(SIPMessage{ContentType: ContentTypeCPIM, Body: s.Body}, carol, alice)
	if err != nil || x.Body != "ping" || x.ID != "msg-1" || !x.ReceiptRequest || !x.Markable {
		t.Fatalf("back: %+v %v", x, err)
	}
}

func TestReceiptsAndMarkers(t *testing.T) {
	for _, m := range []XMPPMessage{
		{From: alice, To: carol, ReceiptFor: "m-7"},
		{From: alice, To: carol, DisplayedFor: "m-7"},
	} {
		s, ok, err := MessageToSIP(m, "sip:alice@xmpp.test", "sip:carol@sip.test", 1300, now)
		if err != nil || !ok || s.ContentType != ContentTypeCPIM {
			t.Fatalf("%+v: %v %v", m, ok, err)
		}
		x, err := MessageToXMPP(SIPMessage{ContentType: ContentTypeCPIM, Body: s.Body}, carol, alice)
		if err != nil {
			t.Fatal(err)
		}
		if x.ReceiptFor != m.ReceiptFor || x.DisplayedFor != m.DisplayedFor || x.Body != "" {
			t.Errorf("round trip of %+v gave %+v", m, x)
		}
	}
}

func TestChatStates(t *testing.T) {
	// RFC 7573 §6 Table 4 and Table 3.
	cases := []struct{ xmpp, sipState, back string }{
		{"composing", "active", "composing"},
		{"paused", "idle", "active"},
		{"active", "idle", "active"},
		{"inactive", "idle", "active"},
	}
	for _, c := range cases {
		s, ok, err := MessageToSIP(XMPPMessage{From: alice, To: carol, ChatState: c.xmpp}, "sip:a@x", "sip:c@s", 1300, now)
		if err != nil || !ok || s.ContentType != ContentTypeIsComposing {
			t.Fatalf("%s: %v %v", c.xmpp, ok, err)
		}
		ic, err := simple.ParseIsComposing(s.Body)
		if err != nil || ic.State != c.sipState {
			t.Fatalf("%s -> %+v %v", c.xmpp, ic, err)
		}
		x, err := MessageToXMPP(SIPMessage{ContentType: ContentTypeIsComposing, Body: s.Body}, carol, alice)
		if err != nil || x.ChatState != c.back || x.Type != TypeChat {
			t.Errorf("%s back: %+v %v", c.xmpp, x, err)
		}
	}
	if _, ok, _ := MessageToSIP(XMPPMessage{ChatState: "gone"}, "sip:a@x", "sip:c@s", 1300, now); ok {
		t.Error("gone must not become a MESSAGE (RFC 7573 §6.1)")
	}
	if _, ok, _ := MessageToSIP(XMPPMessage{Markable: true}, "sip:a@x", "sip:c@s", 1300, now); ok {
		t.Error("a bare marker has nothing to send")
	}
}

// TestMessageToXMPPHTML: a text/html MESSAGE, alone or in CPIM, becomes
// a message whose <body/> is the text and whose XHTML-IM is the markup
// within the XEP-0071 §7 profile (RFC 7572 §7).
func TestMessageToXMPPHTML(t *testing.T) {
	html := `<div>Hi <b>Bob</b>,</div><div>see <a href="https://example.com/">this</a><script>steal()</script> <a href="javascript:steal()">now</a></div>`
	wantBody := "Hi Bob,\nsee this <https://example.com/> now"
	wantHTML := xhtmlBody + `Hi <strong>Bob</strong>,<br/>see <a href="https://example.com/">this</a> now</body>`
	x, err := MessageToXMPP(SIPMessage{ContentType: ContentTypeHTML, Body: []byte(html), Subject: "s"}, carol, alice)
	if err != nil || x.Body != wantBody || x.HTML != wantHTML || x.Subject != "s" {
		t.Fatalf("text/html: %q %q %v", x.Body, x.HTML, err)
	}
	c := simple.CPIM{From: []string{"<sip:carol@sip.test>"}, To: []string{"<sip:alice@xmpp.test>"}, DateTime: now,
		NS:          map[string]string{"imdn": simple.NamespaceIMDN},
		Headers:     []simple.Header{{Name: "imdn.Message-ID", Value: "h1"}},
		ContentType: "text/html; charset=utf-8", Body: []byte(html)}
	b, err := c.Marshal()
	if err != nil {
		t.Fatal(err)
	}
	x, err = MessageToXMPP(SIPMessage{ContentType: ContentTypeCPIM, Body: b}, carol, alice)
	if err != nil || x.Body != wantBody || x.HTML != wantHTML || x.ID != "h1" {
		t.Fatalf("text/html in CPIM: %q %q %q %v", x.Body, x.HTML, x.ID, err)
	}
	// Markup that only breaks lines adds nothing to the text.
	x, err = MessageToXMPP(SIPMessage{ContentType: ContentTypeHTML, Body: []byte("one<br>two")}, carol, alice)
	if err != nil || x.Body != "one\ntwo" || x.HTML != "" {
		t.Fatalf("plain html: %q %q %v", x.Body, x.HTML, err)
	}
	for _, bad := range []struct {
		body   string
		status int
	}{
		{"<p>caf\xe9</p>", 400},
		{"<script>only()</script><p> </p>", 400},
		{strings.Repeat("<p>x</p>", maxMarkup/8+1), 413},
	} {
		_, err := MessageToXMPP(SIPMessage{ContentType: ContentTypeHTML, Body: []byte(bad.body)}, carol, alice)
		if e := ErrorOf(err); e == nil || e.SIPStatus != bad.status {
			t.Errorf("%.40q: %v, want SIP %d", bad.body, err, bad.status)
		}
	}
}

// TestMessageToSIPHTML: XHTML-IM goes to SIP as text/html only when the
// recipient is known to take it; otherwise the <body/> goes as
// text/plain (RFC 7572 §7).
func TestMessageToSIPHTML(t *testing.T) {
	const from, to = "sip:alice@xmpp.test", "sip:carol@sip.test"
	m := XMPPMessage{From: alice, To: carol, ID: "x1", Body: "hi Bob",
		HTML: xhtmlBody + `<p onclick="x()">hi <strong>Bob</strong><script>x()</script></p></body>`}
	s, ok, err := MessageToSIP(m, from, to, 1300, now)
	if err != nil || !ok || s.ContentType != ContentTypeText || string(s.Body) != "hi Bob" {
		t.Fatalf("default: %q %q %v %v", s.ContentType, s.Body, ok, err)
	}
	html := SIPOptions{HTML: true}
	s, ok, err = MessageToSIPWith(m, from, to, 1300, now, html)
	if err != nil || !ok || s.ContentType != ContentTypeHTML || string(s.Body) != "<p>hi <strong>Bob</strong></p>" {
		t.Fatalf("html wanted: %q %q %v %v", s.ContentType, s.Body, ok, err)
	}
	// With a receipt request the HTML travels in CPIM (RFC 5438 §7.1.1.3).
	r := m
	r.ReceiptRequest = true
	s, ok, err = MessageToSIPWith(r, from, to, 1300, now, html)
	if err != nil || !ok || s.ContentType != ContentTypeCPIM {
		t.Fatalf("html with receipt: %q %v %v", s.ContentType, ok, err)
	}
	c, err := simple.ParseCPIM(s.Body)
	if err != nil || mediaTypeOf(c.ContentType) != ContentTypeHTML || string(c.Body) != "<p>hi <strong>Bob</strong></p>" {
		t.Fatalf("CPIM: %+v %v", c, err)
	}
	// Fallbacks to text/plain: malformed markup, markup over the limit.
	for name, f := range map[string]func(*XMPPMessage){
		"malformed": func(m *XMPPMessage) { m.HTML = "<body><p>unclosed" },
		"too long":  func(m *XMPPMessage) { m.HTML = xhtmlBody + strings.Repeat("<em>x</em>", 200) + "</body>" },
		"empty":     func(m *XMPPMessage) { m.HTML = xhtmlBody + "<p> </p></body>" },
	} {
		mm := m
		f(&mm)
		s, ok, err := MessageToSIPWith(mm, from, to, 1300, now, html)
		if err != nil || !ok || s.ContentType != ContentTypeText || string(s.Body) != "hi Bob" {
			t.Errorf("%s: %q %q %v %v", name, s.ContentType, s.Body, ok, err)
		}
	}
	// No <body/>: the text of the markup stands in (XEP-0071 §4).
	nb := XMPPMessage{From: alice, To: carol, HTML: xhtmlBody + "<p>only <em>markup</em></p></body>"}
	s, ok, err = MessageToSIP(nb, from, to, 1300, now)
	if err != nil || !ok || s.ContentType != ContentTypeText || string(s.Body) != "only markup" {
		t.Fatalf("bodiless: %q %q %v %v", s.ContentType, s.Body, ok, err)
	}
	nb.HTML = xhtmlBody + "<p> </p></body>"
	if _, ok, err := MessageToSIP(nb, from, to, 1300, now); ok || err != nil {
		t.Fatalf("empty markup sent: %v %v", ok, err)
	}
}

func TestMessageSizePolicy(t *testing.T) {
	_, _, err := MessageToSIP(XMPPMessage{Body: strings.Repeat("x", 1301)}, "sip:a@x", "sip:c@s", 1300, now)
	if e := ErrorOf(err); e == nil || e.Condition != CondPolicyViolation {
		t.Fatalf("got %v, want policy-violation (RFC 7572 §6)", err)
	}
}

func FuzzMessageToXMPP(f *testing.F) {
	f.Add("message/cpim", []byte("From: <sip:a@b>\r\nNS: imdn <urn:ietf:params:imdn>\r\nimdn.Message-ID: x\r\n\r\nContent-Type: text/plain\r\n\r\nhi"))
	f.Add("text/plain", []byte("hello"))
	f.Add("text/html", []byte(`<p>Hi <b>there</b><br><a href="https://x.test/">link</a></p>`))
	f.Add("application/im-iscomposing+xml", []byte(`<isComposing xmlns="urn:ietf:params:xml:ns:im-iscomposing"><state>active</state></isComposing>`))
	f.Fuzz(func(t *testing.T, ctype string, body []byte) {
		x, err := MessageToXMPP(SIPMessage{ContentType: ctype, Body: body}, carol, alice)
		if err != nil {
			if e := ErrorOf(err); e.SIPStatus < 200 {
				t.Fatalf("error without a status: %v", err)
			}
			return
		}
		if x.Body == "" && x.ChatState == "" && x.ReceiptFor == "" && x.DisplayedFor == "" {
			t.Fatalf("accepted %q %q with nothing to send", ctype, body)
		}
	})
}
