package translate

import (
	"encoding/xml"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"
)

var updateXHTML = flag.Bool("xhtml.update", false, "rewrite the outputs in testdata/xhtml")

// profileAttrs returns the attributes XEP-0071 §7.8 recommends for an
// element, and whether the element is in the profile.
func profileAttrs(name string) ([]string, bool) {
	switch name {
	case "a":
		return []string{"href", "type", "style"}, true
	case "img":
		return []string{"src", "alt", "height", "width", "style"}, true
	case "blockquote", "body", "cite", "li", "ol", "p", "span", "ul":
		return []string{"style"}, true
	case "br", "em", "strong":
		return nil, true
	}
	return nil, false
}

// checkProfile returns why s, an XHTML-IM <body/> (or, with fragment, an
// HTML fragment from XHTMLIMToHTML), is not within the XEP-0071 §7
// profile and content model, or nil.
func checkProfile(s string, fragment bool) error {
	if fragment {
		s = `<body xmlns="` + nsXHTML + `">` + s + `</body>`
	}
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	type open struct {
		name  string
		empty bool
	}
	var stack []*open
	for {
		tok, err := d.Token()
		if err == io.EOF {
			if len(stack) != 0 {
				return errors.New("unclosed elements")
			}
			return nil
		}
		if err != nil {
			return err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			name := t.Name.Local
			if t.Name.Space != nsXHTML {
				return fmt.Errorf("<%s> in namespace %q", name, t.Name.Space)
			}
			if len(stack) == 0 && name != "body" {
				return fmt.Errorf("root <%s>", name)
			}
			allowed, ok := profileAttrs(name)
			if fragment && name == "div" && len(stack) == 1 {
				allowed, ok = []string{"style"}, true
			}
			if !ok || (name == "body") != (len(stack) == 0) {
				return fmt.Errorf("element <%s> outside the profile", name)
			}
			if len(stack) > maxDepth+4 {
				return fmt.Errorf("nesting deeper than %d", maxDepth+4)
			}
			if len(stack) > 0 {
				parent := stack[len(stack)-1]
				parent.empty = false
				inline := name == "a" || name == "cite" || name == "em" || name == "span" ||
					name == "strong" || name == "br" || name == "img"
				switch {
				case isList(parent.name) != (name == "li"):
					return fmt.Errorf("<%s> in <%s>", name, parent.name)
				case name == "li":
				case !inline && !isFlow(parent.name) && parent.name != "div":
					return fmt.Errorf("block <%s> in <%s>", name, parent.name)
				}
				if name == "a" {
					for _, o := range stack {
						if o.name == "a" {
							return errors.New("nested links")
						}
					}
				}
			}
			for _, a := range t.Attr {
				if a.Name.Space == "xmlns" || (a.Name.Space == "" && a.Name.Local == "xmlns") {
					continue
				}
				if a.Name.Space != "" || !contains(allowed, a.Name.Local) {
					return fmt.Errorf("<%s %s:%s>", name, a.Name.Space, a.Name.Local)
				}
				if err := checkAttr(name, a.Name.Local, a.Value); err != nil {
					return err
				}
			}
			if name == "img" && !hasAttr(t.Attr, "src") {
				return errors.New("<img> without src")
			}
			stack = append(stack, &open{name: name, empty: name != "br" && name != "img"})
		case xml.EndElement:
			o := stack[len(stack)-1]
			stack = stack[:len(stack)-1]
			if o.empty && len(stack) > 0 {
				return fmt.Errorf("empty <%s>", o.name)
			}
		case xml.CharData:
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				if isList(p.name) {
					return fmt.Errorf("text %q in <%s>", t, p.name)
				}
				if len(t) > 0 {
					p.empty = false
				}
			}
		default:
			return fmt.Errorf("unexpected %T", tok)
		}
	}
}

func contains(list []string, s string) bool {
	for _, v := range list {
		if v == s {
			return true
		}
	}
	return false
}

func hasAttr(as []xml.Attr, local string) bool {
	for _, a := range as {
		if a.Name.Local == local && a.Name.Space == "" {
			return true
		}
	}
	return false
}

