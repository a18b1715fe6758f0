package jingle

import "strconv"

// Validate checks j against the XEP-0166 schema and core rules and the
// schemas of the modelled extensions, and the bounds of limits.go. A nil
// result means the element is well formed; it says nothing about whether
// the action fits the session state (see Session). Errors are
// *SchemaError values that wrap ErrBadRequest: answer <bad-request/>.
func (j *Jingle) Validate() error {
	if !j.Action.Valid() {
		return schemaErr("jingle", "action", "unknown action "+strconv.Quote(string(j.Action)))
	}
	if j.SID == "" {
		return schemaErr("jingle", "sid", "missing")
	}
	if len(j.Contents) > MaxMedia || len(j.Groups) > MaxItems {
		return &SchemaError{Element: "jingle", Problem: "too many children", Err: ErrTooLarge}
	}
	type key struct {
		creator Role
		name    string
	}
	seen := make(map[key]bool, len(j.Contents))
	ids := make(map[string]bool)
	for i := range j.Contents {
		c := &j.Contents[i]
		k := key{c.CreatorOr(), c.Name}
		if seen[k] {
			return schemaErr("content", "name", "duplicate content "+strconv.Quote(c.Name))
		}
		seen[k] = true
		if err := c.validate(ids); err != nil {
			return err
		}
	}
	switch j.Action {
	case ActionSessionInitiate:
		// XEP-0166 §7.2.10: at least one content with disposition session.
		ok := false
		for i := range j.Contents {
			d := j.Contents[i].Disposition
			ok = ok || d == "" || d == "session"
		}
		if !ok {
			return schemaErr("jingle", "", "session-initiate without a content of disposition session")
		}
	case ActionSessionAccept:
		// XEP-0166 §7.2.8: one or more contents, each with a description
		// and a transport.
		if len(j.Contents) == 0 {
			return schemaErr("jingle", "", "session-accept without content")
		}
		for i := range j.Contents {
			c := &j.Contents[i]
			if !c.hasChild("description") || !c.hasChild("transport") {
				return schemaErr("content", "", "session-accept content "+strconv.Quote(c.Name)+" lacks a description or transport")
			}
		}
	case ActionContentAdd, ActionContentRemove:
		if len(j.Contents) == 0 {
			return schemaErr("jingle", "", string(j.Action)+" without content")
		}
	case ActionContentModify:
		// XEP-0166 §7.3: senders is REQUIRED in content-modify.
		if len(j.Contents) == 0 {
			return schemaErr("jingle", "", "content-modify without content")
		}
		for i := range j.Contents {
			if j.Contents[i].Senders == "" {
				return schemaErr("content", "senders", "missing in content-modify")
			}
		}
	}
	if j.Reason != nil {
		if err := j.Reason.validate(); err != nil {
			return err
		}
	}
	for i := range j.Groups {
		g := &j.Groups[i]
		if g.Semantics == "" {
			return schemaErr("group", "semantics", "missing")
		}
		if len(g.Contents) > MaxItems {
			return &SchemaError{Element: "group", Problem: "too many contents", Err: ErrTooLarge}
		}
		for _, gc := range g.Contents {
			if gc.Name == "" {
				return schemaErr("content", "name", "missing in group")
			}
		}
	}
	if j.Info != nil && (j.Info.Kind == InfoMute || j.Info.Kind == InfoUnmute) && j.Info.Creator != "" && !j.Info.Creator.Valid() {
		return schemaErr(string(j.Info.Kind), "creator", "invalid")
	}
	return nil
}

func (r *Reason) validate() error {
	if !r.Condition.Valid() {
		return schemaErr("reason", "", "no defined condition")
	}
	return nil
}

// validate checks one content; ids, when not nil, collects candidate ids
// across the element, which must be unique.
func (c *Content) validate(ids map[string]bool) error {
	if c.Creator != "" && !c.Creator.Valid() {
		return schemaErr("content", "creator", "invalid "+strconv.Quote(string(c.Creator)))
	}
	if c.Name == "" {
		return schemaErr("content", "name", "missing")
	}
	if !c.Senders.Valid() {
		return schemaErr("content", "senders", "invalid "+strconv.Quote(string(c.Senders)))
	}
	if c.ICEUDP != nil && c.RawUDP != nil {
		return schemaErr("content", "", "two transports")
	}
	if len(c.Other) > MaxItems {
		return &SchemaError{Element: "content", Problem: "too many children", Err: ErrTooLarge}
	}
	if d := c.Description; d != nil {
		if err := d.validate(); err != nil {
			return err
		}
	}
	if t := c.ICEUDP; t != nil {
		if err := t.validate(ids); err != nil {
			return err
		}
	}
	if t := c.RawUDP; t != nil {
		if err := t.validate(ids); err != nil {
			return err
		}
	}
	return nil
}

