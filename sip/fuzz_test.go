package sip

import (
	"context"
	"errors"
	"net/netip"
	"os"
	"path/filepath"
	"strings"
	"testing"

	sipgosip "github.com/emiago/sipgo/sip"
)

// FuzzCheckRequest feeds wire requests through sipgo's parser and the whole
// validation pipeline: whatever the headers, the outcome is either "pass"
// or one well-formed final response.
func FuzzCheckRequest(f *testing.F) {
	files, err := filepath.Glob(filepath.Join("testdata", "requests", "*.sip"))
	if err != nil || len(files) == 0 {
		f.Fatalf("seeds: %v", err)
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add([]byte(renderRequest(string(raw), map[string]string{
			"$ADDR": "192.0.2.1:5060", "$TRANSPORT": "UDP", "$TARGET": "192.0.2.2:5060",
		})))
	}
	e, err := New(Options{
		Domains:        []string{"example.test"},
		TrustedPeers:   []netip.Prefix{netip.MustParsePrefix("192.0.2.0/24")},
		MaxMessageSize: 2048,
	})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = e.Close() })
	e.Handle("MESSAGE", okHandler, "text/plain")
	allowed := map[int]bool{400: true, 403: true, 404: true, 405: true, 416: true, 420: true, 483: true, 505: true, 513: true}

	f.Fuzz(func(t *testing.T, data []byte) {
		msg, err := sipgosip.ParseMessage(data)
		if err != nil {
			return
		}
		req, ok := msg.(*sipgosip.Request)
		if !ok {
			return
		}
		req.SetSource("192.0.2.1:5060")
		rej := e.check(req, e.routes.Load())
		if rej == nil {
			// Whatever passes is syntactically complete.
			if req.Via() == nil || req.From() == nil || req.To() == nil || req.CallID() == nil || req.CSeq() == nil || req.MaxForwards() == nil {
				t.Fatalf("incomplete request passed:\n%s", data)
			}
			return
		}
		if !allowed[rej.code] || rej.reason == "" || strings.ContainsAny(rej.reason, "\r\n") {
			t.Fatalf("bad rejection %d %q for:\n%s", rej.code, rej.reason, data)
		}
		if rej.code == 400 && rej.metric == "" {
			t.Fatalf("400 without a metric reason")
		}
		// The response can be built from whatever the request has.
		res := sipgosip.NewResponseFromRequest(req, rej.code, rej.reason, nil)
		if res.StatusCode != rej.code {
			t.Fatal("response status changed")
		}
	})
}

// FuzzLocateURI checks the URI handling of Locate: any URI either fails with
// a sentinel or yields well-formed targets (numeric hosts need no DNS).
func FuzzLocateURI(f *testing.F) {
	for _, s := range []string{
		"sip:alice@192.0.2.1", "sips:alice@192.0.2.1", "sip:[2001:db8::1]:5070;transport=TCP",
		"sip:192.0.2.1;transport=ws", "sips:192.0.2.1;transport=tcp", "sip:alice@x.test;maddr=192.0.2.7",
		"sip:alice@host.test:5080", "sips:alice@aonly.test;transport=udp", "sip:alice@aonly.test;transport=sctp",
		"tel:+15551234567", "sip:alice@192.0.2.1:99999", "sip:[fe80::1%25eth0]", "sip:a@b.test;maddr=",
	} {
		f.Add(s)
	}
	e, err := New(Options{})
	if err != nil {
		f.Fatal(err)
	}
	f.Cleanup(func() { _ = e.Close() })

	f.Fuzz(func(t *testing.T, s string) {
		var u sipgosip.Uri
		if sipgosip.ParseUri(s, &u) != nil {
			return
		}
		targets, err := e.Locate(context.Background(), u)
		if err != nil {
			if !errors.Is(err, ErrUnsupportedURI) && !errors.Is(err, ErrNoResolver) {
				t.Fatalf("%q: unexpected error %v", s, err)
			}
			return
		}
		if len(targets) != 1 {
			t.Fatalf("%q: %d targets without DNS", s, len(targets))
		}
		tg := targets[0]
		if !tg.Addr.IsValid() || tg.Addr.Port() == 0 {
			t.Fatalf("%q: bad address %v", s, tg.Addr)
		}
		switch tg.Transport {
		case TransportUDP, TransportTCP, TransportWS:
			if strings.EqualFold(u.Scheme, "sips") {
				t.Fatalf("%q: sips over %s", s, tg.Transport)
			}
		case TransportTLS:
		default:
			t.Fatalf("%q: transport %q", s, tg.Transport)
		}
	})
}