// checkAttr checks the values XEP-0071 §11.1 says must be sanitized.
func checkAttr(el, name, v string) error {
	lower := strings.ToLower(v)
	switch name {
	case "href":
		for _, s := range []string{"http://", "https://", "mailto:", "xmpp:", "sip:", "sips:", "tel:"} {
			if strings.HasPrefix(lower, s) {
				return nil
			}
		}
		return fmt.Errorf("href %q", v)
	case "src":
		for _, s := range []string{"http://", "https://", "data:image/png;base64,", "data:image/jpeg;base64,", "data:image/gif;base64,", "data:image/webp;base64,"} {
			if strings.HasPrefix(lower, s) {
				return nil
			}
		}
		return fmt.Errorf("src %q", v)
	case "style":
		for _, decl := range strings.Split(v, "; ") {
			prop, val, ok := strings.Cut(decl, ": ")
			if !ok || !contains([]string{"background-color", "color", "font-family", "font-size", "font-style",
				"font-weight", "margin-left", "margin-right", "text-align", "text-decoration"}, prop) {
				return fmt.Errorf("style declaration %q", decl)
			}
			lv := strings.ToLower(val)
			for _, bad := range []string{"url(", "expression(", "\\", "/", "*", ":", ";", "@", "!", "<", ">", "{", "}", "&"} {
				if strings.Contains(lv, bad) {
					return fmt.Errorf("style value %q has %q", val, bad)
				}
			}
			for i := strings.IndexByte(lv, '('); i >= 0; i = strings.IndexByte(lv, '(') {
				fn := lv[:i]
				if !strings.HasSuffix(fn, "rgb") && !strings.HasSuffix(fn, "rgba") && !strings.HasSuffix(fn, "hsl") && !strings.HasSuffix(fn, "hsla") {
					return fmt.Errorf("style value %q calls a function", val)
				}
				lv = lv[i+1:]
			}
		}
	case "width", "height":
		if v == "" || strings.Trim(v, "0123456789") != "" {
			return fmt.Errorf("%s %q", name, v)
		}
	}
	return nil
}

// checkText returns why s cannot be an XMPP <body/>, or nil.
func checkText(s string) error {
	if !utf8.ValidString(s) {
		return errors.New("text is not UTF-8")
	}
	for _, r := range s {
		if !xmlChar(r) {
			return fmt.Errorf("text has %U", r)
		}
	}
	if s != strings.Trim(s, "\n") {
		return fmt.Errorf("text %q starts or ends with a line break", s)
	}
	for _, l := range strings.Split(s, "\n") {
		if l != strings.TrimRight(l, " ") {
			return fmt.Errorf("line %q ends with a space", l)
		}
	}
	return nil
}

// checkRoundTrip checks the properties of HTMLToXHTMLIM's results for
// input in: the XHTML-IM is within the profile, converts to HTML with the
// same text, and that HTML converts back to the same XHTML-IM (the
// sanitizer is idempotent).
func checkRoundTrip(t testing.TB, in, text, xhtml string) {
	t.Helper()
	if err := checkText(text); err != nil {
		t.Fatalf("HTMLToXHTMLIM(%q): %v", in, err)
	}
	if xhtml == "" {
		return
	}
	if text == "" {
		t.Fatalf("HTMLToXHTMLIM(%q): XHTML %q without text", in, xhtml)
	}
	if err := checkProfile(xhtml, false); err != nil {
		t.Fatalf("HTMLToXHTMLIM(%q) = %q: %v", in, xhtml, err)
	}
	h, text2, err := XHTMLIMToHTML(xhtml)
	if err != nil || text2 != text {
		t.Fatalf("XHTMLIMToHTML(%q) = %q, %q, %v; want text %q", xhtml, h, text2, err, text)
	}
	if err := checkProfile(h, true); err != nil {
		t.Fatalf("XHTMLIMToHTML(%q) = %q: %v", xhtml, h, err)
	}
	if strings.HasPrefix(h, "<div") {
		return // the body's style moved to a <div/>
	}
	text3, xhtml3, err := HTMLToXHTMLIM(h)
	if err != nil || text3 != text || xhtml3 != xhtml {
		t.Fatalf("not idempotent: HTMLToXHTMLIM(%q)\n = %q\n   %q\nwant %q\n   %q", h, text3, xhtml3, text, xhtml)
	}
}

const xhtmlBody = `<body xmlns="http://www.w3.org/1999/xhtml">`

