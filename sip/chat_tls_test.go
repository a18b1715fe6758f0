package sip

import (
	"context"
	"errors"
	"net"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/sxgw/sxgw/sip/msrp"
	"github.com/sxgw/sxgw/translate"
)

// TLS policies of the chat tests, as msrp.tls sets them.
const (
	tlsOff     = "off"
	tlsPrefer  = "prefer"
	tlsRequire = "require"
)

// startMSRP starts an MSRP endpoint on 127.0.0.1 with a TLS listener
// and a certificate of its own unless policy is off, RequireTLS with
// require.
func startMSRP(t *testing.T, policy string) *msrp.Endpoint {
	t.Helper()
	o := msrp.EndpointOptions{Listen: "127.0.0.1:0", ConnectTimeout: 2 * time.Second,
		Registerer: prometheus.NewRegistry(), Logger: testLogger(t)}
	if policy != tlsOff {
		cert := newTestCA(t).leaf(t, "msrp.test")
		o.TLSListen, o.TLSCertificate, o.RequireTLS = "127.0.0.1:0", &cert, policy == tlsRequire
	}
	m, err := msrp.NewEndpoint(o)
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithTimeout(context.Background(), roomWait)
	defer cancel()
	if err := m.Start(ctx); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), roomWait)
		defer cancel()
		if err := m.Close(ctx); err != nil {
			t.Errorf("MSRP Close: %v", err)
		}
	})
	return m
}

// tlsChatSDP is alice's MSRP offer or answer over TLS: her msrps path,
// a=setup and her fingerprints.
func tlsChatSDP(path msrp.Path, setup string, fps []msrp.Fingerprint) string {
	s := "v=0\r\no=alice 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n" +
		"m=message " + strconv.Itoa(path[0].Port) + " TCP/TLS/MSRP *\r\na=accept-types:message/cpim text/plain\r\na=path:" +
		path.String() + "\r\na=setup:" + setup + "\r\n"
	for _, f := range fps {
		s += "a=fingerprint:" + f.String() + "\r\n"
	}
	return s
}

// sameFingerprints compares fingerprint lists by their SDP form.
func sameFingerprints(a, b []msrp.Fingerprint) bool {
	if len(a) != len(b) || len(a) == 0 {
		return false
	}
	for i := range a {
		if a[i].String() != b[i].String() {
			return false
		}
	}
	return true
}

// chatRecorder is alice's MSRP handler.
type chatRecorder struct{ msgs chan *msrp.Message }

func (r chatRecorder) MSRPMessage(_ *msrp.Session, m *msrp.Message) { r.msgs <- m }
func (chatRecorder) MSRPReport(*msrp.Session, *msrp.Message)        {}
func (chatRecorder) MSRPClosed(*msrp.Session, error)                {}

