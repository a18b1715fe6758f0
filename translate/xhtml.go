package translate

import (
	"encoding/xml"
	"fmt"
	"mime"
	"net/url"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"golang.org/x/net/html"
)

// Rich text: SIP text/html <-> XMPP XHTML-IM (RFC 7572 §7, XEP-0071).
//
// Both directions parse their input into one small tree that holds only the
// XEP-0071 §7 recommended profile (a, blockquote, br, cite, em, img, li, ol,
// p, span, strong, ul under the XHTML <body/>, with the §7.7 attributes),
// then write that tree as XHTML-IM, as an HTML fragment and as plain text.
// Since the plain text is rendered from the sanitized tree, the two forms of
// a message carry the same meaning (XEP-0071 §8 rule 2).
//
// Sanitizing follows XEP-0071 §11.1 (inbound markup may be malicious) and
// §12.2 (an element outside the profile is ignored: its content is kept, it
// is not): scripts, styles, objects, frames, forms and foreign content are
// dropped with their content; href keeps only the http, https, mailto,
// xmpp, sip, sips and tel schemes; img src only http, https and small
// raster data: URLs; style keeps only the ten §7.6.1 properties with plain
// values (no url(), expression(), escapes or comments).

// nsXHTML is the namespace of the XHTML-IM <body/> (XEP-0071 §5).
const nsXHTML = "http://www.w3.org/1999/xhtml"

// Bounds on what the conversions read and build.
const (
	// maxMarkup bounds the markup either conversion reads, and the
	// XHTML-IM it writes (larger XHTML is left out: the text is
	// authoritative, RFC 7572 §7).
	maxMarkup = 128 << 10
	// maxDepth bounds the nesting of the tree; deeper elements are
	// ignored (their content is kept).
	maxDepth = 32
	// maxElements bounds the elements of the tree (line breaks and
	// images aside); further elements are ignored.
	maxElements = 4096
	maxURL      = 2048
	// maxDataURL bounds an inline image: XEP-0071 §7.5 allows data:
	// only for small images (less than 8 kilobytes).
	maxDataURL  = 8 << 10
	maxAlt      = 512
	maxDecls    = 16
	maxCSSValue = 128
)

// HTMLToXHTMLIM converts a text/html body, a fragment or a document, for
// the XMPP side (RFC 7572 §7): text is the plain-text rendering for the
// message <body/>, xhtml the XHTML-IM <body xmlns='http://www.w3.org/1999/xhtml'/>
// holding the XEP-0071 §7 profile, serialized (XMPPMessage.HTML). xhtml is
// "" when the markup adds nothing to the text (plain text, line breaks).
//
// The text renders as a browser would: whitespace collapsed, <br/> and
// block edges as line breaks, a blank line between paragraphs, list items
// marked "- " or "1. ", quotes prefixed "> ", a link's target after its
// text when they differ ("docs <https://example.com/>"). Markup the HTML
// parser cannot build a tree for (nesting deeper than it allows) still
// yields the text, without xhtml. Invalid UTF-8 becomes U+FFFD. The only
// error is input over 128 KiB (SIP 413, policy-violation).
func HTMLToXHTMLIM(src string) (text, xhtml string, err error) {
	if len(src) > maxMarkup {
		return "", "", newError(413, CondPolicyViolation, fmt.Sprintf("HTML body longer than %d bytes", maxMarkup))
	}
	src = strings.ToValidUTF8(src, "\uFFFD")
	root, ok := parseHTML(src)
	if !ok {
		root = tokenizeHTML(src)
	}
	text = renderText(root)
	if text != "" && hasMarkup(root) {
		var b strings.Builder
		writeXHTML(&b, root)
		if b.Len() <= maxMarkup {
			xhtml = b.String()
		}
	}
	return text, xhtml, nil
}

// XHTMLIMToHTML converts an XHTML-IM <body/> (XMPPMessage.HTML, XEP-0071
// §5) for the SIP side: html is a text/html fragment holding only the
// XEP-0071 §7 profile, sanitized as for HTMLToXHTMLIM (§11.1: inbound
// XHTML-IM may be malicious); text is its plain-text rendering. A <body/>
// style is kept on a wrapping <div/>. The error, for input that is not
// one well-formed XHTML <body/> of at most 128 KiB, is a *Error (400).
func XHTMLIMToHTML(xhtml string) (htmlOut, text string, err error) {
	root, err := parseXHTMLIM(xhtml)
	if err != nil {
		e := newError(400, CondBadRequest, "malformed XHTML-IM body")
		e.Err = fmt.Errorf("translate: XHTML-IM body: %w", err)
		return "", "", e
	}
	var b strings.Builder
	style := attrOf(root.attrs, "style")
	if len(root.kids) == 0 {
		style = ""
	}
	if style != "" {
		b.WriteString(`<div style="`)
		escapeMarkup(&b, style, true)
		b.WriteString(`">`)
	}
	for _, k := range root.kids {
		writeNode(&b, k)
	}
	if style != "" {
		b.WriteString("</div>")
	}
	return b.String(), renderText(root), nil
}