func TestHTMLToXHTMLIM(t *testing.T) {
	for _, tc := range []struct {
		name, in, text, xhtml string // xhtml without the <body> start tag
	}{
		{"plain", "just text", "just text", ""},
		{"empty", "", "", ""},
		{"comment only", "<!-- hi -->", "", ""},
		{"whitespace collapsed", "  a \n\t b  ", "a b", ""},
		{"entities", "AT&amp;T &lt;b&gt; &quot;q&quot; &copy; &eacute &#x1F600; &zzz; &notanentity;", `AT&T <b> "q" © é 😀 &zzz; ¬anentity;`, ""},
		{"nbsp kept apart", "a&nbsp;&nbsp;b", "a  b", ""},
		{"br", "a<br>b<br/>c", "a\nb\nc", ""},
		{"paragraphs", "<p>a</p><p>b</p>", "a\n\nb", "<p>a</p><p>b</p></body>"},
		{"divs are lines", "<div>a</div><div>b</div>", "a\nb", ""},
		{"empty div line", "<div>a</div><div><br></div><div>b</div>", "a\n\nb", ""},
		{"empty block keeps the break", "a<p></p>b", "a\nb", ""},
		{"b i u s", "<b>b</b> <i>i</i> <u>u</u> <s>s</s>", "b i u s",
			`<strong>b</strong> <em>i</em> <span style="text-decoration: underline">u</span> <span style="text-decoration: line-through">s</span></body>`},
		{"space before an empty inline", "a <b></b>b", "a b", ""},
		{"heading", "<h2>Title</h2>text", "Title\n\ntext", "<p><strong>Title</strong></p>text</body>"},
		{"font", `<font color="red" face="Comic Sans MS" size="5">x</font>`, "x",
			`<span style="color: red; font-family: Comic Sans MS; font-size: x-large">x</span></body>`},
		{"code", "<code>x := 1</code>", "x := 1", `<span style="font-family: monospace">x := 1</span></body>`},
		{"pre", "<pre>  a\n\tb  c\n</pre>d", "  a\n    b  c\n\nd",
			"<p style=\"font-family: monospace\">\u00a0\u00a0a<br/>\u00a0\u00a0\u00a0\u00a0b\u00a0\u00a0c</p>d</body>"},
		{"script and style dropped", "a<script>alert(1)</script>b<style>p{}</style>c", "abc", ""},
		{"objects dropped", `a<iframe src="https://evil.test/"></iframe><object data="x">fallback</object><embed src="x">b`, "ab", ""},
		{"forms dropped", `<form action="https://evil.test/"><input value="v"><button>Go</button><select><option>o</option></select><textarea>t</textarea>x</form>`, "x", ""},
		{"svg dropped", `a<svg><script>alert(1)</script><text>t</text></svg>b`, "ab", ""},
		{"head dropped", `<html><head><title>T</title><meta charset="utf-8"><base href="https://evil.test/"></head><body>x</body></html>`, "x", ""},
		{"link", `<a href="https://example.com/a?b=1&amp;c=2">docs</a>`, "docs <https://example.com/a?b=1&c=2>",
			`<a href="https://example.com/a?b=1&amp;c=2">docs</a></body>`},
		{"link with its own text", `<a href="https://example.com/">https://example.com</a>`, "https://example.com",
			`<a href="https://example.com/">https://example.com</a></body>`},
		{"mailto", `<a href="mailto:bob@example.com">bob@example.com</a>`, "bob@example.com",
			`<a href="mailto:bob@example.com">bob@example.com</a></body>`},
		{"link type kept", `<a href="xmpp:room@muc.test?join" type="Text/HTML; charset=x" target="_blank" onclick="x()">r</a>`, "r <xmpp:room@muc.test?join>",
			`<a href="xmpp:room@muc.test?join" type="text/html">r</a></body>`},
		{"javascript href", `<a href="javascript:alert(1)">x</a>`, "x", ""},
		{"javascript href, mixed case", `<a href="JaVaScRiPt:alert(1)">x</a>`, "x", ""},
		{"javascript href, tab", "<a href=\"java\tscript:alert(1)\">x</a>", "x", ""},
		{"javascript href, entities", `<a href="&#106;avascript&#58;alert(1)">x</a>`, "x", ""},
		{"javascript href, leading control", "<a href=\"\x01 javascript:alert(1)\">x</a>", "x", ""},
		{"vbscript href", `<a href="vbscript:msgbox(1)">x</a>`, "x", ""},
		{"data href", `<a href="data:text/html;base64,PHNjcmlwdD4=">x</a>`, "x", ""},
		{"relative href", `<a href="/admin">x</a><a href="//evil.test/">y</a><a href="#top">z</a>`, "xyz", ""},
		{"http href without host", `<a href="http:/x">x</a>`, "x", ""},
		{"nested links", `<a href="https://a.test/">a<a href="https://b.test/">b</a></a>`, "a <https://a.test/>b <https://b.test/>",
			`<a href="https://a.test/">a</a><a href="https://b.test/">b</a></body>`},
		{"event handlers", `<p onclick="x()" onmouseover="y()" class="c" id="i" title="t">p</p>`, "p", "<p>p</p></body>"},
		{"style filtered", `<span style="color: red; background: url(x); font-weight: bold; width: expression(alert(1)); behavior: url(x.htc); -moz-binding: url(x)">r</span>`,
			"r", `<span style="color: red; font-weight: bold">r</span></body>`},
		{"style url in an allowed property", `<span style="background-color: url(javascript:alert(1)); color: expression(alert(1)); font-family: x\75rl(y); margin-left: 1px/**/">r</span>`, "r", ""},
		{"style colour functions", `<span style="color: rgb(0, 0, 0) !important; BACKGROUND-COLOR: RGBA(1,2,3,0.5); font-family: 'Segoe UI', Arial, sans-serif">r</span>`,
			"r", `<span style="color: rgb(0, 0, 0); background-color: RGBA(1,2,3,0.5); font-family: 'Segoe UI', Arial, sans-serif">r</span></body>`},
		{"style with a semicolon in quotes", `<span style="font-family: 'a;b'; color: blue">r</span>`, "r",
			`<span style="color: blue">r</span></body>`},
		{"style unbalanced", `<span style="font-family: 'a; color: blue">r</span>`, "r", ""},
		{"strong drops its style", `<strong style="color: red">s</strong>`, "s", "<strong>s</strong></body>"},
		{"img", `<img src="https://x.test/a.png" alt="A  pic" width="20" height="10px" onerror="x()">`, "A pic <https://x.test/a.png>",
			`<img src="https://x.test/a.png" alt="A pic" width="20"/></body>`},
		{"img data png", `<img src="data:image/png;base64,iVBORw0KGgo=" alt="dot">`, "dot",
			`<img src="data:image/png;base64,iVBORw0KGgo=" alt="dot"/></body>`},
		{"img data svg", `<img src="data:image/svg+xml;base64,PHN2Zz4=" alt="svg">`, "svg", ""},
		{"img data too large", `<img src="data:image/png;base64,` + strings.Repeat("A", maxDataURL) + `" alt="big">`, "big", ""},
		{"img javascript", `<img src="javascript:alert(1)" alt="x">`, "x", ""},
		{"img without alt", `<img src="http://x.test/i.gif">`, "<http://x.test/i.gif>", `<img src="http://x.test/i.gif" alt=""/></body>`},
		{"unknown elements unwrapped", "<acronym>XHTML</acronym> <blink>x</blink> <custom-el>y</custom-el>", "XHTML x y", ""},
		{"table", "<table><tr><th>a</th><th>b</th></tr><tr><td>1</td><td>2</td></tr></table>", "a b\n1 2", ""},
		{"list", "<ul><li>a</li><li>b</li></ul>", "- a\n- b", "<ul><li>a</li><li>b</li></ul></body>"},
		{"ordered list", "<ol><li>a</li><li>b</li></ol>", "1. a\n2. b", "<ol><li>a</li><li>b</li></ol></body>"},
		{"stray list items", "<li>a</li><li>b</li><p>c</p>", "- a\n- b\n\nc", "<ul><li>a</li><li>b</li></ul><p>c</p></body>"},
		{"text in a list", "<ul>x<li>a</li></ul>", "- x\n- a", "<ul><li>x</li><li>a</li></ul></body>"},
		{"dl", "<dl><dt>term</dt><dd>def</dd></dl>", "term\ndef", ""},
		{"blockquote", "<p>You wrote:</p><blockquote><p>a</p><p>b</p></blockquote>ok", "You wrote:\n\n> a\n>\n> b\n\nok",
			"<p>You wrote:</p><blockquote><p>a</p><p>b</p></blockquote>ok</body>"},
		{"blockquote attributes", `<blockquote type="cite" cite="https://x.test/">q</blockquote>`, "> q", "<blockquote>q</blockquote></body>"},
		{"body style", `<body style="color: navy" bgcolor="white">x</body>`, "x", ""},
		{"controls dropped", "a\x01b\x0bc\ufffe", "abc", ""},
		{"NUL", "a\x00b", "ab", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			text, xhtml, err := HTMLToXHTMLIM(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			want := tc.xhtml
			if want != "" {
				want = xhtmlBody + want
			}
			if tc.name == "body style" {
				want = `<body xmlns="http://www.w3.org/1999/xhtml" style="color: navy">x</body>`
			}
			if text != tc.text || xhtml != want {
				t.Errorf("HTMLToXHTMLIM(%q)\n = %q\n   %q\nwant %q\n   %q", tc.in, text, xhtml, tc.text, want)
			}
			checkRoundTrip(t, tc.in, text, xhtml)
		})
	}
}

