package jingle

import (
	"errors"
	"os"
	"path/filepath"
	"testing"
)

func addSeeds(f *testing.F, pattern string) {
	files, err := filepath.Glob(filepath.Join("testdata", pattern))
	if err != nil || len(files) == 0 {
		f.Fatalf("seeds %s: %v", pattern, err)
	}
	for _, file := range files {
		b, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
}

// typedSDPError reports whether err is one of the documented outcomes of
// SDPToJingle.
func typedSDPError(err error) bool {
	return errors.Is(err, ErrMalformedSDP) || errors.Is(err, ErrNothingMappable) || errors.Is(err, ErrOfferMismatch)
}

// FuzzSDPToJingle: any input gives contents that validate as Jingle and
// can be written back as SDP, or a typed error; never a panic.
func FuzzSDPToJingle(f *testing.F) {
	addSeeds(f, "*.sdp")
	offer, err := NewMapping(RoleInitiator, 1).SDPToJingle(Offer, readVector(f, "03-chrome-webrtc-offer.sdp"))
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		for _, kind := range []Kind{Offer, Answer} {
			m := NewMapping(RoleInitiator, 1)
			res, err := m.SDPToJingle(kind, data)
			if err != nil {
				if !typedSDPError(err) {
					t.Fatalf("untyped error %v", err)
				}
				continue
			}
			if len(res.Contents) == 0 {
				continue
			}
			j := res.Jingle(ActionSessionInitiate, "s")
			if err := j.Validate(); err != nil {
				t.Fatalf("invalid Jingle from SDP: %v", err)
			}
			out, err := j.Encode()
			if err != nil {
				t.Fatal(err)
			}
			if _, err := Decode(out); err != nil {
				t.Fatalf("own Jingle does not decode: %v\n%s", err, out)
			}
			back, err := m.JingleToSDP(Answer, res.Contents, res.Groups)
			if err != nil {
				if !errors.Is(err, ErrNothingMappable) && !errors.Is(err, ErrBadRequest) {
					t.Fatalf("answer: untyped error %v", err)
				}
				continue
			}
			if _, err := NewMapping(RoleResponder, 2).SDPToJingle(Offer, back.Body); errors.Is(err, ErrMalformedSDP) {
				t.Fatalf("own SDP is malformed: %v\n%s", err, back.Body)
			}
		}
		// As the answer to an offer the gateway wrote.
		m := NewMapping(RoleResponder, 3)
		if _, err := m.JingleToSDP(Offer, offer.Contents, offer.Groups); err != nil {
			t.Fatal(err)
		}
		if _, err := m.SDPToJingle(Answer, data); err != nil && !typedSDPError(err) {
			t.Fatalf("answer: untyped error %v", err)
		}
	})
}

// FuzzJingleToSDP: any <jingle/> that decodes gives SDP that parses again,
// or a typed error.
func FuzzJingleToSDP(f *testing.F) {
	addSeeds(f, "*.xml")
	// The Jingle forms of the SDP vectors.
	files, _ := filepath.Glob("testdata/*.sdp")
	for _, file := range files {
		res, err := NewMapping(RoleInitiator, 1).SDPToJingle(Offer, readVector(f, filepath.Base(file)))
		if err != nil {
			continue
		}
		out, err := res.Jingle(ActionSessionInitiate, "s").Encode()
		if err != nil {
			f.Fatal(err)
		}
		f.Add(out)
	}
	f.Add([]byte(`<jingle xmlns="urn:xmpp:jingle:1" action="session-accept" sid="s"><content creator="initiator" name="a"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"><payload-type id="0"/></description><transport xmlns="urn:xmpp:jingle:transports:ice-udp:1" ufrag="u" pwd="p"><candidate component="1" foundation="1" generation="0" id="c1" ip="192.0.2.1" port="1" priority="1" protocol="udp" type="host"/></transport></content></jingle>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := Decode(data)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		for _, kind := range []Kind{Offer, Answer} {
			out, err := NewMapping(RoleResponder, 1).JingleToSDP(kind, j.Contents, j.Groups)
			if err != nil {
				if !errors.Is(err, ErrNothingMappable) && !errors.Is(err, ErrBadRequest) && !errors.Is(err, ErrOfferMismatch) {
					t.Fatalf("untyped error %v", err)
				}
				continue
			}
			if _, err := NewMapping(RoleInitiator, 2).SDPToJingle(kind, out.Body); errors.Is(err, ErrMalformedSDP) {
				t.Fatalf("own SDP is malformed: %v\n%s", err, out.Body)
			}
		}
	})
}

// FuzzDecode: the XML decoder never panics, errors are bad-request, and
// what it accepts re-encodes to XML it accepts again, stably.
func FuzzDecode(f *testing.F) {
	addSeeds(f, "*.xml")
	f.Fuzz(func(t *testing.T, data []byte) {
		j, err := Decode(data)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		out, err := j.Encode()
		if err != nil {
			t.Fatalf("encode: %v", err)
		}
		j2, err := Decode(out)
		if err != nil {
			t.Fatalf("own output rejected: %v\n%s", err, out)
		}
		out2, err := j2.Encode()
		if err != nil || string(out2) != string(out) {
			t.Fatalf("unstable: %v\n%s\n%s", err, out, out2)
		}
	})
}

// FuzzDecodeMessage: the XEP-0353 decoder never panics and errors are
// bad-request.
func FuzzDecodeMessage(f *testing.F) {
	f.Add([]byte(`<propose xmlns="urn:xmpp:jingle-message:0" id="a"><description xmlns="urn:xmpp:jingle:apps:rtp:1" media="audio"/></propose>`))
	f.Add([]byte(`<reject xmlns="urn:xmpp:jingle-message:0" id="a"><reason xmlns="urn:xmpp:jingle:1"><busy/></reason><tie-break/></reject>`))
	f.Fuzz(func(t *testing.T, data []byte) {
		m, err := DecodeMessage(data)
		if err != nil {
			if !errors.Is(err, ErrBadRequest) {
				t.Fatalf("untyped error %v", err)
			}
			return
		}
		out, err := m.Encode()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := DecodeMessage(out); err != nil {
			t.Fatalf("own output rejected: %v\n%s", err, out)
		}
	})
}