// parseHTML builds the tree from an HTML document or fragment with the
// HTML5 parser; ok is false when the parser refuses the input.
func parseHTML(src string) (*xnode, bool) {
	doc, err := html.Parse(strings.NewReader(src))
	if err != nil {
		return nil, false
	}
	b := newBuilder()
	body := findBody(doc)
	if body == nil {
		return b.finish(), true
	}
	b.root.attrs = bodyAttrs(htmlAttrs(body))
	// Walk the tree without recursion, entering the elements the
	// builder keeps (XEP-0071 §12.2: unknown elements still have their
	// content processed).
	n := body.FirstChild
	for n != nil {
		switch n.Type {
		case html.TextNode:
			b.text(n.Data)
		case html.ElementNode:
			// Foreign content (SVG, MathML) is not XHTML: dropped.
			if n.Namespace == "" && b.start(n.Data, htmlAttrs(n)) {
				if n.FirstChild != nil {
					n = n.FirstChild
					continue
				}
				b.end()
			}
		}
		for n != nil && n.NextSibling == nil {
			n = n.Parent
			if n == body {
				return b.finish(), true
			}
			b.end()
		}
		if n != nil {
			n = n.NextSibling
		}
	}
	return b.finish(), true
}

// findBody returns the <body/> element of a parsed document, or nil (a
// frameset document has none).
func findBody(doc *html.Node) *html.Node {
	for h := doc.FirstChild; h != nil; h = h.NextSibling {
		if h.Type != html.ElementNode || h.Data != "html" {
			continue
		}
		for c := h.FirstChild; c != nil; c = c.NextSibling {
			if c.Type == html.ElementNode && c.Data == "body" {
				return c
			}
		}
	}
	return nil
}

func htmlAttrs(n *html.Node) []attr {
	out := make([]attr, 0, len(n.Attr))
	for _, a := range n.Attr {
		if a.Namespace == "" {
			out = append(out, attr{a.Key, a.Val})
		}
	}
	return out
}

// tokenizeHTML renders markup the HTML parser refused as text with line
// breaks only: tags are read one at a time, nothing is nested.
func tokenizeHTML(src string) *xnode {
	z := html.NewTokenizer(strings.NewReader(src))
	b := newBuilder()
	skip := "" // the raw-text element being dropped
	for {
		tt := z.Next()
		switch tt {
		case html.ErrorToken:
			return b.finish()
		case html.TextToken:
			if skip == "" {
				b.text(string(z.Text()))
			}
		case html.StartTagToken, html.SelfClosingTagToken:
			name, _ := z.TagName()
			s := specOf(string(name))
			switch s.kind {
			case kDrop:
				// The tokenizer reads the content of these as raw text.
				switch string(name) {
				case "script", "style", "textarea", "title", "iframe", "noembed", "noframes", "noscript":
					if tt == html.StartTagToken {
						skip = string(name)
					}
				}
			case kBreak:
				b.lineBreak()
			case kImage:
				for {
					k, v, more := z.TagAttr()
					if string(k) == "alt" {
						b.text(string(v))
					}
					if !more {
						break
					}
				}
			case kCell:
				b.cellEdge()
			case kBlock, kItem, kGeneric:
				b.softBreak()
			}
		case html.EndTagToken:
			name, _ := z.TagName()
			if string(name) == skip {
				skip = ""
				continue
			}
			switch specOf(string(name)).kind {
			case kBlock, kItem, kGeneric:
				b.softBreak()
			case kCell:
				b.cellEdge()
			}
		}
	}
}

// parseXHTMLIM builds the tree from an XHTML-IM <body/>. Elements outside
// the XHTML namespace are dropped with their content.
func parseXHTMLIM(s string) (*xnode, error) {
	if len(s) > maxMarkup {
		return nil, fmt.Errorf("longer than %d bytes", maxMarkup)
	}
	d := xml.NewDecoder(strings.NewReader(s))
	d.Strict = true
	b := newBuilder()
	depth := -1 // -1 before the <body/>
	for {
		tok, err := d.Token()
		if err != nil {
			return nil, err
		}
		switch t := tok.(type) {
		case xml.StartElement:
			if depth < 0 {
				if t.Name.Space != nsXHTML || t.Name.Local != "body" {
					return nil, fmt.Errorf("root is <%s xmlns=%q>, not an XHTML <body/>", t.Name.Local, t.Name.Space)
				}
				b.root.attrs = bodyAttrs(xmlAttrs(t.Attr))
				depth = 0
				continue
			}
			if t.Name.Space != nsXHTML || !b.start(t.Name.Local, xmlAttrs(t.Attr)) {
				if err := d.Skip(); err != nil {
					return nil, err
				}
				continue
			}
			depth++
		case xml.EndElement:
			if depth == 0 {
				return b.finish(), nil
			}
			depth--
			b.end()
		case xml.CharData:
			if depth < 0 {
				if strings.TrimSpace(string(t)) != "" {
					return nil, fmt.Errorf("text outside the <body/>")
				}
				continue
			}
			b.text(string(t))
		case xml.Directive:
			return nil, fmt.Errorf("markup declaration")
		}
	}
}

func xmlAttrs(as []xml.Attr) []attr {
	out := make([]attr, 0, len(as))
	for _, a := range as {
		if a.Name.Space == "" {
			out = append(out, attr{a.Name.Local, a.Value})
		}
	}
	return out
}

// bodyAttrs keeps what XEP-0071 §7.8 recommends on <body/>: style (a
// single body carries no xml:lang of its own here).
func bodyAttrs(as []attr) []attr {
	if st := cleanStyle(attrOf(as, "style")); st != "" {
		return []attr{{"style", st}}
	}
	return nil
}

