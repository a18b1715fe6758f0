package sip

import (
	"mime"
	"net/netip"
	"os"
	"path/filepath"
	"testing"

	sipgosip "github.com/emiago/sipgo/sip"
)

// FuzzFastResponse writes responses for whatever the fast path parses:
// a response written from the request's lines must parse and agree with
// the one sipgo builds on status, Call-ID, CSeq and the Via count.
func FuzzFastResponse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "requests", "*.sip"))
	for _, name := range files {
		raw, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(renderRequest(string(raw), map[string]string{"$ADDR": "192.0.2.1:5060", "$TRANSPORT": "UDP", "$TARGET": "192.0.2.2:5060"})))
	}
	f.Add([]byte("MESSAGE sip:b@y SIP/2.0\r\nv: SIP/2.0/UDP h;rport;branch=z9hG4bKx\r\nf: <sip:a@x>\r\n ;tag=1\r\nt: sip:b@y\r\ni: c\r\nCSeq: 1 MESSAGE\r\n\r\n"))
	e, err := New(Options{Domains: []string{"example.test"}, UserAgent: "sxgw/test"})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = e.Close() })
	src := netip.MustParseAddrPort("192.0.2.7:40000")
	replies := []*txReply{e.fast.ok, {code: 503, reason: "Service Unavailable", headers: []headerLine{{"Retry-After", "5"}}}}

	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := e.parser.ParseSIP(data)
		if err != nil {
			return
		}
		req, ok := msg.(*sipgosip.Request)
		if !ok || req.Via() == nil || req.CSeq() == nil {
			return // no transaction: sipgo answers those
		}
		req.SetTransport("UDP")
		req.SetSource(src.String())
		tx := &udpTx{e: e, dst: src, req: req, raw: data}
		if id, ok := appendTxID(nil, req); !ok {
			t.Fatal("no transaction id for a request with Via and CSeq")
		} else if to := req.To(); to != nil && !hasTag(to.Params) {
			tx.tag = string(e.fast.keyer.appendTag(nil, id))
		}
		for _, r := range replies {
			copied, ok := tx.appendCopied(nil, r)
			if !ok {
				continue
			}
			got, err := sipgosip.ParseMessage(copied)
			if err != nil {
				t.Fatalf("unparsable response %v\n%s\nto\n%s", err, copied, data)
			}
			res, ok := got.(*sipgosip.Response)
			if !ok || res.StatusCode != r.code {
				t.Fatalf("not a %d response:\n%s", r.code, copied)
			}
			bm, err := sipgosip.ParseMessage(tx.appendBuilt(nil, r))
			if err != nil {
				continue // sipgo cannot build one either
			}
			built := bm.(*sipgosip.Response)
			for _, name := range []string{"Call-ID", "CSeq"} {
				if g, w := values(res, name), values(built, name); g != w {
					t.Fatalf("%s: %q, sipgo builds %q, for\n%s", name, g, w, data)
				}
			}
			if g, w := len(res.GetHeaders("Via")), len(built.GetHeaders("Via")); g != w {
				t.Fatalf("%d Vias, sipgo builds %d, for\n%s", g, w, data)
			}
			if to := res.To(); to == nil || !hasTag(to.Params) {
				t.Fatalf("To without tag in\n%s", copied)
			}
		}
	})
}

// FuzzSimpleMediaType checks the allocation-free Content-Type parser
// against mime.ParseMediaType: what it accepts, mime accepts alike.
func FuzzSimpleMediaType(f *testing.F) {
	for _, s := range []string{"text/plain", "Text/HTML; charset=UTF-8", "message/cpim", "a/b;c", "a/b; c=\"d\"", "x/y;a*=b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		got, ok := simpleMediaType(s)
		if !ok {
			return
		}
		want, _, err := mime.ParseMediaType(s)
		if err != nil || got != want {
			t.Fatalf("simpleMediaType(%q) = %q; mime: %q, %v", s, got, want, err)
		}
	})
}

// FuzzURIString checks uriString against sipgo's Uri.String.
func FuzzURIString(f *testing.F) {
	for _, s := range []string{"sip:alice@example.test", "sips:b:pw@[2001:db8::1]:5061;lr;x=\"a b\"", "tel:+1555", "sip:h?x=y"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		var u sipgosip.Uri
		if err := sipgosip.ParseUri(s, &u); err != nil {
			return
		}
		c := u
		c.Headers = nil
		if got, want := uriString(u), c.String(); got != want {
			t.Fatalf("uriString(%q) = %q, sipgo writes %q", s, got, want)
		}
	})
}
