package simple

import (
	"bytes"
	"testing"
	"unicode/utf8"
)

// Every parser: decoding never panics, and whatever decodes encodes, and
// re-decodes to the same value (encode(decode(x)) is a fixed point).

func FuzzParsePIDF(f *testing.F) {
	for _, b := range seedFiles(f, "pidf-") {
		f.Add(b)
	}
	for _, b := range seedFiles(f, "golden/pidf-") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		p, err := ParsePIDF(in)
		if err != nil {
			return
		}
		out, err := p.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed document: %v\nvalue %+v", err, p)
		}
		again, err := ParsePIDF(out)
		if err != nil {
			t.Fatalf("re-parse: %v\n%s", err, out)
		}
		if !same(again, p) {
			t.Fatalf("round trip differs:\n got %+v\nwant %+v\n%s", again, p, out)
		}
	})
}

func FuzzParseCPIM(f *testing.F) {
	for _, b := range seedFiles(f, "cpim-") {
		f.Add(b)
		f.Add(bytes.ReplaceAll(b, []byte("\n"), []byte("\r\n")))
	}
	for _, b := range seedFiles(f, "golden/cpim-") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := ParseCPIM(in)
		if err != nil {
			return
		}
		out, err := c.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed message: %v\nvalue %+v", err, c)
		}
		again, err := ParseCPIM(out)
		if err != nil {
			t.Fatalf("re-parse: %v\n%q", err, out)
		}
		if !same(again, c) {
			t.Fatalf("round trip differs:\n got %+v\nwant %+v\n%q", again, c, out)
		}
		for _, v := range append(append(c.From, c.To...), c.CC...) {
			if a, err := ParseCPIMAddress(v); err == nil {
				checkAddress(t, a)
			}
		}
		if v, ok := c.GetNS(NamespaceIMDN, "Disposition-Notification"); ok {
			checkDisposition(t, v)
		}
	})
}

func FuzzParseIsComposing(f *testing.F) {
	for _, b := range seedFiles(f, "iscomposing-") {
		f.Add(b)
	}
	for _, b := range seedFiles(f, "golden/iscomposing-") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		c, err := ParseIsComposing(in)
		if err != nil {
			return
		}
		out, err := c.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed document: %v\nvalue %+v", err, c)
		}
		again, err := ParseIsComposing(out)
		if err != nil || !same(again, c) {
			t.Fatalf("round trip: %v\n got %+v\nwant %+v\n%s", err, again, c, out)
		}
	})
}

func FuzzParseIMDN(f *testing.F) {
	for _, b := range seedFiles(f, "imdn-") {
		f.Add(b)
	}
	for _, b := range seedFiles(f, "golden/imdn-") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		n, err := ParseIMDN(in)
		if err != nil {
			return
		}
		out, err := n.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed document: %v\nvalue %+v", err, n)
		}
		again, err := ParseIMDN(out)
		if err != nil || !same(again, n) {
			t.Fatalf("round trip: %v\n got %+v\nwant %+v\n%s", err, again, n, out)
		}
	})
}

func FuzzParseDispositionNotification(f *testing.F) {
	for _, s := range []string{"positive-delivery, negative-delivery", "display", "", "processing;a=\"b\", x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		checkDisposition(t, in)
	})
}

func checkDisposition(t *testing.T, in string) {
	d, err := ParseDispositionNotification(in)
	if err != nil {
		return
	}
	back, err := ParseDispositionNotification(d.String())
	if err != nil || back != d {
		t.Fatalf("round trip of %q: %v, %v", d.String(), back, err)
	}
}

func FuzzParseCPIMAddress(f *testing.F) {
	for _, s := range []string{"MR SANDERS <im:piglet@100akerwood.com>", `"Juliet" <sip:juliet@example.com>`, "<sip:a@b>;gr=x", `"a\"b" <x>`} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		a, err := ParseCPIMAddress(in)
		if err != nil {
			return
		}
		checkAddress(t, a)
	})
}

// checkAddress: String keeps URI and Params, and a second round is stable
// (the first may drop double quotes from the name).
func checkAddress(t *testing.T, a CPIMAddress) {
	b, err := ParseCPIMAddress(a.String())
	if err != nil {
		t.Fatalf("ParseCPIMAddress(%q): %v", a.String(), err)
	}
	if b.URI != a.URI || b.Params != a.Params {
		t.Fatalf("%+v became %+v", a, b)
	}
	c, err := ParseCPIMAddress(b.String())
	if err != nil || c != b {
		t.Fatalf("%+v became %+v, %v", b, c, err)
	}
}

// RFC 3862 §2.3: escaping then unescaping gives back any UTF-8 string.
func FuzzCPIMEscape(f *testing.F) {
	for _, s := range []string{"", "plain", "a\\b\t\n\r\x00\x7f\"'", "é€😀"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		for _, quoted := range []bool{false, true} {
			b, ok := appendEscaped(nil, s, quoted)
			if ok != utf8.ValidString(s) {
				t.Fatalf("ok = %v for %q", ok, s)
			}
			if !ok {
				return
			}
			if !checkHeaderLine(string(b)) {
				t.Fatalf("escaped %q has raw control characters: %q", s, b)
			}
			if got := unescape(string(b)); got != s {
				t.Fatalf("unescape(escape(%q)) = %q", s, got)
			}
		}
	})
}

func FuzzParseConferenceInfo(f *testing.F) {
	for _, b := range seedFiles(f, "conference-") {
		f.Add(b)
	}
	for _, b := range seedFiles(f, "golden/conference-") {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		ci, err := ParseConferenceInfo(in)
		if err != nil {
			return
		}
		out, err := ci.Marshal()
		if err != nil {
			t.Fatalf("Marshal of a parsed document: %v\nvalue %+v", err, ci)
		}
		again, err := ParseConferenceInfo(out)
		if err != nil || !same(again, ci) {
			t.Fatalf("round trip: %v\n got %+v\nwant %+v\n%s", err, again, ci, out)
		}
	})
}