// The tree.

type attr struct{ key, val string }

func attrOf(as []attr, key string) string {
	for _, a := range as {
		if a.key == key {
			return a.val
		}
	}
	return ""
}

// xnode is an element of the profile (tag set) or a text node (tag "").
type xnode struct {
	tag      string
	text     []byte
	attrs    []attr
	kids     []*xnode
	implicit bool // opened to hold content a list cannot hold directly
	// spaceBefore: the collapsed space before the element was written
	// into the preceding text when it opened.
	spaceBefore bool
}

func isList(tag string) bool { return tag == "ul" || tag == "ol" }

// isFlow reports whether tag holds both blocks and inline content.
func isFlow(tag string) bool { return tag == "body" || tag == "blockquote" || tag == "li" }

func isBlockTag(tag string) bool {
	switch tag {
	case "p", "blockquote", "ul", "ol", "li":
		return true
	}
	return false
}

// elemKind says what happens to an input element.
type elemKind uint8

const (
	kUnwrap  elemKind = iota // ignored, content kept (XEP-0071 §12.2 criterion 4)
	kDrop                    // dropped with its content (XEP-0071 §11.1)
	kInline                  // a profile inline element, or mapped to one
	kBlock                   // p, blockquote, ul, ol, or mapped to one
	kItem                    // li
	kBreak                   // br
	kImage                   // img
	kGeneric                 // another block box: its edges are line breaks
	kCell                    // a table cell: separated from the next by a space
)

type elemSpec struct {
	kind  elemKind
	tag   string // the profile element it becomes
	style string // the style it implies
	inner string // an inline element opened inside tag (headings)
	pre   bool   // preformatted: white space kept (XEP-0071 §8 rule 9)
}

// specOf maps an (X)HTML element name to what the profile makes of it
// (XEP-0071 §7; §8 rule 7 prefers structural elements to styles).
func specOf(name string) elemSpec {
	switch name {
	case "a", "cite", "em", "span", "strong":
		return elemSpec{kind: kInline, tag: name}
	case "b":
		return elemSpec{kind: kInline, tag: "strong"}
	case "i", "var", "dfn":
		return elemSpec{kind: kInline, tag: "em"}
	case "u", "ins":
		return elemSpec{kind: kInline, tag: "span", style: "text-decoration: underline"}
	case "s", "strike", "del":
		return elemSpec{kind: kInline, tag: "span", style: "text-decoration: line-through"}
	case "code", "tt", "kbd", "samp":
		return elemSpec{kind: kInline, tag: "span", style: "font-family: monospace"}
	case "mark":
		return elemSpec{kind: kInline, tag: "span", style: "background-color: yellow"}
	case "font":
		return elemSpec{kind: kInline, tag: "span"}
	case "p", "blockquote", "ul", "ol":
		return elemSpec{kind: kBlock, tag: name}
	case "menu", "dir":
		return elemSpec{kind: kBlock, tag: "ul"}
	case "h1", "h2", "h3", "h4", "h5", "h6":
		return elemSpec{kind: kBlock, tag: "p", inner: "strong"}
	case "pre", "listing", "xmp", "plaintext":
		return elemSpec{kind: kBlock, tag: "p", style: "font-family: monospace", pre: true}
	case "li":
		return elemSpec{kind: kItem, tag: "li"}
	case "br":
		return elemSpec{kind: kBreak}
	case "img", "image":
		return elemSpec{kind: kImage}
	case "td", "th":
		return elemSpec{kind: kCell}
	case "html", "body", "div", "section", "article", "aside", "header", "footer", "nav", "main",
		"address", "center", "figure", "figcaption", "hgroup", "details", "summary", "dialog",
		"fieldset", "legend", "form", "table", "caption", "thead", "tbody", "tfoot", "tr",
		"dl", "dt", "dd", "hr", "search":
		return elemSpec{kind: kGeneric}
	case "script", "style", "template", "noscript", "noembed", "noframes", "title", "head",
		"object", "embed", "applet", "iframe", "frame", "frameset", "svg", "math", "canvas",
		"audio", "video", "source", "track", "select", "option", "optgroup", "textarea",
		"input", "button", "map", "area", "datalist", "param", "base", "link", "meta":
		return elemSpec{kind: kDrop}
	}
	return elemSpec{kind: kUnwrap}
}

// builder turns a stream of element starts, ends and text into the tree,
// keeping it within the profile's content model (flow in body, blockquote
// and li; inline only in p and inline elements; only li in lists) and
// laying out white space as a browser would (CSS 2.1 §16.6.1).
type builder struct {
	root     *xnode
	stack    []*xnode // open elements; stack[0] is root
	frames   []frame  // one per open input element
	elements int
	anchors  int // open <a/> elements: links do not nest
	pre      int // open preformatted elements
	preNL    int // newlines seen in preformatted text, not yet written

	lineHasContent bool // the current line has content
	pendingBreak   bool // a block edge was passed since that content
	pendingSpace   bool // collapsed white space to write before more content
}

// frame is one open input element: end pops the tree back to base.
// Elements above height were opened implicitly for content inside it.
type frame struct {
	base, height int
	generic      bool
	cell         bool
	pre          bool
	anchor       bool
}

func newBuilder() *builder {
	root := &xnode{tag: "body"}
	return &builder{root: root, stack: []*xnode{root}}
}

