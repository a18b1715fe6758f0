package sip

import (
	"strings"
	"testing"

	"github.com/sxgw/sxgw/sip/msrp"
)

// FuzzReferTo: parseReferTo never panics; what it accepts is a SIP URI
// target and a method token, and the target parsed again (with the
// method put back as a URI parameter) is accepted with the same method
// and is stable from then on.
func FuzzReferTo(f *testing.F) {
	for _, s := range []string{
		"<sip:carol@chicago.example.com>",
		"sip:alice@atlanta.example.com",
		"<sip:carol@cleveland.example.org;method=SUBSCRIBE>",
		`"Carol" <sips:carol@x.test;transport=tls;method=BYE>;p="a;b"`,
		"<sip:bob@biloxi.example.net?Replaces=12345%40192.168.118.3%3Bto-tag%3D12345>",
		"sip:carol@x.test;method=BYE",
		"http://www.ietf.org",
		"<sip:a@x.test>, <sip:b@x.test>",
		"<sip:[::1]:5060;method=bye>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		rt, err := parseReferTo(in)
		if err != nil {
			if rt != (referTo{}) {
				t.Fatalf("error %v with a result %+v", err, rt)
			}
			return
		}
		if rt.method == "" || !isToken(rt.method) || rt.method != strings.ToUpper(rt.method) {
			t.Fatalf("method %q", rt.method)
		}
		u, err := parseDialogURI(rt.target)
		if err != nil || u.Host == "" || u.Headers != nil {
			t.Fatalf("target %q: %v", rt.target, err)
		}
		// The target is normalized once (sipgo's rendering): from then
		// on, with the method put back, it parses to itself.
		again, err := parseReferTo("<" + rt.target + ";method=" + rt.method + ">")
		if err != nil || again.method != rt.method {
			t.Fatalf("reparsed %q: %+v %v, want %+v", rt.target, again, err, rt)
		}
		third, err := parseReferTo("<" + again.target + ";method=" + rt.method + ">")
		if err != nil || third != again {
			t.Fatalf("reparsed %q: %+v %v, want %+v", again.target, third, err, again)
		}
	})
}

// FuzzChatroom: an a=chatroom attribute with any value, read through
// the MSRP media parser, never panics, and a token counts only when
// present.
func FuzzChatroom(f *testing.F) {
	for _, s := range []string{"nickname private-messages", "", "NICKNAME", "nicknames com.example.chat.foo", "private-messages\tnickname"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, value string) {
		if strings.ContainsAny(value, "\r\n") {
			return // one SDP line
		}
		sdp := "v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
			"m=message 9 TCP/MSRP *\r\na=path:msrp://127.0.0.1:9/s;tcp\r\na=chatroom:" + value + "\r\n"
		m, _, err := msrp.ParseMedia([]byte(sdp))
		if err != nil {
			return
		}
		c := parseChatroom(m.Chatroom)
		lower := strings.ToLower(value)
		if c.nickname && !strings.Contains(lower, "nickname") {
			t.Fatalf("nickname from %q", value)
		}
		if c.privateMessages && !strings.Contains(lower, "private-messages") {
			t.Fatalf("private-messages from %q", value)
		}
	})
}