func TestXHTMLIMToHTML(t *testing.T) {
	for _, tc := range []struct {
		name, in, html, text string
	}{
		{"XEP-0071 example 1", `<body xmlns='http://www.w3.org/1999/xhtml'><p style='font-weight:bold'>hi!</p></body>`,
			`<p style="font-weight: bold">hi!</p>`, "hi!"},
		{"indented markup", "<body xmlns='http://www.w3.org/1999/xhtml'>\n  <p>\n    <em>Wow</em>, I&apos;m <span style='color:green'>green</span>\n    with <strong>envy</strong>!\n  </p>\n</body>",
			`<p><em>Wow</em>, I'm <span style="color: green">green</span> with <strong>envy</strong>!</p>`, "Wow, I'm green with envy!"},
		{"prefixed namespace", `<x:body xmlns:x="http://www.w3.org/1999/xhtml"><x:p>a</x:p></x:body>`, "<p>a</p>", "a"},
		{"body style", `<body xmlns="http://www.w3.org/1999/xhtml" style="background-color: #eee; position: fixed">a</body>`,
			`<div style="background-color: #eee">a</div>`, "a"},
		{"script", `<body xmlns="http://www.w3.org/1999/xhtml"><script>alert(1)</script><p onclick="x()">a</p></body>`, "<p>a</p>", "a"},
		{"javascript link", `<body xmlns="http://www.w3.org/1999/xhtml"><a href="javascript:alert(1)">a</a></body>`, "a", "a"},
		{"foreign element", `<body xmlns="http://www.w3.org/1999/xhtml">a<x xmlns="urn:evil"><p>b</p></x>c</body>`, "ac", "ac"},
		{"foreign attribute", `<body xmlns="http://www.w3.org/1999/xhtml"><p xmlns:e="urn:e" e:style="x" xml:lang="en">a</p></body>`, "<p>a</p>", "a"},
		{"style url", `<body xmlns="http://www.w3.org/1999/xhtml"><span style="color: url(javascript:x)">a</span></body>`, "a", "a"},
		{"img", `<body xmlns="http://www.w3.org/1999/xhtml"><p><img src="http://www.xmpp.org/images/psa-license.jpg" alt="A License to Jabber" height="261" width="537"/></p></body>`,
			`<p><img src="http://www.xmpp.org/images/psa-license.jpg" alt="A License to Jabber" height="261" width="537"/></p>`,
			"A License to Jabber <http://www.xmpp.org/images/psa-license.jpg>"},
		{"escaping", `<body xmlns="http://www.w3.org/1999/xhtml">a &lt;b&gt; &amp; "c" <a href="https://x.test/?a=1&amp;b=&quot;">l</a></body>`,
			`a &lt;b&gt; &amp; "c" <a href="https://x.test/?a=1&amp;b=&quot;">l</a>`, `a <b> & "c" l <https://x.test/?a=1&b=">`},
		{"trailing content ignored", `<body xmlns="http://www.w3.org/1999/xhtml">a</body><more/>`, "a", "a"},
		{"empty", `<body xmlns="http://www.w3.org/1999/xhtml"/>`, "", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			h, text, err := XHTMLIMToHTML(tc.in)
			if err != nil || h != tc.html || text != tc.text {
				t.Fatalf("XHTMLIMToHTML(%q)\n = %q, %q, %v\nwant %q, %q", tc.in, h, text, err, tc.html, tc.text)
			}
			if err := checkProfile(h, true); err != nil {
				t.Fatal(err)
			}
		})
	}
	for _, bad := range []string{
		"",
		"text",
		"<p>not a body</p>",
		`<body>no namespace</body>`,
		`<body xmlns="http://jabber.org/protocol/xhtml-im">wrong namespace</body>`,
		`<body xmlns="http://www.w3.org/1999/xhtml">unclosed`,
		`<body xmlns="http://www.w3.org/1999/xhtml"><p>mismatched</b></body>`,
		`<body xmlns="http://www.w3.org/1999/xhtml">&nbsp;</body>`,
		`<!DOCTYPE body [<!ENTITY x "y">]><body xmlns="http://www.w3.org/1999/xhtml">&x;</body>`,
		`text<body xmlns="http://www.w3.org/1999/xhtml">a</body>`,
		"<body xmlns=\"http://www.w3.org/1999/xhtml\">\xff</body>",
		`<body xmlns="http://www.w3.org/1999/xhtml">` + strings.Repeat("a", maxMarkup) + `</body>`,
	} {
		_, _, err := XHTMLIMToHTML(bad)
		var e *Error
		if !errors.As(err, &e) || e.SIPStatus != 400 {
			t.Errorf("XHTMLIMToHTML(%.60q) = %v, want a 400 *Error", bad, err)
		}
	}
}