func (b *builder) top() *xnode { return b.stack[len(b.stack)-1] }

// start begins an input element; false means it is dropped with its
// content and end must not be called for it.
func (b *builder) start(name string, as []attr) bool {
	s := specOf(name)
	if s.kind == kDrop {
		return false
	}
	full := b.elements >= maxElements || len(b.stack) >= maxDepth
	f := frame{base: len(b.stack), pre: s.pre}
	switch s.kind {
	case kBreak:
		b.lineBreak()
	case kImage:
		b.image(as)
	case kCell:
		b.cellEdge()
		f.cell = true
	case kGeneric:
		b.softBreak()
		f.generic = true
	case kInline:
		if !full {
			b.openInline(name, s, as, &f)
		}
	case kBlock, kItem:
		k := placeBlock
		if s.kind == kItem {
			k = placeItem
		}
		if !full && b.place(k) {
			f.base = len(b.stack)
			var out []attr
			if st := cleanStyle(joinStyle(s.style, attrOf(as, "style"))); st != "" {
				out = []attr{{"style", st}}
			}
			b.open(s.tag, out, false)
			if s.inner != "" {
				b.open(s.inner, nil, false)
			}
		} else {
			// Not where the profile allows it: a block box all the same.
			b.softBreak()
			f.generic = true
			if s.inner != "" && !full {
				b.prepInline()
				f.base = len(b.stack)
				b.open(s.inner, nil, false)
			}
		}
	}
	if f.pre {
		b.pre++
	}
	f.height = len(b.stack)
	b.frames = append(b.frames, f)
	return true
}

// end ends the innermost input element start accepted.
func (b *builder) end() {
	if len(b.frames) == 0 {
		return
	}
	f := b.frames[len(b.frames)-1]
	b.frames = b.frames[:len(b.frames)-1]
	if f.pre {
		b.pre--
		b.preNL = 0
	}
	if f.anchor {
		b.anchors--
	}
	for len(b.stack) > f.base {
		b.pop()
	}
	switch {
	case f.generic:
		b.softBreak()
	case f.cell:
		b.cellEdge()
	}
}

// openInline opens the profile inline element for an input element, or
// leaves it unwrapped when it would carry nothing (a link without a safe
// target, a span without a style) or cannot nest (a link in a link).
func (b *builder) openInline(name string, s elemSpec, as []attr, f *frame) {
	style := attrOf(as, "style")
	if name == "font" {
		style = joinStyle(fontStyle(as), style)
	}
	style = cleanStyle(joinStyle(s.style, style))
	var out []attr
	switch s.tag {
	case "a":
		href, ok := cleanHref(attrOf(as, "href"))
		if !ok || b.anchors > 0 {
			return
		}
		out = append(out, attr{"href", href})
		if t := cleanType(attrOf(as, "type")); t != "" {
			out = append(out, attr{"type", t})
		}
		f.anchor = true
	case "em", "strong":
		style = "" // XEP-0071 §7.8: no attributes
	case "span":
		if style == "" {
			return
		}
	}
	if style != "" {
		out = append(out, attr{"style", style})
	}
	space := b.prepInline()
	f.base = len(b.stack)
	b.open(s.tag, out, false)
	b.top().spaceBefore = space
	if f.anchor {
		b.anchors++
	}
}

// fontStyle maps the attributes of HTML 3.2 <font/> to XEP-0071 §7.6.1
// styles.
func fontStyle(as []attr) string {
	var st []string
	if v := strings.TrimSpace(attrOf(as, "color")); cssValueOK(v) {
		st = append(st, "color: "+v)
	}
	if v := strings.TrimSpace(attrOf(as, "face")); cssValueOK(v) {
		st = append(st, "font-family: "+strings.Join(strings.Fields(v), " "))
	}
	// HTML 3.2 font sizes 1 to 7 (3 is the default).
	sizes := [...]string{"x-small", "small", "medium", "large", "x-large", "xx-large", "xx-large"}
	if n, err := strconv.Atoi(strings.TrimSpace(attrOf(as, "size"))); err == nil && n >= 1 && n <= 7 {
		st = append(st, "font-size: "+sizes[n-1])
	}
	return strings.Join(st, "; ")
}

func joinStyle(a, b string) string {
	switch {
	case a == "":
		return b
	case b == "":
		return a
	}
	return a + "; " + b
}

type placeKind uint8

const (
	placeInline placeKind = iota
	placeBlock
	placeItem
)

// canPop reports whether the top element was opened implicitly for the
// current input element's content (and so may be closed early).
func (b *builder) canPop() bool {
	h := 1
	if len(b.frames) > 0 {
		h = b.frames[len(b.frames)-1].height
	}
	return len(b.stack) > h
}

// place makes the top of the stack able to hold content of kind k,
// opening or closing implicit elements: content directly in a list goes
// into an implicit <li/>, an <li/> outside a list into an implicit <ul/>.
func (b *builder) place(k placeKind) bool {
	for range 4 {
		top := b.top()
		switch {
		case k == placeItem:
			if isList(top.tag) {
				return true
			}
			if top.implicit && top.tag == "li" && b.canPop() {
				b.pop()
				continue
			}
			if !isFlow(top.tag) {
				return false
			}
			b.open("ul", nil, true)
		case isList(top.tag):
			if top.implicit && b.canPop() {
				b.pop()
				continue
			}
			b.open("li", nil, true)
		case k == placeBlock:
			return isFlow(top.tag)
		default:
			return true
		}
	}
	return false
}

