package xmpp

import (
	"slices"

	"github.com/sxgw/sxgw/translate"
)

// Data forms (XEP-0004) as MUC uses them: the room configuration form
// (XEP-0045 §10.1.3, §10.2), its submission, and the extended disco#info
// forms (XEP-0128).

const (
	nsXData = "jabber:x:data" // XEP-0004 §3

	formTypeVar        = "FORM_TYPE" // XEP-0068
	formTypeRoomConfig = "http://jabber.org/protocol/muc#roomconfig"
)

// formOption is a <option/> of a list field (XEP-0004 §3.3).
type formOption struct{ label, value string }

// roomConfigField describes a muc#roomconfig field (XEP-0045 §16.5.3).
type roomConfigField struct {
	v, typ, label string
	options       []formOption
}

func opts(pairs ...string) []formOption {
	o := make([]formOption, 0, len(pairs)/2)
	for i := 0; i+1 < len(pairs); i += 2 {
		o = append(o, formOption{label: pairs[i], value: pairs[i+1]})
	}
	return o
}

// roomConfigFields lists the registered muc#roomconfig fields in the
// order of the XEP-0045 §10.1.3 example, with their types and labels
// from the registry (§16.5.3) and the options of list fields.
func roomConfigFields() []roomConfigField {
	roles := opts("Moderator", "moderator", "Participant", "participant", "Visitor", "visitor")
	return []roomConfigField{
		{v: "muc#roomconfig_roomname", typ: "text-single", label: "Natural-Language Room Name"},
		{v: "muc#roomconfig_roomdesc", typ: "text-single", label: "Short Description of Room"},
		{v: "muc#roomconfig_lang", typ: "text-single", label: "Natural Language for Room Discussions"},
		{v: "muc#roomconfig_enablelogging", typ: "boolean", label: "Enable Public Logging?"},
		{v: "muc#roomconfig_changesubject", typ: "boolean", label: "Allow Occupants to Change Subject?"},
		{v: "muc#roomconfig_allowinvites", typ: "boolean", label: "Allow Members to Invite Others?"},
		{v: "muc#roomconfig_allowpm", typ: "list-single", label: "Who Can Send Private Messages?",
			options: opts("Anyone", "anyone", "Anyone with Voice", "participants", "Moderators Only", "moderators", "Nobody", "none")},
		{v: "muc#roomconfig_maxusers", typ: "list-single", label: "Maximum Number of Occupants",
			options: opts("10", "10", "20", "20", "30", "30", "50", "50", "100", "100", "None", "none")},
		{v: "muc#roomconfig_presencebroadcast", typ: "list-multi", label: "Roles for which Presence is Broadcasted", options: roles},
		{v: "muc#roomconfig_getmemberlist", typ: "list-multi", label: "Roles and Affiliations that May Retrieve Member List", options: roles},
		{v: "muc#roomconfig_publicroom", typ: "boolean", label: "Make Room Publicly Searchable?"},
		{v: "muc#roomconfig_persistentroom", typ: "boolean", label: "Make Room Persistent?"},
		{v: "muc#roomconfig_moderatedroom", typ: "boolean", label: "Make Room Moderated?"},
		{v: "muc#roomconfig_membersonly", typ: "boolean", label: "Make Room Members-Only?"},
		{v: "muc#roomconfig_passwordprotectedroom", typ: "boolean", label: "Password Required to Enter?"},
		{v: "muc#roomconfig_roomsecret", typ: "text-private", label: "Password"},
		{v: "muc#roomconfig_whois", typ: "list-single", label: "Who May Discover Real JIDs?",
			options: opts("Moderators Only", "moderators", "Anyone", "anyone")},
		{v: "muc#maxhistoryfetch", typ: "text-single", label: "Maximum Number of History Messages Returned by Room"},
		{v: "muc#roomconfig_roomadmins", typ: "jid-multi", label: "Room Admins"},
		{v: "muc#roomconfig_roomowners", typ: "jid-multi", label: "Room Owners"},
		{v: "muc#roomconfig_pubsub", typ: "text-single", label: "XMPP URI of Associated Publish-Subscribe Node"},
	}
}

