package gateway

import (
	"context"
	"strconv"
	"strings"
	"sync"
	"testing"

	"github.com/prometheus/client_golang/prometheus"
	"mellium.im/xmpp/jid"

	"github.com/sxgw/sxgw/jingle"
	"github.com/sxgw/sxgw/translate"
)

// answeringXMPP is an XMPP side whose device proceeds at once and accepts
// every session-initiate with its own contents: what remains of a call's
// set-up is the gateway's work (translation both ways, the state machine,
// the XEP-0353 and Jingle round trips through the core).
type answeringXMPP struct {
	g     *Gateway
	phone jid.JID
	wg    sync.WaitGroup
}

func (a *answeringXMPP) SendMessage(_ context.Context, m translate.XMPPMessage) error {
	if len(m.JingleMessage) == 0 {
		return nil
	}
	jm, err := jingle.DecodeMessage(m.JingleMessage)
	if err != nil || jm.Action != jingle.MessagePropose {
		return nil
	}
	body, _ := (&jingle.Message{Action: jingle.MessageProceed, ID: jm.ID}).Encode()
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		_ = a.g.XMPPMessage(context.Background(), translate.XMPPMessage{From: a.phone, To: m.From, Type: "chat", JingleMessage: body})
	}()
	return nil
}

func (a *answeringXMPP) SendPresence(context.Context, translate.XMPPPresence) error { return nil }

func (a *answeringXMPP) SendJingle(_ context.Context, iq translate.JingleIQ) error {
	j, err := jingle.Decode(iq.Payload)
	if err != nil || j.Action != jingle.ActionSessionInitiate {
		return err
	}
	acc := &jingle.Jingle{Action: jingle.ActionSessionAccept, SID: j.SID, Responder: a.phone.String(), Contents: j.Contents, Groups: j.Groups}
	body, err := acc.Encode()
	if err != nil {
		return err
	}
	a.wg.Add(1)
	go func() {
		defer a.wg.Done()
		_ = a.g.XMPPJingle(context.Background(), translate.JingleIQ{From: a.phone, To: iq.From, ID: "acc", Payload: body})
	}()
	return nil
}

// BenchmarkCallSetup measures the set-up latency sxgw adds to a call from
// SIP (INVITE with the WebRTC audio+video offer in, 200's SDP out) with an
// XMPP device that answers at once: propose, proceed, session-initiate,
// session-accept and the SDP answer.
func BenchmarkCallSetup(b *testing.B) {
	for _, v := range []string{"01-sip-phone-audio-offer.sdp", "03-chrome-webrtc-offer.sdp"} {
		b.Run(strings.SplitN(v, "-", 2)[0], func(b *testing.B) {
			offer := vector(b, v)
			g, err := New(Options{Domains: []string{"sip.test"}, Registerer: prometheus.NewRegistry()})
			if err != nil {
				b.Fatal(err)
			}
			x := &answeringXMPP{g: g, phone: jid.MustParse("alice@xmpp.test/phone")}
			g.Attach(x, newFakeSIP())
			defer g.Close()
			b.ReportAllocs()
			b.ResetTimer()
			for i := range b.N {
				inv := translate.SIPInvite{New: true, RequestURI: "sip:alice@xmpp.test", SDP: offer,
					Dialog: translate.SIPDialog{CallID: "bench-" + strconv.Itoa(i), LocalTag: "uas", RemoteURI: "sip:carol@sip.test"}}
				answer, err := g.SIPInvite(context.Background(), inv, func(int) {})
				if err != nil || len(answer) == 0 {
					b.Fatalf("call %d: %v", i, err)
				}
				if err := g.SIPBye(context.Background(), inv.Dialog); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			x.wg.Wait()
		})
	}
}