func (b *builder) open(tag string, as []attr, implicit bool) {
	n := &xnode{tag: tag, attrs: as, implicit: implicit}
	top := b.top()
	top.kids = append(top.kids, n)
	b.stack = append(b.stack, n)
	if !implicit {
		b.elements++
	}
	if isBlockTag(tag) {
		b.lineHasContent, b.pendingBreak, b.pendingSpace = false, false, false
	}
}

// pop closes the top element. An empty one is removed, leaving no trace:
// the space written before it is pending again, and so is the line break
// an empty block stood for.
func (b *builder) pop() {
	n := b.top()
	b.stack = b.stack[:len(b.stack)-1]
	block := isBlockTag(n.tag)
	if block {
		b.lineHasContent, b.pendingBreak, b.pendingSpace = false, false, false
	}
	if len(n.kids) > 0 {
		return
	}
	// Nothing was added to the parent while n was open.
	parent := b.top()
	parent.kids = parent.kids[:len(parent.kids)-1]
	k := len(parent.kids)
	switch {
	case k == 0:
	case block:
		if isInlineNode(parent.kids[k-1]) {
			b.lineHasContent, b.pendingBreak = true, true
		}
	case n.spaceBefore && parent.kids[k-1].tag == "":
		t := parent.kids[k-1]
		t.text = t.text[:len(t.text)-1]
		if len(t.text) == 0 {
			parent.kids = parent.kids[:k-1]
		}
		b.pendingSpace = true
	}
}

// isInlineNode reports text and elements that sit on a line.
func isInlineNode(n *xnode) bool {
	switch n.tag {
	case "", "img", "a", "cite", "em", "span", "strong":
		return true
	}
	return false
}

// appendVoid adds an element without content (br, img).
func (b *builder) appendVoid(tag string, as []attr) {
	top := b.top()
	top.kids = append(top.kids, &xnode{tag: tag, attrs: as})
}

func (b *builder) appendText(s string) {
	top := b.top()
	if n := len(top.kids); n > 0 && top.kids[n-1].tag == "" {
		top.kids[n-1].text = append(top.kids[n-1].text, s...)
		return
	}
	top.kids = append(top.kids, &xnode{text: []byte(s)})
}

// prepInline readies the tree for inline content: placed, the line
// broken after a block edge, collapsed white space written (space).
func (b *builder) prepInline() (space bool) {
	b.place(placeInline)
	if b.pendingBreak {
		if b.lineHasContent {
			b.appendVoid("br", nil)
			b.lineHasContent = false
		}
		b.pendingBreak = false
		b.pendingSpace = false
	}
	if b.pendingSpace {
		b.appendText(" ")
		b.pendingSpace = false
		return true
	}
	return false
}

// softBreak marks a block edge inside inline content: the line ends
// there if it has content.
func (b *builder) softBreak() {
	if b.lineHasContent {
		b.pendingBreak = true
	}
	b.pendingSpace = false
}

// lineBreak writes a <br/>.
func (b *builder) lineBreak() {
	b.pendingSpace = false
	b.prepInline()
	b.appendVoid("br", nil)
	b.lineHasContent = false
}

// cellEdge separates table cells by white space.
func (b *builder) cellEdge() {
	if b.lineHasContent {
		b.pendingSpace = true
	}
}

// image writes an <img/> with a safe source, else its alt text.
func (b *builder) image(as []attr) {
	alt := clip(strings.Join(strings.Fields(xmlSafe(attrOf(as, "alt"))), " "), maxAlt)
	src, ok := cleanSrc(attrOf(as, "src"))
	if !ok || len(b.stack) >= maxDepth {
		b.text(alt)
		return
	}
	b.prepInline()
	out := []attr{{"src", src}, {"alt", alt}}
	for _, k := range []string{"height", "width"} {
		if v := strings.TrimSpace(attrOf(as, k)); v != "" && len(v) <= 5 && strings.Trim(v, "0123456789") == "" {
			out = append(out, attr{k, v})
		}
	}
	if st := cleanStyle(attrOf(as, "style")); st != "" {
		out = append(out, attr{"style", st})
	}
	b.appendVoid("img", out)
	b.lineHasContent = true
}

// text adds character data: white space collapsed (CSS 2.1 §16.6.1
// white-space: normal), or kept in preformatted text as no-break spaces
// and line breaks (XEP-0071 §8 rule 9).
func (b *builder) text(s string) {
	s = xmlSafe(s)
	if b.pre > 0 {
		b.preText(s)
		return
	}
	for i := 0; i < len(s); {
		j := i
		if isHTMLSpace(s[i]) {
			for j < len(s) && isHTMLSpace(s[j]) {
				j++
			}
			if b.lineHasContent {
				b.pendingSpace = true
			}
		} else {
			for j < len(s) && !isHTMLSpace(s[j]) {
				j++
			}
			b.prepInline()
			b.appendText(s[i:j])
			b.lineHasContent = true
		}
		i = j
	}
}

func (b *builder) preText(s string) {
	s = strings.ReplaceAll(s, "\r\n", "\n")
	s = strings.ReplaceAll(s, "\r", "\n")
	for i, line := range strings.Split(s, "\n") {
		if i > 0 {
			b.preNL++
		}
		if line == "" {
			continue
		}
		for ; b.preNL > 0; b.preNL-- {
			b.lineBreak()
		}
		b.prepInline()
		b.appendText(nbspSpaces(line))
		b.lineHasContent = true
	}
}

