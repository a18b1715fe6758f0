package simple

import (
	"strconv"
	"time"
)

// ContentTypeIsComposing is the media type of isComposing status messages
// (RFC 3994 §8.1).
const ContentTypeIsComposing = "application/im-iscomposing+xml"

// nsIsComposing is the namespace of isComposing documents (RFC 3994 §6).
const nsIsComposing = "urn:ietf:params:xml:ns:im-iscomposing"

// Composing states (RFC 3994 §3.1).
const (
	StateActive = "active"
	StateIdle   = "idle"
)

// IsComposing is an isComposing status message (RFC 3994 §3.4, §6.1).
type IsComposing struct {
	// State is StateActive or StateIdle. Parsing maps any other token to
	// StateIdle, as RFC 3994 §3.5 requires.
	State string
	// LastActive is when the user last added or edited content (§3.5);
	// zero if absent.
	LastActive time.Time
	// ContentType is the kind of content being composed, a media type
	// ("audio") or type/subtype ("text/html"); "" if absent.
	ContentType string
	// Refresh is the active-state refresh interval in seconds (§3.2); 0 if
	// absent (the receiver then assumes 120 s).
	Refresh int
}

// ParseIsComposing parses an application/im-iscomposing+xml document. The
// <state> element is required; elements of other namespaces are ignored,
// unknown elements of the isComposing namespace are an error (§3.5: adding
// them is not permitted).
func ParseIsComposing(b []byte) (*IsComposing, error) {
	const codec = "iscomposing"
	r := newXMLReader(codec, b)
	if _, err := r.root(nsIsComposing, "isComposing"); err != nil {
		return nil, err
	}
	c := &IsComposing{}
	var state, last, ctype, refresh bool
	for {
		se, ok, err := r.next()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		if se.Name.Space != nsIsComposing {
			if err := r.skip(); err != nil {
				return nil, err
			}
			continue
		}
		var seen *bool
		switch se.Name.Local {
		case "state":
			seen = &state
		case "lastactive":
			seen = &last
		case "contenttype":
			seen = &ctype
		case "refresh":
			seen = &refresh
		default:
			return nil, malformed(codec, "unknown element <"+se.Name.Local+">")
		}
		if *seen {
			return nil, malformed(codec, "repeated <"+se.Name.Local+">")
		}
		*seen = true
		s, err := r.text(se.Name.Local)
		if err != nil {
			return nil, err
		}
		s = collapse(s)
		switch se.Name.Local {
		case "state":
			c.State = StateIdle
			if s == StateActive {
				c.State = StateActive
			}
		case "lastactive":
			if c.LastActive, err = parseTime(codec, "<lastactive>", s); err != nil {
				return nil, err
			}
		case "contenttype":
			c.ContentType = s
		case "refresh":
			// xs:positiveInteger; bounded to what an int32 holds.
			n, err := strconv.ParseInt(s, 10, 32)
			if err != nil || n <= 0 {
				return nil, malformed(codec, "<refresh> is not a positive integer")
			}
			c.Refresh = int(n)
		}
	}
	if err := r.finish(); err != nil {
		return nil, err
	}
	if !state {
		return nil, malformed(codec, "no <state>")
	}
	return c, nil
}

// Marshal encodes c as an application/im-iscomposing+xml document. It
// returns an error wrapping ErrInvalid if State is not active or idle,
// Refresh is negative or beyond 2^31-1, or ContentType is text XML cannot
// carry.
func (c *IsComposing) Marshal() ([]byte, error) {
	const codec = "iscomposing"
	if c.State != StateActive && c.State != StateIdle {
		return nil, invalid(codec, "state is neither active nor idle")
	}
	if c.Refresh < 0 || c.Refresh > 1<<31-1 {
		return nil, invalid(codec, "refresh out of range")
	}
	w := &xmlWriter{codec: codec, b: make([]byte, 0, 192)}
	w.raw(xmlHeader)
	w.raw(`<isComposing xmlns="` + nsIsComposing + `">`)
	w.elem("state", c.State)
	if !c.LastActive.IsZero() {
		w.time("lastactive", c.LastActive)
	}
	if c.ContentType != "" {
		w.elem("contenttype", c.ContentType)
	}
	if c.Refresh > 0 {
		w.raw("<refresh>" + strconv.Itoa(c.Refresh) + "</refresh>")
	}
	w.raw("</isComposing>\n")
	return w.result()
}