// TestXHTMLBounds checks the limits: nesting the HTML parser refuses
// still yields the text, the tree's depth is bounded, and input over the
// size limit is refused.
func TestXHTMLBounds(t *testing.T) {
	deep := strings.Repeat("<div>", 2000) + "deep <b>text</b>" + strings.Repeat("</div>", 2000) + "<p>after</p>"
	text, xhtml, err := HTMLToXHTMLIM(deep)
	if err != nil || text != "deep text\nafter" || xhtml != "" {
		t.Errorf("past the parser's depth: %q %q %v", text, xhtml, err)
	}
	nested := strings.Repeat("<span style='color: red'>", 300) + "x" + strings.Repeat("</span>", 300)
	text, xhtml, err = HTMLToXHTMLIM(nested)
	if err != nil || text != "x" || strings.Count(xhtml, "<span") != maxDepth-1 {
		t.Errorf("nesting not bounded to %d: %q %d spans %v", maxDepth, text, strings.Count(xhtml, "<span"), err)
	}
	checkRoundTrip(t, nested, text, xhtml)
	lists := strings.Repeat("<ul><li>", 100) + "x"
	text, xhtml, err = HTMLToXHTMLIM(lists)
	if err != nil || !strings.HasSuffix(text, "- x") || checkProfile(xhtml, false) != nil {
		t.Errorf("nested lists: %q %q %v", text, xhtml, err)
	}
	xdeep := xhtmlBody + strings.Repeat("<em>", 10000) + "x" + strings.Repeat("</em>", 10000) + "</body>"
	h, text, err := XHTMLIMToHTML(xdeep)
	if err != nil || text != "x" || strings.Count(h, "<em>") > maxDepth {
		t.Errorf("deep XHTML: %d <em>, %q %v", strings.Count(h, "<em>"), text, err)
	}
	many := strings.Repeat("<b>x</b>", maxElements+10)
	text, xhtml, err = HTMLToXHTMLIM(many)
	if err != nil || len(text) != maxElements+10 || strings.Count(xhtml, "<strong>") != maxElements {
		t.Errorf("elements not bounded: %d strong, text %d bytes, %v", strings.Count(xhtml, "<strong>"), len(text), err)
	}
	_, _, err = HTMLToXHTMLIM(strings.Repeat("a", maxMarkup+1))
	if e := ErrorOf(err); e == nil || e.SIPStatus != 413 || e.Condition != CondPolicyViolation {
		t.Errorf("oversized HTML: %v", err)
	}
	text, _, err = HTMLToXHTMLIM("caf\xe9 <b>ok</b>")
	if err != nil || text != "caf\ufffd ok" {
		t.Errorf("invalid UTF-8: %q %v", text, err)
	}
}