// nbspSpaces keeps the white space of preformatted text: spaces become
// no-break spaces (a tab four), but for single spaces between words.
func nbspSpaces(s string) string {
	if !strings.ContainsAny(s, " \t") {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); {
		if s[i] != ' ' && s[i] != '\t' {
			j := i
			for j < len(s) && s[j] != ' ' && s[j] != '\t' {
				j++
			}
			b.WriteString(s[i:j])
			i = j
			continue
		}
		j := i
		for j < len(s) && (s[j] == ' ' || s[j] == '\t') {
			j++
		}
		if j-i == 1 && s[i] == ' ' && i > 0 && j < len(s) {
			b.WriteByte(' ')
		} else {
			for _, c := range []byte(s[i:j]) {
				if c == '\t' {
					b.WriteString("\u00a0\u00a0\u00a0\u00a0")
				} else {
					b.WriteString("\u00a0")
				}
			}
		}
		i = j
	}
	return b.String()
}

// isHTMLSpace reports ASCII white space, the characters CSS collapses.
func isHTMLSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

// finish returns the tree without empty elements.
func (b *builder) finish() *xnode {
	prune(b.root)
	return b.root
}

func prune(n *xnode) {
	kids := n.kids[:0]
	for _, k := range n.kids {
		if k.tag != "" {
			prune(k)
			if len(k.kids) == 0 && k.tag != "br" && k.tag != "img" {
				continue
			}
		}
		kids = append(kids, k)
	}
	n.kids = kids
}

// hasMarkup reports whether the tree says more than its text and line
// breaks.
func hasMarkup(n *xnode) bool {
	if len(n.attrs) > 0 {
		return true
	}
	for _, k := range n.kids {
		if k.tag != "" && k.tag != "br" {
			return true
		}
	}
	return false
}

// Attribute values.

// cleanHref returns a safe link target (XEP-0071 §11.1): an absolute URL
// with one of the schemes a message may link to.
func cleanHref(raw string) (string, bool) {
	u, p, ok := cleanURL(raw, maxURL)
	if !ok {
		return "", false
	}
	switch p.Scheme {
	case "http", "https":
		return u, p.Host != ""
	case "mailto", "xmpp", "sip", "sips", "tel":
		return u, true
	}
	return "", false
}

// cleanSrc returns a safe image source: an http or https URL, or a small
// data: URL of a raster image (XEP-0071 §7.5; SVG can hold script).
func cleanSrc(raw string) (string, bool) {
	u, p, ok := cleanURL(raw, maxDataURL)
	if !ok {
		return "", false
	}
	switch p.Scheme {
	case "http", "https":
		return u, p.Host != "" && len(u) <= maxURL
	case "data":
		for _, t := range []string{"image/png", "image/jpeg", "image/gif", "image/webp"} {
			if d, ok := cutPrefixFold(u, "data:"+t+";base64,"); ok && d != "" &&
				strings.Trim(d, "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/=") == "" {
				return u, true
			}
		}
	}
	return "", false
}

// cleanURL prepares an attribute URL as a browser reads it (WHATWG URL
// §4.4: surrounding controls and spaces stripped, tabs and newlines
// removed) and parses it; relative references are refused.
func cleanURL(raw string, max int) (string, *url.URL, bool) {
	raw = strings.TrimFunc(raw, func(r rune) bool { return r <= ' ' })
	raw = strings.Map(func(r rune) rune {
		switch {
		case r == '\t' || r == '\n' || r == '\r':
			return -1
		case r < ' ' || r == 0x7f || !xmlChar(r):
			return utf8.RuneError
		}
		return r
	}, raw)
	if raw == "" || len(raw) > max || strings.ContainsRune(raw, utf8.RuneError) {
		return "", nil, false
	}
	raw = strings.ReplaceAll(raw, " ", "%20")
	p, err := url.Parse(raw)
	if err != nil || p.Scheme == "" {
		return "", nil, false
	}
	return raw, p, true
}

func cutPrefixFold(s, prefix string) (string, bool) {
	if len(s) >= len(prefix) && strings.EqualFold(s[:len(prefix)], prefix) {
		return s[len(prefix):], true
	}
	return s, false
}

// cleanType returns a link's media type hint (XEP-0071 §7.7.2) when it is
// one.
func cleanType(v string) string {
	if v == "" || len(v) > 128 {
		return ""
	}
	mt, _, err := mime.ParseMediaType(v)
	if err != nil || !strings.Contains(mt, "/") {
		return ""
	}
	return mt
}

// cleanStyle keeps the declarations of a style attribute whose property
// is one of the ten XEP-0071 §7.6.1 recommends and whose value is plain
// (cssValueOK), written "property: value" and joined by "; ".
func cleanStyle(s string) string {
	var out []string
	for s != "" && len(out) < maxDecls {
		var decl string
		decl, s = cutDecl(s)
		name, value, ok := strings.Cut(decl, ":")
		if !ok {
			continue
		}
		name = strings.ToLower(strings.TrimSpace(name))
		switch name {
		case "background-color", "color", "font-family", "font-size", "font-style",
			"font-weight", "margin-left", "margin-right", "text-align", "text-decoration":
		default:
			continue
		}
		value = strings.TrimSpace(value)
		if v, ok := cutSuffixFold(value, "!important"); ok {
			value = strings.TrimSpace(v)
		}
		if !cssValueOK(value) {
			continue
		}
		out = append(out, name+": "+strings.Join(strings.Fields(value), " "))
	}
	return strings.Join(out, "; ")
}