func (d *RTPDescription) validate() error {
	if d.Media == "" {
		return schemaErr("description", "media", "missing")
	}
	if len(d.PayloadTypes) > MaxPayloadTypes || len(d.RTCPFB) > MaxItems || len(d.HdrExts) > MaxItems ||
		len(d.Sources) > MaxItems || len(d.SSRCGroups) > MaxItems {
		return &SchemaError{Element: "description", Problem: "too many children", Err: ErrTooLarge}
	}
	var seen [128]bool
	for i := range d.PayloadTypes {
		p := &d.PayloadTypes[i]
		if p.ID > 127 {
			return schemaErr("payload-type", "id", "out of range")
		}
		if seen[p.ID] {
			return schemaErr("payload-type", "id", "duplicate "+strconv.Itoa(int(p.ID)))
		}
		seen[p.ID] = true
		// XEP-0167 §4: name is REQUIRED for dynamic payload types.
		if p.ID >= 96 && p.Name == "" {
			return schemaErr("payload-type", "name", "missing for dynamic id "+strconv.Itoa(int(p.ID)))
		}
		if len(p.Parameters) > MaxItems || len(p.RTCPFB) > MaxItems {
			return &SchemaError{Element: "payload-type", Problem: "too many children", Err: ErrTooLarge}
		}
		if err := validateFeedback(p.RTCPFB); err != nil {
			return err
		}
	}
	if err := validateFeedback(d.RTCPFB); err != nil {
		return err
	}
	for i := range d.HdrExts {
		h := &d.HdrExts[i]
		if h.ID == 0 {
			return schemaErr("rtp-hdrext", "id", "zero")
		}
		if !h.Senders.Valid() {
			return schemaErr("rtp-hdrext", "senders", "invalid")
		}
		if len(h.Parameters) > MaxItems {
			return &SchemaError{Element: "rtp-hdrext", Problem: "too many parameters", Err: ErrTooLarge}
		}
	}
	for i := range d.Sources {
		if len(d.Sources[i].Parameters) > MaxItems {
			return &SchemaError{Element: "source", Problem: "too many parameters", Err: ErrTooLarge}
		}
		for _, p := range d.Sources[i].Parameters {
			if p.Name == "" {
				return schemaErr("parameter", "name", "missing in source")
			}
		}
	}
	for i := range d.SSRCGroups {
		g := &d.SSRCGroups[i]
		if g.Semantics == "" {
			return schemaErr("ssrc-group", "semantics", "missing")
		}
		if len(g.Sources) > MaxItems {
			return &SchemaError{Element: "ssrc-group", Problem: "too many sources", Err: ErrTooLarge}
		}
	}
	if e := d.Encryption; e != nil && len(e.Cryptos) > MaxItems {
		return &SchemaError{Element: "encryption", Problem: "too many crypto elements", Err: ErrTooLarge}
	}
	return nil
}

func validateFeedback(fbs []RTCPFB) error {
	for i := range fbs {
		if len(fbs[i].Parameters) > MaxItems {
			return &SchemaError{Element: "rtcp-fb", Problem: "too many parameters", Err: ErrTooLarge}
		}
	}
	return nil
}

func (t *ICEUDPTransport) validate(ids map[string]bool) error {
	if len(t.Candidates) > MaxCandidates || len(t.RemoteCandidates) > MaxItems {
		return &SchemaError{Element: "transport", Problem: "too many candidates", Err: ErrTooLarge}
	}
	if err := t.Fingerprint.validate(); err != nil {
		return err
	}
	for i := range t.Candidates {
		c := &t.Candidates[i]
		if !validCandidateType(c.Type) || c.Type == "" {
			return schemaErr("candidate", "type", "invalid "+strconv.Quote(c.Type))
		}
		if c.Component == 0 {
			return schemaErr("candidate", "component", "zero")
		}
		if ids == nil {
			continue
		}
		if ids[c.ID] {
			return schemaErr("candidate", "id", "duplicate "+strconv.Quote(c.ID))
		}
		ids[c.ID] = true
	}
	return nil
}

func (t *RawUDPTransport) validate(ids map[string]bool) error {
	if len(t.Candidates) > MaxCandidates {
		return &SchemaError{Element: "transport", Problem: "too many candidates", Err: ErrTooLarge}
	}
	if err := t.Fingerprint.validate(); err != nil {
		return err
	}
	for i := range t.Candidates {
		c := &t.Candidates[i]
		if !validCandidateType(c.Type) {
			return schemaErr("candidate", "type", "invalid "+strconv.Quote(c.Type))
		}
		if c.Component == 0 {
			return schemaErr("candidate", "component", "zero")
		}
		if c.ID != "" && ids != nil {
			if ids[c.ID] {
				return schemaErr("candidate", "id", "duplicate "+strconv.Quote(c.ID))
			}
			ids[c.ID] = true
		}
	}
	return nil
}

func (f *Fingerprint) validate() error {
	if f == nil {
		return nil
	}
	switch f.Setup {
	case "", "actpass", "active", "passive", "holdconn":
	default:
		return schemaErr("fingerprint", "setup", "invalid "+strconv.Quote(f.Setup))
	}
	if f.Hash == "" || f.Value == "" {
		return schemaErr("fingerprint", "", "empty hash or value")
	}
	return nil
}

// validCandidateType reports whether t is empty or an ICE candidate type
// (RFC 8445 §5.1.1).
func validCandidateType(t string) bool {
	switch t {
	case "", "host", "prflx", "srflx", "relay":
		return true
	}
	return false
}