// roomConfigForm renders the core's configuration values as the form a
// muc#owner get returns (XEP-0045 §10.2): FORM_TYPE first, the
// registered fields the core set in registry order, then other fields by
// name (text-single, or text-multi when they hold several values). A
// list field whose current value is not among its options gets it added,
// so the form stays valid (XEP-0004 §3.3).
func roomConfigForm(values map[string][]string) *Element {
	x := NewElement(nsXData, "x", "type", "form")
	x.Add(formField(formTypeVar, "hidden", "", []string{formTypeRoomConfig}, nil))
	known := make(map[string]bool, 32)
	for _, f := range roomConfigFields() {
		known[f.v] = true
		vals, ok := values[f.v]
		if !ok {
			continue
		}
		options := f.options
		if len(options) > 0 {
			for _, v := range vals {
				if !slices.ContainsFunc(options, func(o formOption) bool { return o.value == v }) {
					options = append(slices.Clip(options), formOption{label: v, value: v})
				}
			}
		}
		x.Add(formField(f.v, f.typ, f.label, vals, options))
	}
	others := make([]string, 0, len(values))
	for k := range values {
		if !known[k] && k != formTypeVar && k != "" {
			others = append(others, k)
		}
	}
	slices.Sort(others)
	for _, k := range others {
		typ := "text-single"
		if len(values[k]) > 1 {
			typ = "text-multi"
		}
		x.Add(formField(k, typ, "", values[k], nil))
	}
	return x
}

// formField renders one <field/> (XEP-0004 §3.2).
func formField(v, typ, label string, values []string, options []formOption) *Element {
	f := NewElement(nsXData, "field", "var", v, "type", typ, "label", label)
	for _, val := range values {
		f.Add(NewElement(nsXData, "value").AddText(val))
	}
	for _, o := range options {
		f.Add(NewElement(nsXData, "option", "label", o.label).Add(NewElement(nsXData, "value").AddText(o.value)))
	}
	return f
}

// discoForm renders an XEP-0128 extension form: a result form with a
// hidden FORM_TYPE and the fields by name.
func discoForm(df translate.DiscoForm) *Element {
	x := NewElement(nsXData, "x", "type", "result")
	x.Add(formField(formTypeVar, "hidden", "", []string{df.FormType}, nil))
	keys := make([]string, 0, len(df.Fields))
	for k := range df.Fields {
		if k != formTypeVar && k != "" {
			keys = append(keys, k)
		}
	}
	slices.Sort(keys)
	for _, k := range keys {
		x.Add(formField(k, "", "", []string{df.Fields[k]}, nil))
	}
	return x
}

// submittedFields reads the fields of a submitted form (XEP-0004 §3.4):
// var to values, FORM_TYPE apart. Fields without a var (fixed text) are
// skipped; a var given twice is bad-request.
func submittedFields(x *Element) (fields map[string][]string, formType string, err error) {
	seenType := false
	for _, n := range x.Nodes {
		c := n.El
		if c == nil || c.Name.Space != nsXData || c.Name.Local != "field" {
			continue
		}
		v := c.Get("var")
		if v == "" {
			continue
		}
		var vals []string
		for _, vn := range c.Nodes {
			if vn.El != nil && vn.El.Name.Space == nsXData && vn.El.Name.Local == "value" {
				vals = append(vals, vn.El.Text())
			}
		}
		if v == formTypeVar {
			if seenType || len(vals) != 1 {
				return nil, "", badRequest("bad FORM_TYPE")
			}
			seenType, formType = true, vals[0]
			continue
		}
		if fields == nil {
			fields = make(map[string][]string)
		}
		if _, dup := fields[v]; dup {
			return nil, "", badRequest("field " + v + " given twice")
		}
		fields[v] = vals
	}
	return fields, formType, nil
}