// TestChatTLSInbound: an INVITE offering TCP/TLS/MSRP gets a TLS answer
// (msrps path on the TLS listener, our fingerprint, RFC 8122 §5) and the
// session runs over TLS, authenticated by fingerprint both ways; a plain
// offer stays plain. alice connects (a=setup:active).
func TestChatTLSInbound(t *testing.T) {
	core := newChatCore()
	e, _ := startEndpoint(t, Options{Domains: []string{"sip.test"}})
	gw := startMSRP(t, tlsPrefer)
	e.ServeChats(core, gw, "127.0.0.1")
	alice := startMSRP(t, tlsPrefer)
	p := newSIPPeer(t, e, "alice")

	for _, secure := range []bool{true, false} {
		msgs := chatRecorder{msgs: make(chan *msrp.Message, 4)}
		var s *msrp.Session
		var offer string
		callID := "tls-in-" + map[bool]string{true: "tls", false: "tcp"}[secure] + "@peer.test"
		if secure {
			var err error
			if s, err = alice.NewTLSSession(msgs, nil); err != nil {
				t.Fatal(err)
			}
			offer = tlsChatSDP(s.LocalPath(), msrp.SetupActive, alice.Fingerprints())
		} else {
			s = alice.NewSession(msgs, nil)
			offer = chatSDP(s.LocalPath().String(), msrp.SetupActive)
		}
		p.send(p.wire("INVITE", chatTo, chatFrom, chatToHdr, callID, 1, []string{"Content-Type: application/sdp"}, offer))
		res := p.response("INVITE")
		if res.StatusCode != 200 {
			t.Fatalf("INVITE (tls %v): %d %s", secure, res.StatusCode, res.Reason)
		}
		p.send(p.wire("ACK", res.Contact().Address.String(), chatFrom, res.To().Value(), callID, 1, nil, ""))
		ans, _, err := msrp.ParseMedia(res.Body())
		if err != nil {
			t.Fatal(err)
		}
		u := ans.Path[0]
		if ans.TLS != secure || u.Secure != secure || ans.Setup != msrp.SetupPassive || ans.Port != u.Port {
			t.Fatalf("answer (tls %v): %+v\n%s", secure, ans, res.Body())
		}
		if secure {
			if u.Port != portOf(gw.TLSAddr()) || !sameFingerprints(ans.Fingerprints, gw.Fingerprints()) {
				t.Fatalf("TLS answer: port %d (TLS listener %v), fingerprints %v, want %v", u.Port, gw.TLSAddr(), ans.Fingerprints, gw.Fingerprints())
			}
		} else if u.Port != portOf(gw.Addr()) || len(ans.Fingerprints) != 0 || strings.Contains(string(res.Body()), "fingerprint") {
			t.Fatalf("plain answer:\n%s", res.Body())
		}
		if err := s.Connect(doCtx(t), ans.Path, true, ans.Fingerprints...); err != nil {
			t.Fatalf("alice Connect (tls %v): %v", secure, err)
		}
		id := core.await(t, "chatstart")
		if _, err := s.SendMessage(doCtx(t), "text/plain", []byte("over tls?"), msrp.SendOptions{}); err != nil {
			t.Fatal(err)
		}
		if got := core.await(t, "chatmsg"); got != id {
			t.Fatalf("message for chat %q, want %q", got, id)
		}
		if err := e.ChatSend(doCtx(t), id, translate.SIPMessage{ContentType: "text/plain", Body: []byte("yes")}); err != nil {
			t.Fatal(err)
		}
		select {
		case m := <-msgs.msgs:
			if string(m.Body) != "yes" {
				t.Fatalf("alice got %q", m.Body)
			}
		case <-time.After(roomWait):
			t.Fatal("alice got nothing")
		}
		if secure {
			// A re-INVITE keeps the session and its transport: a plain
			// offer is refused, the TLS one answered again.
			target := res.Contact().Address.String()
			for i, tc := range []struct {
				offer string
				code  int
			}{
				{chatSDP("msrp://127.0.0.1:9/plain;tcp", msrp.SetupActive), 488},
				{offer, 200},
			} {
				cseq := 2 + i
				p.send(p.wire("INVITE", target, chatFrom, res.To().Value(), callID, cseq, []string{"Content-Type: application/sdp"}, tc.offer))
				re := p.response("INVITE")
				if re.StatusCode != tc.code {
					t.Fatalf("re-INVITE %d: %d, want %d", cseq, re.StatusCode, tc.code)
				}
				if re.StatusCode == 200 {
					p.send(p.wire("ACK", target, chatFrom, res.To().Value(), callID, cseq, nil, ""))
					again, _, err := msrp.ParseMedia(re.Body())
					if err != nil || !again.TLS || again.Path.String() != ans.Path.String() || !sameFingerprints(again.Fingerprints, gw.Fingerprints()) {
						t.Fatalf("re-INVITE answer (%v):\n%s", err, re.Body())
					}
				}
			}
		}
		s.Close()
		p.answer(p.request("BYE"), 200, "")
		core.await(t, "chatend")
	}
}

func portOf(a net.Addr) int {
	if ta, ok := a.(*net.TCPAddr); ok {
		return ta.Port
	}
	return -1
}

