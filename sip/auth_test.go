package sip

import (
	"context"
	"net"
	"strings"
	"testing"
	"time"

	sipgosip "github.com/emiago/sipgo/sip"
	"github.com/icholy/digest"

	"github.com/sxgw/sxgw/translate"
)

// challengingProxy is a UDP outbound proxy that challenges every request
// without credentials (407, RFC 3261 §22.3) and accepts one whose digest
// response verifies with its password.
type challengingProxy struct {
	t        *testing.T
	pc       net.PacketConn
	chal     *digest.Challenge
	password string
	seen     chan *sipgosip.Request
}

func startChallengingProxy(t *testing.T, password string) *challengingProxy {
	pc, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &challengingProxy{t: t, pc: pc, password: password, seen: make(chan *sipgosip.Request, 8),
		chal: &digest.Challenge{Realm: "pbx.test", Nonce: "f84f1cec41e6cbe5aea9c8e88d359", QOP: []string{"auth"}, Algorithm: "SHA-256"}}
	done := make(chan struct{})
	go p.serve(done)
	t.Cleanup(func() { _ = pc.Close(); <-done })
	return p
}

func (p *challengingProxy) serve(done chan struct{}) {
	defer close(done)
	buf := make([]byte, 65535)
	for {
		n, from, err := p.pc.ReadFrom(buf)
		if err != nil {
			return
		}
		msg, err := sipgosip.ParseMessage(append([]byte(nil), buf[:n]...))
		if err != nil {
			continue
		}
		req, ok := msg.(*sipgosip.Request)
		if !ok || req.IsAck() {
			continue
		}
		p.seen <- req
		var res *sipgosip.Response
		if h := req.GetHeader("Proxy-Authorization"); h != nil && p.verifies(req, h.Value()) {
			res = sipgosip.NewResponseFromRequest(req, 200, "OK", nil)
			if req.IsInvite() {
				// A dialog: To tag, Contact and the SDP answer.
				res.To().Params.Add("tag", "callee")
				res.AppendHeader(sipgosip.NewHeader("Contact", "<sip:callee@"+p.pc.LocalAddr().String()+">"))
				res.AppendHeader(sipgosip.NewHeader("Content-Type", "application/sdp"))
				res.SetBody(req.Body())
			}
		} else {
			res = sipgosip.NewResponseFromRequest(req, 407, "Proxy Authentication Required", nil)
			res.AppendHeader(sipgosip.NewHeader("Proxy-Authenticate", p.chal.String()))
		}
		_, _ = p.pc.WriteTo([]byte(res.String()), from)
	}
}

// verifies recomputes the digest response (RFC 7616 §3.4.1) with the
// client's cnonce and count.
func (p *challengingProxy) verifies(req *sipgosip.Request, v string) bool {
	c, err := digest.ParseCredentials(v)
	if err != nil || c.Realm != p.chal.Realm || c.Nonce != p.chal.Nonce {
		return false
	}
	want, err := digest.Digest(p.chal, digest.Options{Method: string(req.Method), URI: c.URI, Count: c.Nc, Cnonce: c.Cnonce,
		Username: c.Username, Password: p.password})
	return err == nil && want.Response == c.Response && c.Username == "gw"
}

// RFC 3261 §22.2/§22.3: a MESSAGE challenged by the outbound proxy is sent
// again with Proxy-Authorization and the next CSeq; wrong credentials or
// none for the realm leave the 407 final.
func TestDigestAuthentication(t *testing.T) {
	proxy := startChallengingProxy(t, "s3cret")
	msg := translate.SIPMessage{RequestURI: "sip:carol@example.test", From: "sip:alice@xmpp.test", To: "sip:carol@example.test",
		CallID: "auth-1", CSeq: 7, ContentType: "text/plain", Body: []byte("hi")}
	for _, tc := range []struct {
		name  string
		creds []Credential
		code  int
		sent  int
	}{
		{"right", []Credential{{Realm: "pbx.test", Username: "gw", Password: "s3cret"}}, 200, 2},
		{"any realm", []Credential{{Username: "gw", Password: "s3cret"}}, 200, 2},
		{"wrong password", []Credential{{Realm: "pbx.test", Username: "gw", Password: "nope"}}, 407, 2},
		{"other realm", []Credential{{Realm: "elsewhere", Username: "gw", Password: "s3cret"}}, 407, 1},
		{"none", nil, 407, 1},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e, _ := startEndpoint(t, Options{OutboundProxy: "sip:" + proxy.pc.LocalAddr().String(), Credentials: tc.creds})
			ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
			defer cancel()
			code, err := e.SendMessage(ctx, msg)
			if code != tc.code {
				t.Fatalf("status %d (%v), want %d", code, err, tc.code)
			}
			var reqs []*sipgosip.Request
			for range tc.sent {
				select {
				case r := <-proxy.seen:
					reqs = append(reqs, r)
				case <-ctx.Done():
					t.Fatalf("the proxy saw %d requests, want %d", len(reqs), tc.sent)
				}
			}
			select {
			case r := <-proxy.seen:
				t.Fatalf("an extra request: %s", r.StartLine())
			case <-time.After(100 * time.Millisecond):
			}
			if tc.sent == 2 {
				if reqs[1].CSeq().SeqNo != reqs[0].CSeq().SeqNo+1 || reqs[1].CallID().Value() != reqs[0].CallID().Value() {
					t.Errorf("resent request: CSeq %d after %d", reqs[1].CSeq().SeqNo, reqs[0].CSeq().SeqNo)
				}
				if h := reqs[1].GetHeader("Proxy-Authorization"); h == nil || !strings.Contains(h.Value(), `algorithm=SHA-256`) {
					t.Errorf("Proxy-Authorization %v", h)
				}
			}
		})
	}
}

// RFC 3261 §22.2 for INVITE: the challenge is ACKed by the transaction,
// the INVITE goes again with credentials and the next CSeq, and the
// dialog takes that CSeq over.
func TestDigestAuthenticationInvite(t *testing.T) {
	proxy := startChallengingProxy(t, "s3cret")
	e, _ := startEndpoint(t, Options{OutboundProxy: "sip:" + proxy.pc.LocalAddr().String(),
		Credentials: []Credential{{Realm: "pbx.test", Username: "gw", Password: "s3cret"}}})
	ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
	defer cancel()
	d := translate.SIPDialog{CallID: "auth-invite", LocalTag: "caller", LocalURI: "sip:alice@xmpp.test", RemoteURI: "sip:carol@example.test"}
	offer := []byte("v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\nm=audio 4000 RTP/AVP 0\r\n")
	nd, answer, err := e.Invite(ctx, d, offer, "", nil)
	if err != nil || string(answer) != string(offer) {
		t.Fatalf("INVITE through the authenticating proxy: %v", err)
	}
	var invites []*sipgosip.Request
	for len(invites) < 2 {
		select {
		case r := <-proxy.seen:
			if r.IsInvite() {
				invites = append(invites, r)
			}
		case <-ctx.Done():
			t.Fatalf("the proxy saw %d INVITEs, want 2", len(invites))
		}
	}
	if invites[1].CSeq().SeqNo != invites[0].CSeq().SeqNo+1 || nd.LocalCSeq != invites[1].CSeq().SeqNo {
		t.Fatalf("CSeq: first %d, second %d, dialog %d", invites[0].CSeq().SeqNo, invites[1].CSeq().SeqNo, nd.LocalCSeq)
	}
	if nd.RemoteTag != "callee" {
		t.Fatalf("dialog %+v", nd)
	}
}
