package translate

import (
	"errors"
	"testing"

	"mellium.im/xmpp/jid"
)

const fuzzComponent = "sip.example.org"

// checkAddrErr fails unless err is an *Error wrapping one of the addrSentinels.
func checkAddrErr(t *testing.T, err error) {
	t.Helper()
	var e *Error
	if !errors.As(err, &e) || e.SIPStatus == 0 || e.Condition == "" {
		t.Fatalf("error %v is no *Error", err)
	}
	for _, s := range []error{ErrBadAddress, ErrUnmappable, ErrScheme, ErrSIPS, ErrLoop} {
		if errors.Is(err, s) {
			return
		}
	}
	t.Fatalf("error %v wraps no sentinel", err)
}

func FuzzSIPToJID(f *testing.F) {
	for _, s := range []string{
		"sip:alice@example.com", "sip:f%C3%BC@sip.example", "sip:foo@sip.example;gr=bar",
		"sip:o'malley@sip.example", "sip:a%5C27b@sip.example;gr=x%20y", "sips:a@b.c",
		"sip:alice@[2001:db8::1]:5060;transport=tcp?h=v", "im:a@b.example",
		"sip:alice@xn--caf-dma.example", "sip:a%EF%BC%BC27x@sip.example", "tel:+1",
		"sip:a%20b@x.example;gr", "sip:%40@x.example",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, uri string) {
		for _, opts := range []AddressOptions{{}, {ComponentDomain: fuzzComponent}} {
			j, err := SIPToJID(uri, opts)
			if err != nil {
				checkAddrErr(t, err)
				continue
			}
			// Whatever maps to a JID maps back, and to the same JID.
			back, err := JIDToSIP(j, opts)
			if err != nil {
				t.Fatalf("SIPToJID(%q, %+v) = %s, but JIDToSIP: %v", uri, opts, j, err)
			}
			j2, err := SIPToJID(back, opts)
			if err != nil || !j2.Equal(j) {
				t.Fatalf("SIPToJID(%q) = %s -> %s -> %s, %v", uri, j, back, j2, err)
			}
		}
	})
}

func FuzzJIDToSIP(f *testing.F) {
	for _, s := range [][3]string{
		{`m\26m`, "xmpp.example", ""}, {"tschüss", "xmpp.example", "qux"},
		{`alice\40example.com`, fuzzComponent, "desk"}, {`c\3a\5c5commas`, "example.com", "café phone"},
		{`\20x`, "example.com", ""}, {"a", "café.example", "a;b=c"}, {"", "example.com", ""},
	} {
		f.Add(s[0], s[1], s[2])
	}
	f.Fuzz(func(t *testing.T, local, domain, res string) {
		for _, tc := range []struct {
			domain string
			opts   AddressOptions
		}{
			{domain, AddressOptions{}},
			{fuzzComponent, AddressOptions{ComponentDomain: fuzzComponent}},
		} {
			j, err := jid.New(local, tc.domain, res)
			if err != nil {
				continue
			}
			uri, err := JIDToSIP(j, tc.opts)
			if err != nil {
				checkAddrErr(t, err)
				continue
			}
			// Whatever maps to SIP maps back to the same JID.
			j2, err := SIPToJID(uri, tc.opts)
			if err != nil || !j2.Equal(j) {
				t.Fatalf("JIDToSIP(%s) = %q -> %s, %v", j, uri, j2, err)
			}
		}
	})
}