// TestChatTLSPolicy: which offers are answered under msrp.tls: a TLS
// offer needs a TLS listener, a plain one is refused under require;
// both refusals are 488 and counted as bad_sdp setup failures.
func TestChatTLSPolicy(t *testing.T) {
	alice := startMSRP(t, tlsPrefer)
	tlsOffer := tlsChatSDP(msrp.Path{{Secure: true, Host: "127.0.0.1", Port: 9, SessionID: "alicetls", Transport: "tcp"}},
		msrp.SetupActive, alice.Fingerprints())
	for _, tc := range []struct {
		policy, name, offer string
		code                int
	}{
		{tlsOff, "tls offer without tls", tlsOffer, 488},
		{tlsRequire, "plain offer with tls required", chatSDP(chatMSRP, msrp.SetupActive), 488},
		{tlsRequire, "tls offer with tls required", tlsOffer, 200},
		{tlsOff, "plain offer without tls", chatSDP(chatMSRP, msrp.SetupActive), 200},
	} {
		t.Run(tc.name, func(t *testing.T) {
			core := newChatCore()
			e, reg := startEndpoint(t, Options{Domains: []string{"sip.test"}})
			e.ServeChats(core, startMSRP(t, tc.policy), "127.0.0.1")
			p := newSIPPeer(t, e, "alice")
			p.send(p.wire("INVITE", chatTo, chatFrom, chatToHdr, "policy@peer.test", 1, []string{"Content-Type: application/sdp"}, tc.offer))
			res := p.response("INVITE")
			if res.StatusCode != tc.code {
				t.Fatalf("INVITE: %d %s, want %d", res.StatusCode, res.Reason, tc.code)
			}
			want := 0.0
			if tc.code == 488 {
				want = 1
				core.none(t, "chatstart")
			} else {
				p.send(p.wire("ACK", res.Contact().Address.String(), chatFrom, res.To().Value(), "policy@peer.test", 1, nil, ""))
				core.await(t, "chatstart")
			}
			if got := setupFailures(t, reg, setupBadSDP); got != want {
				t.Errorf("bad_sdp setup failures = %v, want %v", got, want)
			}
		})
	}
}

// TestChatTLSFingerprintMismatch: alice connects with a certificate that
// is not the one of her SDP's fingerprint: the connection is refused
// and the chat fails to set up (BYE, the core told).
func TestChatTLSFingerprintMismatch(t *testing.T) {
	core := newChatCore()
	e, reg := startEndpoint(t, Options{Domains: []string{"sip.test"}})
	gw := startMSRP(t, tlsPrefer)
	e.ServeChats(core, gw, "127.0.0.1")
	alice, mallory := startMSRP(t, tlsPrefer), startMSRP(t, tlsPrefer)
	p := newSIPPeer(t, e, "alice")

	s, err := mallory.NewTLSSession(nil, nil)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	before := setupFailures(t, reg, setupFingerprint)
	offer := tlsChatSDP(s.LocalPath(), msrp.SetupActive, alice.Fingerprints())
	p.send(p.wire("INVITE", chatTo, chatFrom, chatToHdr, "mismatch@peer.test", 1, []string{"Content-Type: application/sdp"}, offer))
	res := p.response("INVITE")
	if res.StatusCode != 200 {
		t.Fatalf("INVITE: %d", res.StatusCode)
	}
	p.send(p.wire("ACK", res.Contact().Address.String(), chatFrom, res.To().Value(), "mismatch@peer.test", 1, nil, ""))
	ans, _, err := msrp.ParseMedia(res.Body())
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Connect(doCtx(t), ans.Path, true, ans.Fingerprints...); err == nil {
		t.Fatal("Connect with the wrong certificate succeeded")
	}
	p.answer(p.request("BYE"), 200, "")
	core.await(t, "chatend")
	core.none(t, "chatmsg")
	deadline := time.Now().Add(roomWait)
	for setupFailures(t, reg, setupFingerprint) != before+1 && time.Now().Before(deadline) {
		time.Sleep(10 * time.Millisecond)
	}
	if got := setupFailures(t, reg, setupFingerprint); got != before+1 {
		t.Errorf("fingerprint setup failures = %v, want %v", got, before+1)
	}
}

