package translate

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// addGoldenSeeds adds the inputs of the golden files to a fuzz corpus.
func addGoldenSeeds(f *testing.F, section string) {
	files, err := filepath.Glob(filepath.Join("testdata", "xhtml", "*.txt"))
	if err != nil {
		f.Fatal(err)
	}
	for _, file := range files {
		raw, err := os.ReadFile(file)
		if err != nil {
			f.Fatal(err)
		}
		if in, ok := parseGolden(f, string(raw)).get(section); ok {
			f.Add(in)
		}
	}
}

// FuzzHTMLToXHTMLIM checks, for any text/html body, that the conversion
// succeeds, that the text can be an XMPP <body/>, that the XHTML-IM stays
// within the XEP-0071 §7 profile with no unsafe URL or style, and that
// converting back and forth is stable.
func FuzzHTMLToXHTMLIM(f *testing.F) {
	addGoldenSeeds(f, "html")
	for _, s := range []string{
		"<p>a<b>b<i>c</b>d</i>e</p>",
		"<table><p>foster</p><tr><td>x</table>",
		"<a href='https://a.test/'><div>block in link</div></a>",
		"<ul><li>a<ul><li>b</ul>c</ul><li>stray",
		"<span style='color: red'><p>para in span</p></span>",
		"<pre>\n\n  x\n\n</pre><pre>\ty</pre>",
		"a <b> </b> b <i></i> c<p></p>d",
		"<img src='data:image/gif;base64,R0lGODlhAQABAAAAACw='><a href='mailto:x@y'>x@y</a>",
		"<h1><a href='http://x.test'>h</a></h1><blockquote><li>q</blockquote>",
		"<select><option>x</select><plaintext>rest </p> is <b>text",
		"<font size=7 color='#fff' face='a, b'>f</font><u><s>us</s></u>",
		"<svg><p>html in svg</p></svg><math><mtext><b>mt</b></mtext></math>",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		if len(in) > maxMarkup {
			return
		}
		text, xhtml, err := HTMLToXHTMLIM(in)
		if err != nil {
			t.Fatalf("HTMLToXHTMLIM(%q): %v", in, err)
		}
		checkRoundTrip(t, in, text, xhtml)
		if strings.Contains(strings.ToLower(xhtml), "javascript:") && !strings.Contains(strings.ToLower(text), "javascript:") {
			t.Fatalf("javascript: in markup only: %q", xhtml)
		}
	})
}

// FuzzXHTMLIMToHTML checks, for any XHTML-IM body, that the conversion
// either refuses it or yields an HTML fragment within the profile and a
// text that can be a SIP text/plain body, stable under conversion back.
func FuzzXHTMLIMToHTML(f *testing.F) {
	addGoldenSeeds(f, "xhtml-in")
	addGoldenSeeds(f, "xhtml")
	for _, s := range []string{
		xhtmlBody + `<p>a<br/>b</p></body>`,
		xhtmlBody + `<ul>text<p>p</p><li>i</li></ul><li>stray</li></body>`,
		xhtmlBody + `<p><p>nested</p><blockquote>q</blockquote></p></body>`,
		xhtmlBody + `<a href="http://a.test/"><a href="http://b.test/">b</a></a></body>`,
		xhtmlBody + `<pre>  x&#10;&#9;y</pre><x:y xmlns:x="urn:x">z</x:y></body>`,
		`<body xmlns="http://www.w3.org/1999/xhtml" style="color: red"><span style="font-family: 'x'">s</span></body>`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		h, text, err := XHTMLIMToHTML(in)
		if err != nil {
			if ErrorOf(err).SIPStatus != 400 {
				t.Fatalf("XHTMLIMToHTML(%q): %v", in, err)
			}
			return
		}
		if err := checkProfile(h, true); err != nil {
			t.Fatalf("XHTMLIMToHTML(%q) = %q: %v", in, h, err)
		}
		if err := checkText(text); err != nil {
			t.Fatalf("XHTMLIMToHTML(%q): %v", in, err)
		}
		// The HTML, read back, says the same.
		text2, xhtml2, err := HTMLToXHTMLIM(h)
		if err != nil || text2 != text {
			t.Fatalf("HTMLToXHTMLIM(%q) = %q, %v; want text %q", h, text2, err, text)
		}
		checkRoundTrip(t, h, text2, xhtml2)
	})
}
