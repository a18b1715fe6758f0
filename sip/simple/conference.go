package simple

import (
	"encoding/xml"
	"strconv"
)

// ContentTypeConferenceInfo is the media type of conference documents
// (RFC 4575 §9.2).
const ContentTypeConferenceInfo = "application/conference-info+xml"

// nsConferenceInfo is the namespace of conference documents (RFC 4575
// §4.2).
const nsConferenceInfo = "urn:ietf:params:xml:ns:conference-info"

// nsXCON is the namespace of the XCON extensions (RFC 6501 §4), of which
// the user's nickname attribute is used (RFC 7701 §7.4).
const nsXCON = "urn:ietf:params:xml:ns:xcon-conference-info"

// Element states of the partial notification mechanism (RFC 4575 §4.4).
const (
	ConferenceFull    = "full"
	ConferencePartial = "partial"
	ConferenceDeleted = "deleted"
)

// ConferenceInfo is a conference document (RFC 4575 §5), reduced to what
// the RFC 7702 §5 participant list mapping uses: the conference
// description, and the users with their endpoints and media. Host info,
// conference state, sidebars, URIs lists, joining and disconnection
// details and call info are ignored when parsing.
//
// State attributes default to "full" (§4.4): parsing sets them, Marshal
// omits "full" below the root.
type ConferenceInfo struct {
	// Entity is the conference URI (required).
	Entity string
	// State is the document's state: ConferenceFull, ConferencePartial or
	// ConferenceDeleted.
	State string
	// Version orders the documents of one subscription (required, §5.2).
	Version uint32
	// Description is <conference-description>, nil if absent.
	Description *ConferenceDescription
	// Users is <users>, nil if absent (in a partial document: no change).
	Users *ConferenceUsers
}

// ConferenceDescription is <conference-description> (§5.3).
type ConferenceDescription struct {
	DisplayText, Subject, FreeText, Keywords string
	// MaximumUserCount is <maximum-user-count>, 0 if absent.
	MaximumUserCount int64
}

// ConferenceUsers is <users> (§5.6).
type ConferenceUsers struct {
	State string
	// Users are the participants, each Entity once (at most
	// MaxConferenceUsers).
	Users []ConferenceUser
}

// ConferenceUser is a <user> (§5.6).
type ConferenceUser struct {
	// Entity is the user's URI, the key among users (required).
	Entity, State, DisplayText string
	// Nickname is the xcon:nickname attribute (RFC 7701 §7.4, RFC 6501
	// §4.6.5): the user's nickname in an MSRP chat room.
	Nickname string
	// AssociatedAORs are the URIs of <associated-aors> (§5.6.2); RFC 7702
	// §5 maps an xmpp: one to the occupant's full JID.
	AssociatedAORs []string
	// Roles are the <roles> entries (§5.6.3), such as "participant".
	Roles []string
	// Endpoints are the user's endpoints, each Entity once (at most
	// MaxConferenceEndpoints).
	Endpoints []ConferenceEndpoint
}

// ConferenceEndpoint is an <endpoint> (§5.7).
type ConferenceEndpoint struct {
	// Entity is the endpoint's URI, the key among the user's endpoints
	// (required).
	Entity, State, DisplayText string
	// Status is one of the §5.7.3 values (connected, disconnected,
	// on-hold, muted-via-focus, pending, alerting, dialing-in,
	// dialing-out, disconnecting), "" if absent or unknown.
	Status string
	// Media are the endpoint's media streams, each ID once (at most
	// MaxConferenceMedia).
	Media []ConferenceMedia
}

// ConferenceMedia is an endpoint's <media> (§5.8).
type ConferenceMedia struct {
	// ID is the key among the endpoint's media (required).
	ID, DisplayText string
	// Type is the SDP media type ("audio", "message", ...).
	Type, Label, SrcID string
	// Status is sendrecv, sendonly, recvonly or inactive, "" if absent or
	// unknown.
	Status string
}

// maxConferenceList bounds <roles> and <associated-aors> entries per user.
const maxConferenceList = 16

func isConferenceState(s string) bool {
	return s == ConferenceFull || s == ConferencePartial || s == ConferenceDeleted
}

