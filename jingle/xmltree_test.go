package jingle

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"sort"
	"strings"
	"testing"
)

// node is an XML element reduced to what matters semantically: names
// with namespaces, attributes (without namespace declarations), trimmed
// text and children in order.
type node struct {
	name  xml.Name
	attrs map[xml.Name]string
	text  string
	kids  []*node
}

// parseTree returns the first element of data whose local name is root
// (anywhere in the document), or the document element when root is "".
func parseTree(t testing.TB, data []byte, root string) *node {
	t.Helper()
	d := xml.NewDecoder(bytes.NewReader(data))
	var stack []*node
	var found *node
	for {
		tok, err := d.Token()
		if err != nil {
			break
		}
		switch tk := tok.(type) {
		case xml.StartElement:
			n := &node{name: tk.Name, attrs: map[xml.Name]string{}}
			for _, a := range tk.Attr {
				if a.Name.Space == "xmlns" || a.Name.Local == "xmlns" && a.Name.Space == "" {
					continue
				}
				n.attrs[a.Name] = a.Value
			}
			if len(stack) > 0 {
				p := stack[len(stack)-1]
				p.kids = append(p.kids, n)
			} else if found == nil && (root == "" || tk.Name.Local == root) {
				found = n
				stack = append(stack, n)
				continue
			}
			if len(stack) > 0 {
				stack = append(stack, n)
			}
		case xml.EndElement:
			if len(stack) > 0 {
				stack = stack[:len(stack)-1]
				if len(stack) == 0 && found != nil {
					return found
				}
			}
		case xml.CharData:
			if len(stack) > 0 {
				n := stack[len(stack)-1]
				n.text += strings.TrimSpace(string(tk))
			}
		}
	}
	if found == nil {
		t.Fatalf("no <%s/> in %q", root, data)
	}
	return found
}

// diffTree returns "" when a and b are equal, otherwise the first
// difference with its path.
func diffTree(a, b *node, path string) string {
	path += "/" + a.name.Local
	if a.name != b.name {
		return fmt.Sprintf("%s: name %v != %v", path, a.name, b.name)
	}
	if a.text != b.text {
		return fmt.Sprintf("%s: text %q != %q", path, a.text, b.text)
	}
	keys := map[xml.Name]bool{}
	for k := range a.attrs {
		keys[k] = true
	}
	for k := range b.attrs {
		keys[k] = true
	}
	var names []string
	for k := range keys {
		if a.attrs[k] != b.attrs[k] {
			names = append(names, fmt.Sprintf("@%s %q != %q", k.Local, a.attrs[k], b.attrs[k]))
		}
	}
	if len(names) > 0 {
		sort.Strings(names)
		return path + ": " + strings.Join(names, ", ")
	}
	if len(a.kids) != len(b.kids) {
		return fmt.Sprintf("%s: %d children != %d (%s vs %s)", path, len(a.kids), len(b.kids), kidNames(a), kidNames(b))
	}
	for i := range a.kids {
		if d := diffTree(a.kids[i], b.kids[i], path); d != "" {
			return d
		}
	}
	return ""
}

func kidNames(n *node) string {
	var s []string
	for _, k := range n.kids {
		s = append(s, k.name.Local)
	}
	return strings.Join(s, ",")
}