func cutSuffixFold(s, suffix string) (string, bool) {
	if len(s) >= len(suffix) && strings.EqualFold(s[len(s)-len(suffix):], suffix) {
		return s[:len(s)-len(suffix)], true
	}
	return s, false
}

// cutDecl splits off the first declaration at a semicolon outside quotes
// and parentheses.
func cutDecl(s string) (decl, rest string) {
	var quote byte
	depth := 0
	for i := 0; i < len(s); i++ {
		c := s[i]
		switch {
		case quote != 0:
			if c == quote {
				quote = 0
			}
		case c == '"' || c == '\'':
			quote = c
		case c == '(':
			depth++
		case c == ')':
			depth--
		case c == ';' && depth <= 0:
			return s[:i], s[i+1:]
		}
	}
	return s, ""
}

// cssValueOK reports whether a CSS value is plain: keywords, numbers,
// lengths, percentages, #colours, quoted or bare font names and the colour
// functions rgb(), rgba(), hsl() and hsla(). Anything else, in particular
// url(), expression(), var(), escapes, comments and at-rules, is refused.
func cssValueOK(v string) bool {
	if v == "" || len(v) > maxCSSValue {
		return false
	}
	var quote rune
	inFunc := false
	for i, r := range v {
		switch {
		case r == '"' || r == '\'':
			switch quote {
			case 0:
				quote = r
			case r:
				quote = 0
			}
		case r == '(':
			if inFunc || quote != 0 {
				return false
			}
			fn := strings.ToLower(v[strings.LastIndexFunc(v[:i], func(r rune) bool { return !isIdentRune(r) })+1 : i])
			switch fn {
			case "rgb", "rgba", "hsl", "hsla":
			default:
				return false
			}
			inFunc = true
		case r == ')':
			if !inFunc || quote != 0 {
				return false
			}
			inFunc = false
		case unicode.IsLetter(r), unicode.IsDigit(r), r == ' ', r == '\t', r == '\n':
		case strings.ContainsRune("#%.,-+_", r):
		default:
			return false
		}
	}
	return quote == 0 && !inFunc
}

func isIdentRune(r rune) bool {
	return r == '-' || r == '_' || (r >= 'a' && r <= 'z') || (r >= 'A' && r <= 'Z') || (r >= '0' && r <= '9')
}

// xmlChar reports whether r may appear in XML 1.0 (§2.2 Char).
func xmlChar(r rune) bool {
	return r == 0x09 || r == 0x0A || r == 0x0D ||
		(r >= 0x20 && r <= 0xD7FF) || (r >= 0xE000 && r <= 0xFFFD) || (r >= 0x10000 && r <= 0x10FFFF)
}

// xmlSafe drops the characters XML cannot carry.
func xmlSafe(s string) string {
	for _, r := range s {
		if !xmlChar(r) {
			return strings.Map(func(r rune) rune {
				if xmlChar(r) {
					return r
				}
				return -1
			}, s)
		}
	}
	return s
}

// clip cuts s to at most n bytes on a character boundary.
func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

// Writing the tree.

// writeXHTML writes the XHTML-IM <body/> (XEP-0071 §5): only the five
// predefined entities are used (§8 rule 5).
func writeXHTML(b *strings.Builder, root *xnode) {
	b.WriteString(`<body xmlns="` + nsXHTML + `"`)
	writeAttrs(b, root.attrs)
	b.WriteByte('>')
	for _, k := range root.kids {
		writeNode(b, k)
	}
	b.WriteString("</body>")
}

// writeNode writes a node as markup that is both well-formed XML and
// HTML (void elements self-closed).
func writeNode(b *strings.Builder, n *xnode) {
	if n.tag == "" {
		escapeMarkup(b, string(n.text), false)
		return
	}
	b.WriteByte('<')
	b.WriteString(n.tag)
	writeAttrs(b, n.attrs)
	if n.tag == "br" || n.tag == "img" {
		b.WriteString("/>")
		return
	}
	b.WriteByte('>')
	for _, k := range n.kids {
		writeNode(b, k)
	}
	b.WriteString("</")
	b.WriteString(n.tag)
	b.WriteByte('>')
}

func writeAttrs(b *strings.Builder, as []attr) {
	for _, a := range as {
		b.WriteByte(' ')
		b.WriteString(a.key)
		b.WriteString(`="`)
		escapeMarkup(b, a.val, true)
		b.WriteByte('"')
	}
}

func escapeMarkup(b *strings.Builder, s string, inAttr bool) {
	for _, r := range s {
		switch {
		case r == '&':
			b.WriteString("&amp;")
		case r == '<':
			b.WriteString("&lt;")
		case r == '>':
			b.WriteString("&gt;")
		case r == '"' && inAttr:
			b.WriteString("&quot;")
		case (r == '\t' || r == '\n' || r == '\r') && inAttr:
			b.WriteString("&#" + strconv.Itoa(int(r)) + ";")
		case xmlChar(r):
			b.WriteRune(r)
		}
	}
}

