package translate

import (
	"errors"
	"strconv"
	"strings"
	"testing"

	"mellium.im/xmpp/jid"
)

// addrSentinels names the errors the tsvRow tables expect.
var addrSentinels = map[string]error{
	"!bad":        ErrBadAddress,
	"!unmappable": ErrUnmappable,
	"!scheme":     ErrScheme,
	"!sips":       ErrSIPS,
	"!loop":       ErrLoop,
}

// tsvOptions parses an "@options" line.
func tsvOptions(t *testing.T, name string, g tsvRow) AddressOptions {
	t.Helper()
	var o AddressOptions
	for _, kv := range g.fields[1:] {
		k, v, _ := strings.Cut(kv, "=")
		switch k {
		case "component":
			o.ComponentDomain = v
		case "local":
			o.LocalDomains = strings.Split(v, ",")
		default:
			t.Fatalf("%s:%d: unknown option %q", name, g.line, kv)
		}
	}
	return o
}

// checkAddrError checks that err is an *Error wrapping the sentinel named want,
// with a SIP status and a stanza error condition.
func checkAddrError(t *testing.T, where string, err error, want string) {
	t.Helper()
	sentinel, ok := addrSentinels[want]
	if !ok {
		t.Fatalf("%s: unknown error %q", where, want)
	}
	if !errors.Is(err, sentinel) {
		t.Errorf("%s: error %v, want %v", where, err, sentinel)
		return
	}
	var e *Error
	if !errors.As(err, &e) || e.SIPStatus < 400 || e.Condition == "" || e.Type == "" {
		t.Errorf("%s: error %#v is no *Error with status and condition", where, err)
	}
	if !strings.HasPrefix(err.Error(), "translate: ") {
		t.Errorf("%s: error text %q lacks the package prefix", where, err)
	}
}

func TestSIPToJIDGolden(t *testing.T) {
	const name = "sip_to_jid.txt"
	var opts AddressOptions
	for _, g := range readTSV(t, name) {
		if g.fields[0] == "@options" {
			opts = tsvOptions(t, name, g)
			continue
		}
		if len(g.fields) != 2 {
			t.Fatalf("%s:%d: want 2 fields, got %d", name, g.line, len(g.fields))
		}
		in, want := g.fields[0], g.fields[1]
		where := name + ":" + strconv.Itoa(g.line) + ": SIPToJID(" + in + ")"
		j, err := SIPToJID(in, opts)
		if strings.HasPrefix(want, "!") {
			if err == nil {
				t.Errorf("%s = %s, want %s", where, j, want)
				continue
			}
			checkAddrError(t, where, err, want)
			continue
		}
		if err != nil {
			t.Errorf("%s: %v, want %s", where, err, want)
			continue
		}
		if j.String() != want {
			t.Errorf("%s = %s, want %s", where, j, want)
			continue
		}
		// Round trip: the JID maps back to a SIP URI that maps to it.
		rt := AddressOptions{ComponentDomain: opts.ComponentDomain}
		back, err := JIDToSIP(j, rt)
		if err != nil {
			t.Errorf("%s: JIDToSIP(%s): %v", where, j, err)
			continue
		}
		if j2, err := SIPToJID(back, rt); err != nil || !j2.Equal(j) {
			t.Errorf("%s: round trip via %s gives %s, %v", where, back, j2, err)
		}
	}
}

func TestJIDToSIPGolden(t *testing.T) {
	const name = "jid_to_sip.txt"
	var opts AddressOptions
	for _, g := range readTSV(t, name) {
		if g.fields[0] == "@options" {
			opts = tsvOptions(t, name, g)
			continue
		}
		if len(g.fields) != 2 {
			t.Fatalf("%s:%d: want 2 fields, got %d", name, g.line, len(g.fields))
		}
		in, want := g.fields[0], g.fields[1]
		where := name + ":" + strconv.Itoa(g.line) + ": JIDToSIP(" + in + ")"
		j, err := jid.Parse(in)
		if err != nil {
			t.Fatalf("%s: bad test JID: %v", where, err)
		}
		if j.String() != in {
			t.Fatalf("%s: test JID is not canonical: %s", where, j)
		}
		uri, err := JIDToSIP(j, opts)
		if strings.HasPrefix(want, "!") {
			if err == nil {
				t.Errorf("%s = %s, want %s", where, uri, want)
				continue
			}
			checkAddrError(t, where, err, want)
			continue
		}
		if err != nil {
			t.Errorf("%s: %v, want %s", where, err, want)
			continue
		}
		if uri != want {
			t.Errorf("%s = %s, want %s", where, uri, want)
			continue
		}
		rt := AddressOptions{ComponentDomain: opts.ComponentDomain}
		if j2, err := SIPToJID(uri, rt); err != nil || !j2.Equal(j) {
			t.Errorf("%s: round trip via %s gives %s, %v", where, uri, j2, err)
		}
	}
}