// TestXHTMLGolden converts each testdata/xhtml case: "html" input (SIP
// side) gives "text", "xhtml" and, converted back, "html-out";
// "xhtml-in" input (XMPP side) gives "html-out" and "text". Run with
// -xhtml.update to rewrite the outputs.
func TestXHTMLGolden(t *testing.T) {
	files, err := filepath.Glob(filepath.Join("testdata", "xhtml", "*.txt"))
	if err != nil || len(files) < 8 {
		t.Fatalf("golden files: %v %v", files, err)
	}
	for _, file := range files {
		t.Run(filepath.Base(file), func(t *testing.T) {
			raw, err := os.ReadFile(file)
			if err != nil {
				t.Fatal(err)
			}
			g := parseGolden(t, string(raw))
			got := map[string]string{}
			switch in, ok := g.get("html"); {
			case ok:
				text, xhtml, err := HTMLToXHTMLIM(in)
				if err != nil {
					t.Fatal(err)
				}
				checkRoundTrip(t, in, text, xhtml)
				got["text"], got["xhtml"] = text, xhtml
				if xhtml != "" {
					got["html-out"], _, _ = XHTMLIMToHTML(xhtml)
				}
			default:
				in, ok := g.get("xhtml-in")
				if !ok {
					t.Fatal("no html or xhtml-in section")
				}
				h, text, err := XHTMLIMToHTML(in)
				if err != nil {
					t.Fatal(err)
				}
				if err := checkProfile(h, true); err != nil {
					t.Fatalf("%q: %v", h, err)
				}
				if err := checkText(text); err != nil {
					t.Fatal(err)
				}
				got["html-out"], got["text"] = h, text
			}
			if *updateXHTML {
				for _, name := range []string{"text", "xhtml", "html-out"} {
					if v, ok := got[name]; ok {
						g.set(name, v)
					}
				}
				if err := os.WriteFile(file, []byte(g.String()), 0o644); err != nil {
					t.Fatal(err)
				}
				return
			}
			for name, v := range got {
				if want, _ := g.get(name); v != want {
					t.Errorf("%s:\n got %q\nwant %q", name, v, want)
				}
			}
		})
	}
}