func isEndpointStatus(s string) bool {
	switch s {
	case "connected", "disconnected", "on-hold", "muted-via-focus", "pending",
		"alerting", "dialing-in", "dialing-out", "disconnecting":
		return true
	}
	return false
}

func isMediaStatus(s string) bool {
	return s == "sendrecv" || s == "sendonly" || s == "recvonly" || s == "inactive"
}

// confReader reads the elements of one conference document, all in the
// namespace of its root.
type confReader struct {
	*xmlReader
	ns string
}

// ParseConferenceInfo parses an application/conference-info+xml document.
// The root must be <conference-info> with an entity and a version; its
// namespace must be the RFC 4575 one, or none at all (the RFC 7702 §5
// examples omit it), and the elements read are taken in the root's
// namespace. Keys must be unique among siblings (§4.5) and state
// attributes one of full, partial, deleted. Unknown elements are ignored.
func ParseConferenceInfo(b []byte) (*ConferenceInfo, error) {
	const codec = "conference-info"
	r := newXMLReader(codec, b)
	root, err := r.rootIn("conference-info", nsConferenceInfo, "")
	if err != nil {
		return nil, err
	}
	cr := confReader{xmlReader: r, ns: root.Name.Space}
	ci := &ConferenceInfo{}
	entity, _ := attr(root, "", "entity")
	if ci.Entity = collapse(entity); ci.Entity == "" {
		return nil, malformed(codec, "<conference-info> without entity")
	}
	if ci.State, err = cr.state(root); err != nil {
		return nil, err
	}
	v, ok := attr(root, "", "version")
	n, perr := strconv.ParseUint(collapse(v), 10, 32)
	if !ok || perr != nil {
		return nil, malformed(codec, "<conference-info> without a valid version")
	}
	ci.Version = uint32(n)
	for {
		se, ok, err := cr.child()
		if err != nil {
			return nil, err
		}
		if !ok {
			break
		}
		switch se.Name.Local {
		case "conference-description":
			if ci.Description != nil {
				return nil, malformed(codec, "more than one <conference-description>")
			}
			if ci.Description, err = cr.description(); err != nil {
				return nil, err
			}
		case "users":
			if ci.Users != nil {
				return nil, malformed(codec, "more than one <users>")
			}
			if ci.Users, err = cr.users(se); err != nil {
				return nil, err
			}
		default:
			if err := cr.skip(); err != nil {
				return nil, err
			}
		}
	}
	if err := r.finish(); err != nil {
		return nil, err
	}
	return ci, nil
}

// child returns the next child element in the document's namespace,
// skipping the others.
func (r confReader) child() (xml.StartElement, bool, error) {
	for {
		se, ok, err := r.next()
		if err != nil || !ok {
			return se, ok, err
		}
		if se.Name.Space == r.ns {
			return se, true, nil
		}
		if err := r.skip(); err != nil {
			return se, false, err
		}
	}
}

// state returns the state attribute of se, "full" if absent.
func (r confReader) state(se xml.StartElement) (string, error) {
	s, ok := attr(se, "", "state")
	if !ok {
		return ConferenceFull, nil
	}
	if s = collapse(s); !isConferenceState(s) {
		return "", malformed(r.codec, "bad state attribute")
	}
	return s, nil
}

// key returns the required key attribute name of se (§4.5).
func (r confReader) key(se xml.StartElement, name string) (string, error) {
	k, _ := attr(se, "", name)
	if k = collapse(k); k == "" {
		return "", malformed(r.codec, "<"+se.Name.Local+"> without "+name)
	}
	return k, nil
}

// fields reads simple-typed children into the strings named by set, which
// returns nil for a name it does not know (the element is then skipped).
// Each name may appear once.
func (r confReader) fields(set func(name string) *string) error {
	seen := 0
	var names [8]string
	for {
		se, ok, err := r.child()
		if err != nil {
			return err
		}
		if !ok {
			return nil
		}
		p := set(se.Name.Local)
		if p == nil {
			if err := r.skip(); err != nil {
				return err
			}
			continue
		}
		for _, n := range names[:seen] {
			if n == se.Name.Local {
				return malformed(r.codec, "repeated <"+n+">")
			}
		}
		if seen < len(names) {
			names[seen] = se.Name.Local
			seen++
		}
		if *p, err = r.text(se.Name.Local); err != nil {
			return err
		}
	}
}