// TestChatTLSOutbound: ChatStart offers TCP/TLS/MSRP with our
// fingerprint under prefer and require; under prefer a 488 makes it
// offer plain TCP/MSRP in a new INVITE, under require it fails.
func TestChatTLSOutbound(t *testing.T) {
	for _, policy := range []string{tlsPrefer, tlsRequire} {
		t.Run(policy, func(t *testing.T) {
			core := newChatCore()
			e, _ := startEndpoint(t, Options{Domains: []string{"sip.test"}})
			gw := startMSRP(t, policy)
			e.ServeChats(core, gw, "127.0.0.1")
			alice := startMSRP(t, tlsPrefer)
			p := newSIPPeer(t, e, "alice")

			// alice answers TLS: passive, her fingerprint; she waits for
			// us to connect.
			done := make(chan error, 1)
			go func() {
				_, err := e.ChatStart(doCtx(t), translate.SIPChat{From: "sip:carol@sip.test", To: p.contact()})
				done <- err
			}()
			inv := p.request("INVITE")
			offer, _, err := msrp.ParseMedia(inv.req.Body())
			if err != nil {
				t.Fatal(err)
			}
			if !offer.TLS || !offer.Path[0].Secure || offer.Setup != msrp.SetupActPass || !sameFingerprints(offer.Fingerprints, gw.Fingerprints()) {
				t.Fatalf("offer:\n%s", inv.req.Body())
			}
			s, err := alice.NewTLSSession(nil, nil)
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			connected := make(chan error, 1)
			go func() { connected <- s.Connect(doCtx(t), offer.Path, false, offer.Fingerprints...) }()
			p.answer(inv, 200, tlsChatSDP(s.LocalPath(), msrp.SetupPassive, alice.Fingerprints()))
			p.request("ACK")
			if err := waitErr(t, done); err != nil {
				t.Fatalf("ChatStart: %v", err)
			}
			if err := waitErr(t, connected); err != nil {
				t.Fatalf("alice Connect: %v", err)
			}

			// alice takes no TLS: 488.
			go func() {
				_, err := e.ChatStart(doCtx(t), translate.SIPChat{From: "sip:carol@sip.test", To: p.contact()})
				done <- err
			}()
			p.answer(p.request("INVITE"), 488, "")
			if policy == tlsRequire {
				var se *StatusError
				if err := waitErr(t, done); !errors.As(err, &se) || se.Code != 488 {
					t.Fatalf("ChatStart: %v, want 488", err)
				}
				p.noRequest("INVITE")
				return
			}
			inv = p.request("INVITE")
			plain, _, err := msrp.ParseMedia(inv.req.Body())
			if err != nil || plain.TLS || plain.Path[0].Secure || len(plain.Fingerprints) != 0 || plain.Port != portOf(gw.Addr()) {
				t.Fatalf("second offer (%v):\n%s", err, inv.req.Body())
			}
			s2 := alice.NewSession(nil, nil)
			defer s2.Close()
			go func() { connected <- s2.Connect(doCtx(t), plain.Path, false) }()
			p.answer(inv, 200, chatSDP(s2.LocalPath().String(), msrp.SetupPassive))
			p.request("ACK")
			if err := waitErr(t, done); err != nil {
				t.Fatalf("ChatStart (plain): %v", err)
			}
			if err := waitErr(t, connected); err != nil {
				t.Fatalf("alice Connect (plain): %v", err)
			}
		})
	}
}

func waitErr(t *testing.T, c <-chan error) error {
	t.Helper()
	select {
	case err := <-c:
		return err
	case <-time.After(roomWait):
		t.Fatal("no result")
	}
	return nil
}