func TestAddressErrorStatus(t *testing.T) {
	// The status and condition each address error answers with.
	for _, tc := range []struct {
		uri    string
		status int
		cond   string
	}{
		{"sip:a%zz@example.com", 400, CondJIDMalformed},
		{"sips:alice@example.com", 416, CondNotAcceptable},
		{"tel:+1555", 416, CondNotAcceptable},
		{"sip:example.com", 404, CondItemNotFound},
	} {
		_, err := SIPToJID(tc.uri, AddressOptions{})
		e := ErrorOf(err)
		if e == nil || e.SIPStatus != tc.status || e.Condition != tc.cond {
			t.Errorf("SIPToJID(%s) error = %#v, want %d %s", tc.uri, e, tc.status, tc.cond)
		}
	}
	_, err := SIPToJID("sip:bob@sip.example", AddressOptions{LocalDomains: []string{"sip.example"}})
	if e := ErrorOf(err); e == nil || e.SIPStatus != 482 || e.Type != ErrorTypeCancel {
		t.Errorf("loop error = %#v, want 482 cancel", e)
	}
}

func TestSIPToJIDLongInput(t *testing.T) {
	uri := "sip:" + strings.Repeat("a", 5000) + "@example.com"
	if _, err := SIPToJID(uri, AddressOptions{}); !errors.Is(err, ErrBadAddress) {
		t.Errorf("long URI: %v, want ErrBadAddress", err)
	}
	// Under the URI bound but over the 1023-byte localpart bound.
	uri = "sip:" + strings.Repeat("a", 1100) + "@example.com"
	if _, err := SIPToJID(uri, AddressOptions{}); !errors.Is(err, ErrUnmappable) {
		t.Errorf("long user: %v, want ErrUnmappable", err)
	}
}

func TestJIDToSIPZero(t *testing.T) {
	if _, err := JIDToSIP(jid.JID{}, AddressOptions{}); !errors.Is(err, ErrUnmappable) {
		t.Errorf("zero JID: %v, want ErrUnmappable", err)
	}
}

func TestPunycode(t *testing.T) {
	// RFC 3492 §7.1 samples (A)-(D) and common IDNA labels.
	for _, tc := range []struct{ in, out string }{
		{"\u0644\u064A\u0647\u0645\u0627\u0628\u062A\u0643\u0644\u0645\u0648\u0634\u0639\u0631\u0628\u064A\u061F", "egbpdaj6bu4bxfgehfvwxn"},
		{"\u4ED6\u4EEC\u4E3A\u4EC0\u4E48\u4E0D\u8BF4\u4E2D\u6587", "ihqwcrb4cv8a8dqg056pqjye"},
		{"\u4ED6\u5011\u7232\u4EC0\u9EBD\u4E0D\u8AAA\u4E2D\u6587", "ihqwctvzc91f659drss3x8bo0yb"},
		{"Pro\u010Dprost\u011Bnemluv\u00ED\u010Desky", "Proprostnemluvesky-uyb24dma41a"},
		{"bücher", "bcher-kva"},
		{"münchen", "mnchen-3ya"},
		{"café", "caf-dma"},
		{"ü", "tda"},
		{"\U0001F600x", "x-iv3s"},
	} {
		got, ok := punyEncode(tc.in)
		if !ok || got != tc.out {
			t.Errorf("punyEncode(%q) = %q, %v, want %q", tc.in, got, ok, tc.out)
		}
	}
	if _, ok := punyEncode("\xff"); ok {
		t.Error("punyEncode accepted invalid UTF-8")
	}
}

func TestASCIIHostAgreesWithJID(t *testing.T) {
	// The jid package decodes A-labels; asciiHost must encode them back.
	for _, d := range []string{"xn--caf-dma.example", "xn--bcher-kva.xn--mnchen-3ya.de", "xn--ihqwcrb4cv8a8dqg056pqjye.example", "example.com", "192.0.2.1", "[2001:db8::1]"} {
		j, err := jid.New("", d, "")
		if err != nil {
			t.Fatalf("jid.New(%q): %v", d, err)
		}
		if h, ok := asciiHost(j.Domainpart()); !ok || h != d {
			t.Errorf("asciiHost(%q) = %q, %v, want %q", j.Domainpart(), h, ok, d)
		}
	}
}