// golden is a file of sections, each starting with a line "-- name --".
// Lines before the first section are comments.
type golden struct {
	head  string
	names []string
	data  map[string]string
}

func parseGolden(t testing.TB, s string) *golden {
	g := &golden{data: map[string]string{}}
	cur := ""
	var b strings.Builder
	flush := func() {
		v := strings.TrimSuffix(b.String(), "\n")
		if cur == "" {
			g.head = b.String()
		} else {
			g.names = append(g.names, cur)
			g.data[cur] = v
		}
		b.Reset()
	}
	for _, line := range strings.SplitAfter(s, "\n") {
		l := strings.TrimSuffix(line, "\n")
		if strings.HasPrefix(l, "-- ") && strings.HasSuffix(l, " --") && len(l) > 6 {
			flush()
			cur = l[3 : len(l)-3]
			if _, dup := g.data[cur]; dup {
				t.Fatalf("section %q twice", cur)
			}
			continue
		}
		b.WriteString(line)
	}
	flush()
	return g
}

func (g *golden) get(name string) (string, bool) {
	v, ok := g.data[name]
	return v, ok
}

func (g *golden) set(name, v string) {
	if _, ok := g.data[name]; !ok {
		g.names = append(g.names, name)
	}
	g.data[name] = v
}

func (g *golden) String() string {
	var b strings.Builder
	b.WriteString(g.head)
	for _, n := range g.names {
		fmt.Fprintf(&b, "-- %s --\n%s\n", n, g.data[n])
	}
	return b.String()
}

func BenchmarkHTMLToXHTMLIM(b *testing.B) {
	raw, err := os.ReadFile(filepath.Join("testdata", "xhtml", "thunderbird.txt"))
	if err != nil {
		b.Fatal(err)
	}
	in, _ := parseGolden(b, string(raw)).get("html")
	b.SetBytes(int64(len(in)))
	for b.Loop() {
		if _, _, err := HTMLToXHTMLIM(in); err != nil {
			b.Fatal(err)
		}
	}
}