// Plain text.

// textWriter renders the tree as text the way a browser's innerText does
// (the HTML Standard's innerText: a blank line around paragraphs, a line break around
// other blocks), with list markers and quote prefixes as mail readers
// write them.
type textWriter struct {
	b          strings.Builder
	prefix     []linePrefix
	pendingNL  int // line breaks owed before the next content
	started    bool
	lineStart  bool
	lastIndent string // the indentation of the last line with content
}

// linePrefix is what one list item or quote puts before its lines: its
// marker on the first, indent on the others.
type linePrefix struct{ indent, marker string }

func renderText(root *xnode) string {
	w := textWriter{lineStart: true}
	w.kids(root)
	lines := strings.Split(w.b.String(), "\n")
	for i, l := range lines {
		lines[i] = strings.TrimRight(l, " \t")
	}
	return strings.Trim(strings.Join(lines, "\n"), "\n")
}

func (w *textWriter) kids(n *xnode) {
	for _, k := range n.kids {
		w.node(k)
	}
}

func (w *textWriter) node(n *xnode) {
	switch n.tag {
	case "":
		w.emit(strings.ReplaceAll(string(n.text), "\u00a0", " "))
	case "br":
		w.pendingNL++
	case "p":
		w.breaks(2)
		w.kids(n)
		w.breaks(2)
	case "blockquote":
		w.breaks(1)
		w.prefix = append(w.prefix, linePrefix{indent: "> "})
		w.kids(n)
		w.prefix = w.prefix[:len(w.prefix)-1]
		w.breaks(1)
	case "ul", "ol":
		w.breaks(1)
		i := 0
		for _, k := range n.kids {
			if k.tag != "li" {
				w.node(k)
				continue
			}
			i++
			marker := "- "
			if n.tag == "ol" {
				marker = strconv.Itoa(i) + ". "
			}
			w.breaks(1)
			w.prefix = append(w.prefix, linePrefix{indent: strings.Repeat(" ", len(marker)), marker: marker})
			w.kids(k)
			w.prefix = w.prefix[:len(w.prefix)-1]
			w.breaks(1)
		}
		w.breaks(1)
	case "img":
		alt, src := attrOf(n.attrs, "alt"), attrOf(n.attrs, "src")
		if _, data := cutPrefixFold(src, "data:"); !data {
			if alt != "" {
				alt += " "
			}
			alt += "<" + src + ">"
		}
		w.emit(alt)
	case "a":
		w.kids(n)
		href := attrOf(n.attrs, "href")
		label := plainOf(n)
		switch {
		case label == "":
			w.emit("<" + href + ">")
		case !sameLink(label, href):
			w.emit(" <" + href + ">")
		}
	default:
		w.kids(n)
	}
}

func (w *textWriter) breaks(n int) {
	if w.pendingNL < n {
		w.pendingNL = n
	}
}

func (w *textWriter) indent() string {
	var b strings.Builder
	for _, p := range w.prefix {
		b.WriteString(p.indent)
	}
	return b.String()
}

func (w *textWriter) emit(s string) {
	if s == "" {
		return
	}
	if w.pendingNL > 0 && w.started {
		w.b.WriteByte('\n')
		blank := strings.TrimRight(commonPrefix(w.lastIndent, w.indent()), " ")
		for i := 1; i < w.pendingNL; i++ {
			w.b.WriteString(blank)
			w.b.WriteByte('\n')
		}
		w.lineStart = true
	}
	w.pendingNL = 0
	if w.lineStart {
		for i := range w.prefix {
			p := &w.prefix[i]
			if p.marker != "" {
				w.b.WriteString(p.marker)
				p.marker = ""
			} else {
				w.b.WriteString(p.indent)
			}
		}
		w.lastIndent = w.indent()
		w.lineStart = false
	}
	w.b.WriteString(s)
	w.started = true
}

func commonPrefix(a, b string) string {
	n := min(len(a), len(b))
	for i := 0; i < n; i++ {
		if a[i] != b[i] {
			return a[:i]
		}
	}
	return a[:n]
}

// plainOf returns the text inside n, for comparing a link's label with
// its target.
func plainOf(n *xnode) string {
	var b strings.Builder
	var walk func(*xnode)
	walk = func(n *xnode) {
		for _, k := range n.kids {
			switch k.tag {
			case "":
				b.Write(k.text)
			case "img":
				b.WriteString(attrOf(k.attrs, "alt"))
			default:
				walk(k)
			}
		}
	}
	walk(n)
	return strings.TrimSpace(strings.ReplaceAll(b.String(), "\u00a0", " "))
}

// sameLink reports whether a link's label already says its target
// ("https://example.com/" for https://example.com, "bob@example.com" for
// mailto:bob@example.com).
func sameLink(label, href string) bool {
	if strings.EqualFold(label, href) {
		return true
	}
	for _, scheme := range []string{"mailto:", "xmpp:", "sip:", "sips:", "tel:"} {
		if h, ok := cutPrefixFold(href, scheme); ok {
			return strings.EqualFold(label, h)
		}
	}
	bare := func(u string) string {
		if v, ok := cutPrefixFold(u, "https://"); ok {
			u = v
		} else if v, ok := cutPrefixFold(u, "http://"); ok {
			u = v
		}
		return strings.TrimSuffix(u, "/")
	}
	return strings.EqualFold(bare(label), bare(href))
}