func (r confReader) description() (*ConferenceDescription, error) {
	d := &ConferenceDescription{}
	var max string
	err := r.fields(func(name string) *string {
		switch name {
		case "display-text":
			return &d.DisplayText
		case "subject":
			return &d.Subject
		case "free-text":
			return &d.FreeText
		case "keywords":
			return &d.Keywords
		case "maximum-user-count":
			return &max
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	if max != "" {
		n, err := strconv.ParseUint(collapse(max), 10, 32)
		if err != nil {
			return nil, malformed(r.codec, "bad <maximum-user-count>")
		}
		d.MaximumUserCount = int64(n)
	}
	return d, nil
}

func (r confReader) users(se xml.StartElement) (*ConferenceUsers, error) {
	us := &ConferenceUsers{}
	var err error
	if us.State, err = r.state(se); err != nil {
		return nil, err
	}
	for {
		c, ok, err := r.child()
		if err != nil {
			return nil, err
		}
		if !ok {
			return us, nil
		}
		if c.Name.Local != "user" {
			if err := r.skip(); err != nil {
				return nil, err
			}
			continue
		}
		if len(us.Users) == MaxConferenceUsers {
			return nil, overLimit(r.codec, "too many users")
		}
		u, err := r.user(c)
		if err != nil {
			return nil, err
		}
		for i := range us.Users {
			if us.Users[i].Entity == u.Entity {
				return nil, malformed(r.codec, "duplicate user entity")
			}
		}
		us.Users = append(us.Users, u)
	}
}

func (r confReader) user(se xml.StartElement) (ConferenceUser, error) {
	var u ConferenceUser
	var err error
	if u.Entity, err = r.key(se, "entity"); err != nil {
		return u, err
	}
	if u.State, err = r.state(se); err != nil {
		return u, err
	}
	for _, a := range se.Attr {
		if a.Name.Space == nsXCON && a.Name.Local == "nickname" {
			u.Nickname = a.Value
		}
	}
	display := false
	for {
		c, ok, err := r.child()
		if err != nil {
			return u, err
		}
		if !ok {
			return u, nil
		}
		switch c.Name.Local {
		case "display-text":
			if display {
				return u, malformed(r.codec, "repeated <display-text>")
			}
			display = true
			if u.DisplayText, err = r.text("display-text"); err != nil {
				return u, err
			}
		case "associated-aors":
			if u.AssociatedAORs, err = r.entries(u.AssociatedAORs, true); err != nil {
				return u, err
			}
		case "roles":
			if u.Roles, err = r.entries(u.Roles, false); err != nil {
				return u, err
			}
		case "endpoint":
			if len(u.Endpoints) == MaxConferenceEndpoints {
				return u, overLimit(r.codec, "too many endpoints")
			}
			e, err := r.endpoint(c)
			if err != nil {
				return u, err
			}
			for i := range u.Endpoints {
				if u.Endpoints[i].Entity == e.Entity {
					return u, malformed(r.codec, "duplicate endpoint entity")
				}
			}
			u.Endpoints = append(u.Endpoints, e)
		default:
			if err := r.skip(); err != nil {
				return u, err
			}
		}
	}
}

// entries reads the <entry> children of <roles> (text) or of
// <associated-aors> (uris: the <uri> of each entry, §5.6.2).
func (r confReader) entries(list []string, uris bool) ([]string, error) {
	for {
		c, ok, err := r.child()
		if err != nil {
			return nil, err
		}
		if !ok {
			return list, nil
		}
		if c.Name.Local != "entry" {
			if err := r.skip(); err != nil {
				return nil, err
			}
			continue
		}
		if !uris {
			s, err := r.text("entry")
			if err != nil {
				return nil, err
			}
			if list, err = r.appendEntry(list, s); err != nil {
				return nil, err
			}
			continue
		}
		for {
			u, ok, err := r.child()
			if err != nil {
				return nil, err
			}
			if !ok {
				break
			}
			if u.Name.Local != "uri" {
				if err := r.skip(); err != nil {
					return nil, err
				}
				continue
			}
			s, err := r.text("uri")
			if err != nil {
				return nil, err
			}
			if list, err = r.appendEntry(list, s); err != nil {
				return nil, err
			}
		}
	}
}

func (r confReader) appendEntry(list []string, s string) ([]string, error) {
	if len(list) == maxConferenceList {
		return nil, overLimit(r.codec, "too many roles or associated AORs")
	}
	if s = collapse(s); s == "" {
		return nil, malformed(r.codec, "empty roles or associated-aors entry")
	}
	return append(list, s), nil
}

func (r confReader) endpoint(se xml.StartElement) (ConferenceEndpoint, error) {
	var e ConferenceEndpoint
	var err error
	if e.Entity, err = r.key(se, "entity"); err != nil {
		return e, err
	}
	if e.State, err = r.state(se); err != nil {
		return e, err
	}
	var display, status bool
	for {
		c, ok, err := r.child()
		if err != nil {
			return e, err
		}
		if !ok {
			return e, nil
		}
		switch c.Name.Local {
		case "display-text", "status":
			seen := &display
			if c.Name.Local == "status" {
				seen = &status
			}
			if *seen {
				return e, malformed(r.codec, "repeated <"+c.Name.Local+"> in <endpoint>")
			}
			*seen = true
			s, err := r.text(c.Name.Local)
			if err != nil {
				return e, err
			}
			if c.Name.Local == "display-text" {
				e.DisplayText = s
			} else if s = collapse(s); isEndpointStatus(s) {
				e.Status = s
			}
		case "media":
			if len(e.Media) == MaxConferenceMedia {
				return e, overLimit(r.codec, "too many media")
			}
			m := ConferenceMedia{}
			if m.ID, err = r.key(c, "id"); err != nil {
				return e, err
			}
			for i := range e.Media {
				if e.Media[i].ID == m.ID {
					return e, malformed(r.codec, "duplicate media id")
				}
			}
			err := r.fields(func(name string) *string {
				switch name {
				case "display-text":
					return &m.DisplayText
				case "type":
					return &m.Type
				case "label":
					return &m.Label
				case "src-id":
					return &m.SrcID
				case "status":
					return &m.Status
				}
				return nil
			})
			if err != nil {
				return e, err
			}
			m.Type, m.Label, m.SrcID = collapse(m.Type), collapse(m.Label), collapse(m.SrcID)
			if m.Status = collapse(m.Status); !isMediaStatus(m.Status) {
				m.Status = ""
			}
			e.Media = append(e.Media, m)
		default:
			if err := r.skip(); err != nil {
				return e, err
			}
		}
	}
}

// Marshal encodes ci as an application/conference-info+xml document in the
// RFC 4575 namespace. It returns an error wrapping ErrInvalid for a
// missing entity or key, a root State that is not full, partial or
// deleted, an unknown state or status below it, duplicate keys, counts
// beyond the limits, or text XML cannot carry.
func (ci *ConferenceInfo) Marshal() ([]byte, error) {
	const codec = "conference-info"
	if ci.Entity == "" || !isConferenceState(ci.State) {
		return nil, invalid(codec, "missing entity or bad state")
	}
	w := &xmlWriter{codec: codec, b: make([]byte, 0, 512)}
	w.raw(xmlHeader)
	w.raw(`<conference-info xmlns="` + nsConferenceInfo + `"`)
	if ci.hasNicknames() {
		w.raw(` xmlns:xcon="` + nsXCON + `"`)
	}
	w.attr("entity", ci.Entity)
	w.attr("state", ci.State)
	w.raw(` version="` + strconv.FormatUint(uint64(ci.Version), 10) + `">` + "\n")
	if d := ci.Description; d != nil {
		if d.MaximumUserCount < 0 || d.MaximumUserCount > 1<<32-1 {
			return nil, invalid(codec, "maximum user count out of range")
		}
		w.raw("<conference-description>")
		optElem(w, "display-text", d.DisplayText)
		optElem(w, "subject", d.Subject)
		optElem(w, "free-text", d.FreeText)
		optElem(w, "keywords", d.Keywords)
		if d.MaximumUserCount > 0 {
			w.raw("<maximum-user-count>" + strconv.FormatInt(d.MaximumUserCount, 10) + "</maximum-user-count>")
		}
		w.raw("</conference-description>\n")
	}
	if us := ci.Users; us != nil {
		if len(us.Users) > MaxConferenceUsers {
			return nil, invalid(codec, "too many users")
		}
		w.raw("<users")
		if err := stateAttr(w, codec, us.State); err != nil {
			return nil, err
		}
		w.raw(">\n")
		for i := range us.Users {
			if err := marshalUser(w, &us.Users[i], us.Users[:i]); err != nil {
				return nil, err
			}
		}
		w.raw("</users>\n")
	}
	w.raw("</conference-info>\n")
	return w.result()
}

// hasNicknames reports whether a user carries an xcon:nickname (the
// namespace is then declared on the root).
func (ci *ConferenceInfo) hasNicknames() bool {
	if ci.Users == nil {
		return false
	}
	for i := range ci.Users.Users {
		if ci.Users.Users[i].Nickname != "" {
			return true
		}
	}
	return false
}

func marshalUser(w *xmlWriter, u *ConferenceUser, before []ConferenceUser) error {
	const codec = "conference-info"
	if u.Entity == "" {
		return invalid(codec, "user without entity")
	}
	for i := range before {
		if before[i].Entity == u.Entity {
			return invalid(codec, "duplicate user entity")
		}
	}
	if len(u.Endpoints) > MaxConferenceEndpoints || len(u.Roles) > maxConferenceList || len(u.AssociatedAORs) > maxConferenceList {
		return invalid(codec, "too many endpoints, roles or associated AORs")
	}
	w.raw("<user")
	w.attr("entity", u.Entity)
	if err := stateAttr(w, codec, u.State); err != nil {
		return err
	}
	if u.Nickname != "" {
		w.attr("xcon:nickname", u.Nickname)
	}
	w.raw(">")
	optElem(w, "display-text", u.DisplayText)
	if len(u.AssociatedAORs) > 0 {
		w.raw("<associated-aors>")
		for _, a := range u.AssociatedAORs {
			if collapse(a) == "" {
				return invalid(codec, "empty associated AOR")
			}
			w.raw("<entry>")
			w.elem("uri", a)
			w.raw("</entry>")
		}
		w.raw("</associated-aors>")
	}
	if len(u.Roles) > 0 {
		w.raw("<roles>")
		for _, r := range u.Roles {
			if collapse(r) == "" {
				return invalid(codec, "empty role")
			}
			w.elem("entry", r)
		}
		w.raw("</roles>")
	}
	for i := range u.Endpoints {
		e := &u.Endpoints[i]
		if e.Entity == "" || (e.Status != "" && !isEndpointStatus(e.Status)) || len(e.Media) > MaxConferenceMedia {
			return invalid(codec, "endpoint without entity, with a bad status or too many media")
		}
		for j := range u.Endpoints[:i] {
			if u.Endpoints[j].Entity == e.Entity {
				return invalid(codec, "duplicate endpoint entity")
			}
		}
		w.raw("\n<endpoint")
		w.attr("entity", e.Entity)
		if err := stateAttr(w, codec, e.State); err != nil {
			return err
		}
		w.raw(">")
		optElem(w, "display-text", e.DisplayText)
		optElem(w, "status", e.Status)
		for k := range e.Media {
			m := &e.Media[k]
			if m.ID == "" || (m.Status != "" && !isMediaStatus(m.Status)) {
				return invalid(codec, "media without id or with a bad status")
			}
			for j := range e.Media[:k] {
				if e.Media[j].ID == m.ID {
					return invalid(codec, "duplicate media id")
				}
			}
			w.raw("<media")
			w.attr("id", m.ID)
			w.raw(">")
			optElem(w, "display-text", m.DisplayText)
			optElem(w, "type", m.Type)
			optElem(w, "label", m.Label)
			optElem(w, "src-id", m.SrcID)
			optElem(w, "status", m.Status)
			w.raw("</media>")
		}
		w.raw("</endpoint>")
	}
	w.raw("</user>\n")
	return nil
}

// stateAttr writes a state attribute unless it is the default "full" (or
// "").
func stateAttr(w *xmlWriter, codec, state string) error {
	switch state {
	case "", ConferenceFull:
		return nil
	case ConferencePartial, ConferenceDeleted:
		w.attr("state", state)
		return nil
	}
	return invalid(codec, "bad state")
}

// optElem writes <name>text</name> if text is not empty.
func optElem(w *xmlWriter, name, text string) {
	if text != "" {
		w.elem(name, text)
	}
}
